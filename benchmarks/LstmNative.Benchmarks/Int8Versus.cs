using System.Diagnostics;
using LstmNative.Cpu;
using LstmNative.Cpu.Kernels;
using LstmNative.Model;
using Microsoft.ML.OnnxRuntime;

namespace LstmNative.Benchmarks;

/// <summary>
/// <c>int8vs ROUNDS [H ...]</c>: one LSTM layer, I = H, T = 100, B = 1, one thread, interleaved rounds; best wall time per
/// run of: LstmNative fp32, int8 on the native VNNI kernel, int8 on the managed kernels, bf16 on the native vdpbf16ps
/// kernel, bf16 on the managed (widening) kernels, fp32 with the native batch-1 kernel switched off; ONNX Runtime fp32 LSTM and com.microsoft DynamicQuantizeLSTM (int8
/// W/R [1, K, 4H], per-tensor scales, zero points 0). Also max |ΔY| vs fp32, and the bf16 ratios.
/// </summary>
internal static class Int8Versus
{
    public static void Run(int rounds, int[] hidden)
    {
        // LSTMNATIVE_INT8VS_THREADS: threads of every engine (ours and ORT's intra-op pool); 1 unless set.
        int threads = int.TryParse(Environment.GetEnvironmentVariable("LSTMNATIVE_INT8VS_THREADS"), out int t) && t > 0 ? t : 1;
        // LSTMNATIVE_INT8VS_STATIC=1: our forward splits each step statically across workers instead of by claimed chunks.
        if (Environment.GetEnvironmentVariable("LSTMNATIVE_INT8VS_STATIC") == "1")
            LayerExecutor.ClaimedForwardEnabled = false;
        Console.WriteLine($"NativeCpu: {NativeCpu.Status}");
        Console.WriteLine($"LSTM I=H T=100 B=1, {threads} thread(s); best wall ms per run over interleaved rounds (ratio = other / ours int8 native)");
        foreach (int h in hidden)
        {
            const int steps = 100;
            var rng = new Random(4321);
            var w = new LayerWeights<float>(new RnnLayerOptions(RnnCellType.Lstm, h, h)).Randomize(rng, 1.0 / Math.Sqrt(h));
            var x = new float[steps * h];
            for (int i = 0; i < x.Length; i++)
                x[i] = (float)(rng.NextDouble() * 2 - 1);
            var names = new List<string>();
            var runs = new List<Action>();
            var outputs = new List<float[]>();
            var sessions = new Dictionary<string, CpuRnnSession>();
            void Ours(string name, CpuPrecision p, bool native, bool fp32Native = true, bool fused = true, bool alternate = true, string? sameSessionAs = null)
            {
                NativeCpu.EnableInt8(native);
                NativeCpu.EnableBf16(native);
                // A one-way row runs the session of its alternating row: the same weights at the same addresses, so the
                // comparison is not also one of two placements in memory (which L2 sets the panels fall into).
                var session = sameSessionAs is null ? new CpuRnnModel([w], p).CreateSession(1, steps, threads) : sessions[sameSessionAs];
                sessions[name] = session;
                NativeCpu.EnableInt8(true);
                NativeCpu.EnableBf16(true);
                var y = new float[steps * h];
                names.Add(name);
                outputs.Add(y);
                // So are the fused int8 forward (batch 1, one worker) and the float32 batch-1 kernel: switch them for this engine's runs only.
                // ... and the alternating walk over R (one-way: every step reads R's panels first to last, as before).
                runs.Add(fp32Native && fused && alternate ? () => session.Run(x, steps, 1, y) : () =>
                {
                    NativeCpu.EnableFp32(fp32Native);
                    LayerExecutor.FusedInt8Enabled = fused;
                    LayerExecutor.AlternateWalks = alternate;
                    session.Run(x, steps, 1, y);
                    NativeCpu.EnableFp32(true);
                    LayerExecutor.FusedInt8Enabled = true;
                    LayerExecutor.AlternateWalks = true;
                });
            }
            Ours("ours fp32", CpuPrecision.Fp32, true);
            Ours("ours int8 native", CpuPrecision.Int8, true);
            Ours("ours int8 native unfused", CpuPrecision.Int8, true, fused: false);
            Ours("ours int8 managed", CpuPrecision.Int8, false);
            Ours("ours bf16 native", CpuPrecision.Bf16, true);
            Ours("ours bf16 managed", CpuPrecision.Bf16, false);
            Ours("ours fp32 managed", CpuPrecision.Fp32, true, fp32Native: false);
            Ours("ours fp32 one-way", CpuPrecision.Fp32, true, alternate: false, sameSessionAs: "ours fp32");
            Ours("ours bf16 one-way", CpuPrecision.Bf16, true, alternate: false, sameSessionAs: "ours bf16 native");
            Ours("ours int8 unfused one-way", CpuPrecision.Int8, true, fused: false, alternate: false, sameSessionAs: "ours int8 native unfused");
            Ours("ours int8 fused one-way", CpuPrecision.Int8, true, alternate: false, sameSessionAs: "ours int8 native unfused");
            var so = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
            void Ort(string name, byte[] model)
            {
                var s = new InferenceSession(model, so);
                var y = new float[steps * h];
                var xv = OrtValue.CreateTensorValueFromMemory(x, [steps, 1, h]);
                var yv = OrtValue.CreateTensorValueFromMemory(y, [steps, 1, 1, h]);
                var ro = new RunOptions();
                string output = s.OutputMetadata.Keys.First();
                names.Add(name);
                outputs.Add(y);
                runs.Add(() => s.Run(ro, ["X"], [xv], [output], [yv]));
            }
            Ort("ORT fp32 LSTM", OnnxModelBuilder.Build([w]));
            Ort("ORT DynamicQuantizeLSTM", OnnxModelBuilder.BuildDynamicQuantizeLstm(w));
            int inner = Math.Max(1, (int)(2_000_000L / ((long)h * h)));
            var best = new double[runs.Count];
            Array.Fill(best, double.MaxValue);
            foreach (var r in runs)
                r();
            for (int round = 0; round < rounds; round++)
                for (int j = 0; j < runs.Count; j++)
                {
                    // Each round starts one engine later, so no engine always follows the same one (at 2 threads the
                    // first engine after ORT's spinning pool measured up to 1.3x slow).
                    int i = (j + round) % runs.Count;
                    // With 2 threads the previous engine's pool threads (ORT's spin after a run; ours for 200 µs) take a
                    // core from the next engine's first runs: let them go idle, then one untimed run wakes this engine's pool.
                    if (threads > 1)
                    {
                        Thread.Sleep(30);
                        runs[i]();
                    }
                    var sw = Stopwatch.StartNew();
                    for (int n = 0; n < inner; n++)
                        runs[i]();
                    best[i] = Math.Min(best[i], sw.Elapsed.TotalMilliseconds / inner);
                }
            foreach (var r in runs)
                r();
            for (int i = 0; i < runs.Count; i++)
            {
                double err = 0;
                for (int k = 0; k < outputs[0].Length; k++)
                    err = Math.Max(err, Math.Abs(outputs[i][k] - outputs[0][k]));
                Console.WriteLine($"  H={h,4} {names[i],-24} {best[i],8:F3} ms  ratio to ours int8 native {best[i] / best[1],5:F2}  max|dY| vs ours fp32 {err:E1}");
            }
            double Best(string name) => best[names.IndexOf(name)];
            double bf16 = Best("ours bf16 native");
            Console.WriteLine($"  H={h,4} bf16 native: {Best("ORT fp32 LSTM") / bf16:F2}x ORT fp32, {Best("ours fp32") / bf16:F2}x ours fp32, {Best("ours bf16 managed") / bf16:F2}x ours bf16 managed");
            Console.WriteLine($"  H={h,4} fp32: ORT fp32 / ours {Best("ORT fp32 LSTM") / Best("ours fp32"):F2} (managed kernels: {Best("ORT fp32 LSTM") / Best("ours fp32 managed"):F2}); int8 native: ORT DynamicQuantizeLSTM / ours {Best("ORT DynamicQuantizeLSTM") / Best("ours int8 native"):F2}");
            Console.WriteLine($"  H={h,4} alternating walks: one-way / alternating fp32 {Best("ours fp32 one-way") / Best("ours fp32"):F2}, bf16 {Best("ours bf16 one-way") / Best("ours bf16 native"):F2}, " +
                $"int8 unfused {Best("ours int8 unfused one-way") / Best("ours int8 native unfused"):F2}, int8 fused (one-way) {Best("ours int8 fused one-way") / Best("ours int8 native unfused"):F2}; " +
                $"ORT DynamicQuantizeLSTM / ours int8 unfused {Best("ORT DynamicQuantizeLSTM") / Best("ours int8 native unfused"):F2}");
        }
    }
}

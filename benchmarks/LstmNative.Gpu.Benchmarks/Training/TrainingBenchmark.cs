using System.Diagnostics;
using System.Globalization;
using System.Text;
using LstmNative.Cuda;
using LstmNative.Gpu.Device;
using LstmNative.Gpu.Training;
using LstmNative.Model;

namespace LstmNative.Gpu.Benchmarks.Training;

/// <summary>
/// The GPU training benchmark: DeepBench training_set rows (1 layer, unidirectional, input = hidden, the input GEMM
/// included on both sides), forward + backward (dx, dh and every weight gradient), our engine against cuDNN on the
/// same weights, input and upstream gradient, on the same stream, timed with CUDA events. Before timing, the outputs
/// and gradients of both are cross-checked. Memory: our reserve space against cuDNN's (and the workspaces).
/// <para>A harness of its own (not BenchmarkDotNet): the GPU bundle runs it with only the .NET runtime, and GPU time
/// is what is measured. <c>LstmNative.Gpu.Benchmarks training --help</c> lists the options.</para>
/// </summary>
public static class TrainingBenchmark
{
    private const string Usage =
        """
        LstmNative.Gpu.Benchmarks training [options]
          --rows quick|lstm|gru|all    DeepBench training_set rows (default quick)
          --math fp32|tf32|both        GEMM math on both sides (default both)
          --iterations N               timed iterations per row (default 20)
          --warmup N                   untimed iterations first (default 3)
          --budget SECONDS             stop starting rows after this (default 240)
          --cudnn-algo standard|persist-static|persist-dynamic   cuDNN's RNN algorithm (default standard)
          --out FILE                   also write the markdown table there
        """;

    /// <summary>Runs the benchmark; returns 0 when every cross-check passed, 1 when one failed, 2 for bad arguments.</summary>
    public static int Run(string[] args, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        Settings settings;
        try
        {
            settings = Settings.Parse(args);
        }
        catch (ArgumentException e)
        {
            output.WriteLine(e.Message);
            output.WriteLine(Usage);
            return 2;
        }
        if (settings.Help)
        {
            output.WriteLine(Usage);
            return 0;
        }
        var probe = GpuRuntime.Current;
        if (!probe.IsAvailable)
        {
            output.WriteLine($"GPU training benchmark not run: {probe.Reason}");
            return 0;
        }
        // Without cuDNN our engine is still timed; the baseline columns say why they are empty.
        string? cudnnMissing = probe.CudnnVersion is null ? $"cuDNN unavailable: {probe.CudnnProblem}" : null;
        if (cudnnMissing is not null)
            output.WriteLine($"{cudnnMissing}; timing our engine alone");

        using var context = CudaContext.Create();
        using var module = context.LoadEmbeddedKernels();
        var clock = Stopwatch.StartNew();
        var results = new List<Result>();
        foreach (var math in settings.MathModes)
        {
            foreach (var row in settings.Rows)
            {
                if (clock.Elapsed.TotalSeconds > settings.BudgetSeconds)
                {
                    results.Add(Result.Skipped(row, math, $"budget of {settings.BudgetSeconds} s spent"));
                    continue;
                }
                try
                {
                    var r = RunRow(context, module, row, math, settings, cudnnMissing);
                    results.Add(r);
                    output.WriteLine(r.Line());
                }
                catch (Exception e) when (e is CudaException or CublasException or CudnnException or InvalidOperationException)
                {
                    var r = Result.Skipped(row, math, e.Message.Split('\n')[0]);
                    results.Add(r);
                    output.WriteLine(r.Line());
                }
            }
        }

        var table = Table(context.Device, settings, results, cudnnMissing);
        output.WriteLine();
        output.WriteLine(table);
        if (settings.Out is { } path)
            File.WriteAllText(path, table);
        return results.Any(r => r.CheckFailed) ? 1 : 0;
    }

    private static Result RunRow(CudaContext context, CudaModule module, DeepBenchRow row, GpuMathMode math, Settings settings, string? cudnnMissing)
    {
        var layer = new RnnLayerOptions(row.Cell, row.Hidden, row.Hidden) { LinearBeforeReset = row.Cell == RnnCellType.Gru };
        using var memory = CudaTrainingArena.Create(context, module, math);
        var device = memory.Queue;
        var stream = device.Stream!;
        var layout = new ParameterLayout([layer]);
        var weights = new DeviceTrainingWeights(memory, layout);
        var stack = new GpuRnnStack(memory, [layer], layout, weights.Parameters, weights.Gradients, row.Steps, row.Batch);
        using var cudnn = cudnnMissing is null ? new CudnnBaseline(context, stream, row, math, settings.CudnnAlgorithm) : null;

        // Same weights (PyTorch's init range), input and upstream gradient for both.
        var rng = new Random(row.Hidden * 7919 + row.Batch * 31 + row.Steps);
        var w = new LayerWeights<float>(layer).Randomize(rng, 1 / Math.Sqrt(row.Hidden));
        weights.Upload([w]);
        cudnn?.LoadWeights(w, stream);
        long elements = (long)row.Steps * row.Batch * row.Hidden;
        device.Upload<float>(stack.Input, RandomFloats(rng, elements));
        device.Upload<float>(stack.DOutput, RandomFloats(rng, elements));

        void Ours()
        {
            weights.ZeroGradients();
            stack.ForwardOnDevice(row.Steps, row.Batch, hasLengths: false, hasH0: false, hasC0: false, training: true, seed: 0);
            stack.BackwardOnDevice(hasDOutput: true, hasDHn: false, hasDCn: false, inputGradient: true);
        }
        void Theirs() => cudnn!.ForwardBackward(stack.Input, stack.DOutput);

        // Cross-check before timing.
        Ours();
        device.Synchronize();
        using var start = context.CreateEvent();
        using var stop = context.CreateEvent();
        double ours = Time(stream, start, stop, settings, Ours);
        double graphed = TimeGraph(device, stream, start, stop, settings, Ours);
        if (cudnn is null)
            return new Result(row, math, ours, graphed, double.NaN, stack.Plan.ReserveBytes, 0, stack.Plan.WorkspaceBytes, 0, true, cudnnMissing!, null);
        Ours();
        Theirs();
        device.Synchronize();
        var ourY = new float[elements];
        stack.ReadOutput(ourY);
        var ourDx = new float[elements];
        stack.ReadInputGradient(ourDx);
        var ourGrads = weights.DownloadGradients()[0].Directions[0];
        var theirGrads = cudnn.ReadGradients(layer, stream).Directions[0];
        var errors = new (string Name, double Error)[]
        {
            ("y", Error(ourY, cudnn.ReadY(stream))),
            ("dx", Error(ourDx, cudnn.ReadDx(stream))),
            ("dW", Error(ourGrads.W, theirGrads.W)),
            ("dR", Error(ourGrads.R, theirGrads.R)),
            ("dWb", Error(ourGrads.Bw, theirGrads.Bw)),
            ("dRb", Error(ourGrads.Br, theirGrads.Br)),
        };
        double tolerance = math == GpuMathMode.Tf32 ? 3e-2 : 2e-3;
        var worst = errors.MaxBy(e => e.Error);

        // Timing: CUDA events around the loop, same stream for both (ours was timed above).
        double theirs = Time(stream, start, stop, settings, Theirs);

        return new Result(row, math, ours, graphed, theirs,
            stack.Plan.ReserveBytes, cudnn.ReserveBytes, stack.Plan.WorkspaceBytes, cudnn.WorkBytes,
            worst.Error <= tolerance, $"{worst.Name} {worst.Error:E1}", null);
    }

    /// <summary>Our step captured as one CUDA graph and timed; NaN when the capture fails (the eager time stands).</summary>
    private static double TimeGraph(IDeviceQueue device, CudaStream stream, CudaEvent start, CudaEvent stop, Settings settings, Action body)
    {
        try
        {
            using var graph = device.Capture(body);
            return Time(stream, start, stop, settings, graph.Launch);
        }
        catch (Exception e) when (e is CudaException or CublasException)
        {
            return double.NaN;
        }
    }

    private static double Time(CudaStream stream, CudaEvent start, CudaEvent stop, Settings settings, Action body)
    {
        for (int i = 0; i < settings.Warmup; i++)
            body();
        stream.Synchronize();
        start.Record(stream);
        for (int i = 0; i < settings.Iterations; i++)
            body();
        stop.Record(stream);
        stop.Synchronize();
        return CudaEvent.ElapsedMilliseconds(start, stop) / settings.Iterations;
    }

    /// <summary>max |a - b| / max(1, max |b|).</summary>
    private static double Error(ReadOnlySpan<float> ours, ReadOnlySpan<float> theirs)
    {
        double worst = 0, scale = 1;
        for (int i = 0; i < theirs.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(theirs[i]));
            double e = Math.Abs(ours[i] - theirs[i]);
            worst = double.IsNaN(e) ? double.PositiveInfinity : Math.Max(worst, e);
        }
        return worst / scale;
    }

    private static float[] RandomFloats(Random rng, long count)
    {
        var v = new float[count];
        for (long i = 0; i < count; i++)
            v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }

    private static string Table(GpuDeviceInfo gpu, Settings settings, List<Result> results, string? cudnnMissing)
    {
        var b = new StringBuilder();
        string cudnn = cudnnMissing ?? $"cuDNN {CudnnHandle.LibraryVersion()} ({settings.CudnnAlgorithmName})";
        b.AppendLine(CultureInfo.InvariantCulture, $"GPU: {gpu.Name} (sm_{gpu.ComputeCapabilityMajor}{gpu.ComputeCapabilityMinor}); {cudnn}, cuBLAS {CublasHandle.LibraryVersion()}.");
        b.AppendLine("Forward + backward (dx, dh0 and all weight gradients) per iteration, 1 layer, unidirectional, input = hidden, input GEMM included on both sides;");
        b.AppendLine(CultureInfo.InvariantCulture, $"mean of {settings.Iterations} iterations after {settings.Warmup} warm-up, CUDA events on one stream. Speed-up = cuDNN ms / ours ms (best of eager and graph).");
        b.AppendLine();
        b.AppendLine("| cell | H | N | T | math | ours ms | ours (graph) ms | cuDNN ms | speed-up | TFLOP/s (ours) | reserve ours MiB | reserve cuDNN MiB | workspace ours / cuDNN MiB | cross-check |");
        b.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
            b.AppendLine(r.Row());
        return b.ToString();
    }

    private sealed record Result(DeepBenchRow Bench, GpuMathMode Math, double OursMs, double GraphMs, double CudnnMs,
        long OurReserve, long CudnnReserve, long OurWork, long CudnnWork, bool CheckPassed, string Check, string? SkipReason)
    {
        public bool CheckFailed => SkipReason is null && !CheckPassed;

        private double Best => double.IsNaN(GraphMs) ? OursMs : System.Math.Min(OursMs, GraphMs);

        public static Result Skipped(DeepBenchRow row, GpuMathMode math, string reason) =>
            new(row, math, double.NaN, double.NaN, double.NaN, 0, 0, 0, 0, false, "", reason);

        private static string Mib(long bytes) => (bytes / 1048576.0).ToString("F1", CultureInfo.InvariantCulture);

        private static string Ms(double ms) => double.IsNaN(ms) ? "-" : ms.ToString("F3", CultureInfo.InvariantCulture);

        public string Line() => SkipReason is not null
            ? $"{Bench} {Math}: skipped ({SkipReason})"
            : string.Create(CultureInfo.InvariantCulture, $"{Bench} {Math}: ours {OursMs:F3} ms (graph {Ms(GraphMs)}), cuDNN {Ms(CudnnMs)} ms, x{CudnnMs / Best:F2}; reserve {Mib(OurReserve)} vs {Mib(CudnnReserve)} MiB; check {(CheckPassed ? "ok" : "FAILED")} ({Check})");

        public string Row()
        {
            string cell = Bench.Cell == RnnCellType.Lstm ? "LSTM" : "GRU";
            if (SkipReason is not null)
                return $"| {cell} | {Bench.Hidden} | {Bench.Batch} | {Bench.Steps} | {Math} | - | - | - | - | - | - | - | - | not run: {SkipReason.Replace('|', '/')} |";
            return string.Create(CultureInfo.InvariantCulture,
                $"| {cell} | {Bench.Hidden} | {Bench.Batch} | {Bench.Steps} | {Math} | {Ms(OursMs)} | {Ms(GraphMs)} | {Ms(CudnnMs)} | {CudnnMs / Best:F2}x | {Bench.TrainingFlops / (Best * 1e9):F1} | {Mib(OurReserve)} | {Mib(CudnnReserve)} | {Mib(OurWork)} / {Mib(CudnnWork)} | {(CheckPassed ? "ok" : "FAILED")} {Check} |");
        }
    }

    private sealed record Settings(IReadOnlyList<DeepBenchRow> Rows, IReadOnlyList<GpuMathMode> MathModes, int Iterations, int Warmup,
        double BudgetSeconds, CudnnRnnAlgorithm CudnnAlgorithm, string CudnnAlgorithmName, string? Out, bool Help)
    {
        public static Settings Parse(string[] args)
        {
            var s = new Settings(DeepBenchRows.Quick, [GpuMathMode.Fp32, GpuMathMode.Tf32], 20, 3, 240, CudnnRnnAlgorithm.Standard, "standard", null, false);
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                int Count(string v) => int.TryParse(v, CultureInfo.InvariantCulture, out int n) && n >= 0 ? n : throw new ArgumentException($"expected a count, got '{v}'");
                switch (args[i])
                {
                    case "--rows": s = s with { Rows = DeepBenchRows.Select(Value()) }; break;
                    case "--math":
                        s = s with
                        {
                            MathModes = Value().ToUpperInvariant() switch
                            {
                                "FP32" => [GpuMathMode.Fp32],
                                "TF32" => [GpuMathMode.Tf32],
                                "BOTH" => [GpuMathMode.Fp32, GpuMathMode.Tf32],
                                var v => throw new ArgumentException($"--math must be fp32, tf32 or both, got '{v}'"),
                            },
                        };
                        break;
                    case "--iterations": s = s with { Iterations = Math.Max(1, Count(Value())) }; break;
                    case "--warmup": s = s with { Warmup = Count(Value()) }; break;
                    case "--budget": s = s with { BudgetSeconds = Count(Value()) }; break;
                    case "--cudnn-algo":
                        string algo = Value();
                        s = s with
                        {
                            CudnnAlgorithmName = algo,
                            CudnnAlgorithm = algo switch
                            {
                                "standard" => CudnnRnnAlgorithm.Standard,
                                "persist-static" => CudnnRnnAlgorithm.PersistStatic,
                                "persist-dynamic" => CudnnRnnAlgorithm.PersistDynamic,
                                _ => throw new ArgumentException($"--cudnn-algo must be standard, persist-static or persist-dynamic, got '{algo}'"),
                            },
                        };
                        break;
                    case "--out": s = s with { Out = Value() }; break;
                    case "-h" or "--help": s = s with { Help = true }; break;
                    default: throw new ArgumentException($"unknown option '{args[i]}'");
                }
            }
            return s;
        }
    }
}

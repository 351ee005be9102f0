using System.Diagnostics;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Running;
using LstmNative.Benchmarks;
using LstmNative.Model;

// Usage:
//   dotnet run -c Release --project benchmarks/LstmNative.Benchmarks -- [BenchmarkDotNet arguments, e.g. --filter *Inference*]
//   ... -- peak    FMA peak of this machine (register-only FMA loop) and the engine's packed SGEMM, 1 and 2 threads
//   ... -- check   LstmNative and ONNX Runtime agree on the benchmark models
//   ... -- precision CELL ROUNDS [H ...]   fp32 vs bf16 vs int8 weights, batch 1, T = 100, 1 thread, interleaved
//   ... -- int8vs ROUNDS [H ...]   ours fp32 / int8 (native VNNI, managed) / bf16 vs ORT fp32 and DynamicQuantizeLSTM
//   ... -- roofline REPS [H ...]   the batch-1 floor (stream R, input projection at peak) beside ORT and LstmNative
//   ... -- tail H THREADS RUNS claimed|static|ort   latency percentiles of one session's runs (one process per engine)
//   ... -- walks CELL H B THREADS ROUNDS [fp32|bf16|int8]   one session, alternating against one-way walks over R, in turn
//   ... -- claims CELL H B THREADS ROUNDS [fp32|bf16|int8]  one session, claimed forward against the static split, in turn
//   ... -- gemmrows H ROUNDS M...                          the float32 product's GMAC/s at each row count (micro-kernel tails)
//   ... -- ettbaselines CSV WINDOW H...   persistence, least-squares AR, ridge AR, DLinear on the ETT protocol (no LSTM)
//   ... -- ettensemble CSV ett-long|ett-long-backtest HORIZON all|OT RUN_DIR...   mean forecast of trained forecasters (seeds, settings)
// LSTMNATIVE_ONE_WAY=1 (any mode): every step reads R first panel to last, as before the walk alternated
// (LayerExecutor.AlternateWalks off), to time the engine both ways in separate processes.
if (Environment.GetEnvironmentVariable("LSTMNATIVE_ONE_WAY") == "1")
    LstmNative.Cpu.LayerExecutor.AlternateWalks = false;
if (args.Length > 0 && args[0] == "ettensemble")
{
    ForecastEnsemble.Run(args[1], args[2], int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture), args[4], args[5..]);
    return;
}
if (args.Length > 0 && args[0] == "ettbaselines")
{
    LinearBaselines.Run(args[1], int.Parse(args[2]), args[3..].Select(int.Parse).ToArray());
    return;
}
if (args.Length > 0 && args[0] == "tail")
{
    TailLatency.Run(int.Parse(args[1]), int.Parse(args[2]), int.Parse(args[3]), args[4],
        args.Length > 5 ? double.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture) : 0);
    return;
}
if (args.Length > 0 && args[0] is "walks" or "claims")
{
    SwitchAb.Run(args[0], Enum.Parse<RnnCellType>(args[1], true), int.Parse(args[2]), int.Parse(args[3]), int.Parse(args[4]), int.Parse(args[5]),
        args.Length > 6 ? Enum.Parse<LstmNative.Cpu.CpuPrecision>(args[6], true) : LstmNative.Cpu.CpuPrecision.Fp32);
    return;
}
if (args.Length > 0 && args[0] == "gemmrows")
{
    GemmRows.Run(int.Parse(args[1]), int.Parse(args[2]), args[3..].Select(int.Parse).ToArray(), Console.Out);
    return;
}
if (args.Length > 0 && args[0] == "int8vs")
{
    Int8Versus.Run(args.Length > 1 ? int.Parse(args[1]) : 15, args.Length > 2 ? args[2..].Select(int.Parse).ToArray() : [256, 512, 1024]);
    return;
}
if (args.Length > 0 && args[0] == "peak")
{
    Peak.Run();
    return;
}
if (args.Length > 0 && args[0] == "check")
{
    foreach (var cell in new[] { RnnCellType.Lstm, RnnCellType.Gru })
        foreach (int layers in new[] { 1, 2 })
        {
            using var pair = new RnnPair(cell, 64, 4, 20, layers, 1);
            Console.WriteLine($"{cell} layers={layers}: max |LstmNative - ORT| = {pair.MaxDifference():E2}");
        }
    return;
}
if (args.Length > 0 && args[0] == "quick")
{
    // quick CELL H B LAYERS THREADS REPS: best-of-REPS wall time of each engine, interleaved (a fast look, not BenchmarkDotNet).
    var cell = Enum.Parse<RnnCellType>(args[1], true);
    int h = int.Parse(args[2]), b = int.Parse(args[3]), l = int.Parse(args[4]), t = int.Parse(args[5]), reps = int.Parse(args[6]);
    using var pair = new RnnPair(cell, h, b, 100, l, t);
    double bestOrt = double.MaxValue, bestOurs = double.MaxValue;
    for (int i = 0; i < reps; i++)
    {
        var sw = Stopwatch.StartNew();
        pair.RunOnnxRuntime();
        bestOrt = Math.Min(bestOrt, sw.Elapsed.TotalMilliseconds);
        sw.Restart();
        pair.RunLstmNative();
        bestOurs = Math.Min(bestOurs, sw.Elapsed.TotalMilliseconds);
    }
    Console.WriteLine($"{cell} H={h} B={b} L={l} threads={t}: ORT {bestOrt:F3} ms, LstmNative {bestOurs:F3} ms, ratio {bestOurs / bestOrt:F2}");
    return;
}
if (args.Length > 0 && args[0] == "precision")
{
    // precision CELL ROUNDS [H ...]: the reduced-precision comparison of docs/benchmarks.md (not BenchmarkDotNet).
    var cell = Enum.Parse<RnnCellType>(args[1], true);
    int rounds = int.Parse(args[2]);
    int[] hs = args.Length > 3 ? args[3..].Select(int.Parse).ToArray() : [64, 256, 512, 1024];
    PrecisionSet.Compare(cell, hs, rounds, Console.Out);
    return;
}
if (args.Length > 0 && args[0] == "kernels")
{
    // kernels ROUNDS [H ...]: the packed products alone at each weight precision (batch-1 recurrent product, T = 100 input projection).
    int rounds = int.Parse(args[1]);
    int[] hs = args.Length > 2 ? args[2..].Select(int.Parse).ToArray() : [64, 256, 512, 1024];
    KernelProbe.Run(hs, rounds, Console.Out);
    return;
}
if (args.Length > 0 && args[0] == "roofline")
{
    // roofline REPS [H ...]: the batch-1 floor of this machine (stream R + input projection at peak) beside ORT and LstmNative.
    int reps = args.Length > 1 ? int.Parse(args[1]) : 30;
    int[] hs = args.Length > 2 ? args[2..].Select(int.Parse).ToArray() : [64, 256, 512];
    Roofline.Run(hs, reps, Console.Out);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(RnnPair).Assembly).Run(args);

/// <summary>The machine's float32 FMA peak, measured.</summary>
internal static class Peak
{
    public static void Run()
    {
        Console.WriteLine($"{Environment.ProcessorCount} logical processors, Vector256 accelerated: {Vector256.IsHardwareAccelerated}, Vector512: {Vector512.IsHardwareAccelerated}");
        foreach (int threads in new[] { 1, 2 })
        {
            double best = 0;
            for (int rep = 0; rep < 5; rep++)
                best = Math.Max(best, Measure(threads, FmaLoop));
            Console.WriteLine($"register-only FMA loop, {threads} thread(s): {best:F1} GFLOP/s");
        }
        foreach (int threads in new[] { 1, 2 })
        {
            double best = 0;
            for (int rep = 0; rep < 3; rep++)
                best = Math.Max(best, LstmNative.Cpu.GemmProbe.Measure(1024, threads));
            Console.WriteLine($"packed SGEMM 1024^3 (engine kernel), {threads} thread(s): {best:F1} GFLOP/s");
        }
    }

    /// <summary>Best of five register-only FMA runs on one core, GFLOP/s.</summary>
    public static double OneCore()
    {
        double best = 0;
        for (int rep = 0; rep < 5; rep++)
            best = Math.Max(best, Measure(1, FmaLoop));
        return best;
    }

    private static double Measure(int threads, Func<long, double> body)
    {
        const long iterations = 50_000_000;
        var sw = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, threads).Select(_ => Task.Factory.StartNew(() => body(iterations), TaskCreationOptions.LongRunning)).ToArray();
        Task.WaitAll(tasks);
        double flops = threads * iterations * 12.0 * Vector256<float>.Count * 2;
        return flops / sw.Elapsed.TotalSeconds / 1e9;
    }

    // 12 independent FMA chains (enough to cover latency 4 × 2 pipes), no memory traffic.
    private static double FmaLoop(long n)
    {
        var a = Vector256.Create(0.999f);
        var b = Vector256.Create(0.001f);
        Vector256<float> c0 = b, c1 = b, c2 = b, c3 = b, c4 = b, c5 = b, c6 = b, c7 = b, c8 = b, c9 = b, c10 = b, c11 = b;
        for (long i = 0; i < n; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, a, b); c1 = Vector256.FusedMultiplyAdd(c1, a, b);
            c2 = Vector256.FusedMultiplyAdd(c2, a, b); c3 = Vector256.FusedMultiplyAdd(c3, a, b);
            c4 = Vector256.FusedMultiplyAdd(c4, a, b); c5 = Vector256.FusedMultiplyAdd(c5, a, b);
            c6 = Vector256.FusedMultiplyAdd(c6, a, b); c7 = Vector256.FusedMultiplyAdd(c7, a, b);
            c8 = Vector256.FusedMultiplyAdd(c8, a, b); c9 = Vector256.FusedMultiplyAdd(c9, a, b);
            c10 = Vector256.FusedMultiplyAdd(c10, a, b); c11 = Vector256.FusedMultiplyAdd(c11, a, b);
        }
        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }
}

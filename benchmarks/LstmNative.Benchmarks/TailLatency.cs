using System.Diagnostics;
using LstmNative.Cpu;
using LstmNative.Model;

namespace LstmNative.Benchmarks;

/// <summary>
/// <c>tail H THREADS RUNS ENGINE</c>: the distribution of single-run latencies (LSTM, I = H, T = 100, B = 1) of one
/// session. ENGINE = <c>claimed</c> (ours: the forward's chunks go to whichever worker takes them), <c>static</c> (ours
/// with each worker owning a fixed share, as before) or <c>ort</c> (ONNX Runtime on the same model, IntraOpNumThreads =
/// THREADS). What a latency-critical caller sees is the tail, not the best run: run one process per engine, alternated,
/// idle and beside a CPU-bound neighbour, and compare the percentiles.
/// </summary>
internal static class TailLatency
{
    public static void Run(int hidden, int threads, int runs, string engine)
    {
        LayerExecutor.ClaimedForwardEnabled = engine switch
        {
            "claimed" or "ort" or "claimed1" or "claimed2" or "claimed4" => true,
            "static" => false,
            _ => throw new ArgumentException($"engine must be claimed, static or ort, got '{engine}'"),
        };
        if (engine.StartsWith("claimed", StringComparison.Ordinal) && engine.Length > 7)
            LayerExecutor.ChunksPerWorker = engine[7] - '0'; // experiments: chunks per worker
        using var pair = new RnnPair(RnnCellType.Lstm, hidden, 1, 100, 1, threads);
        Action run = engine == "ort" ? pair.RunOnnxRuntime : pair.RunLstmNative;
        for (int i = 0; i < 20; i++)
            run();
        var ms = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            run();
            ms[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(ms);
        double P(double q) => ms[Math.Min(runs - 1, (int)(q * runs))];
        Console.WriteLine($"{engine,-7} H={hidden} threads={threads} runs={runs}: min {ms[0]:F3}  p50 {P(0.5):F3}  p90 {P(0.9):F3}  p99 {P(0.99):F3}  max {ms[^1]:F3}  mean {ms.Average():F3} ms");
    }
}

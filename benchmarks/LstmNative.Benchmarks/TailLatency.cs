using System.Diagnostics;
using LstmNative.Cpu;
using LstmNative.Model;

namespace LstmNative.Benchmarks;

/// <summary>
/// <c>tail H THREADS RUNS MODE</c>: the distribution of single-run latencies (LSTM, I = H, T = 100, B = 1) of one
/// session, MODE = <c>claimed</c> (the forward's chunks go to whichever worker takes them) or <c>static</c> (each worker
/// owns a fixed share). What a latency-critical caller sees is the tail, not the best run: run one process per mode,
/// alternated, on a machine with other load, and compare the percentiles.
/// </summary>
internal static class TailLatency
{
    public static void Run(int hidden, int threads, int runs, string mode)
    {
        LayerExecutor.ClaimedForwardEnabled = mode switch
        {
            "claimed" => true,
            "static" => false,
            _ => throw new ArgumentException($"mode must be claimed or static, got '{mode}'"),
        };
        var layer = new LayerWeights<float>(new RnnLayerOptions(RnnCellType.Lstm, hidden, hidden)).Randomize(new Random(1), 0.1);
        var model = new CpuRnnModel([layer]);
        using var session = model.CreateSession(1, 100, threads);
        var x = new float[100 * hidden];
        for (int i = 0; i < x.Length; i++)
            x[i] = (float)Math.Sin(i * 0.01);
        var y = new float[100 * hidden];
        for (int i = 0; i < 20; i++)
            session.Run(x, 100, 1, y);
        var ms = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            session.Run(x, 100, 1, y);
            ms[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(ms);
        double P(double q) => ms[Math.Min(runs - 1, (int)(q * runs))];
        Console.WriteLine($"{mode,-7} H={hidden} threads={threads} runs={runs}: min {ms[0]:F3}  p50 {P(0.5):F3}  p90 {P(0.9):F3}  p99 {P(0.99):F3}  max {ms[^1]:F3}  mean {ms.Average():F3} ms");
    }
}

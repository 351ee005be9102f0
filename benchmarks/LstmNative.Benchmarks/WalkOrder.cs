using System.Diagnostics;
using LstmNative.Cpu;
using LstmNative.Model;

namespace LstmNative.Benchmarks;

/// <summary>
/// <c>walks CELL H B THREADS ROUNDS [fp32|bf16|int8]</c>: one session (I = H, T = 100), each round one run with the alternating walk and
/// one with the one-way walk (<see cref="LayerExecutor.AlternateWalks"/>), in turn; best and median wall ms of each and
/// their ratio. The same weights at the same addresses serve both, so the comparison is the walk's alone.
/// </summary>
internal static class WalkOrder
{
    public static void Run(RnnCellType cell, int hidden, int batch, int threads, int rounds, CpuPrecision precision)
    {
        using var pair = new RnnPair(cell, hidden, batch, 100, 1, threads, precision);
        var alternating = new double[rounds];
        var oneWay = new double[rounds];
        for (int i = 0; i < 20; i++)
            pair.RunLstmNative();
        try
        {
            for (int i = 0; i < rounds; i++)
            {
                foreach (bool alternate in i % 2 == 0 ? new[] { true, false } : new[] { false, true })
                {
                    LayerExecutor.AlternateWalks = alternate;
                    long start = Stopwatch.GetTimestamp();
                    pair.RunLstmNative();
                    (alternate ? alternating : oneWay)[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }
            }
        }
        finally
        {
            LayerExecutor.AlternateWalks = true;
        }
        Array.Sort(alternating);
        Array.Sort(oneWay);
        double Median(double[] a) => a[a.Length / 2];
        Console.WriteLine($"{cell} {precision} H={hidden} B={batch} threads={threads} rounds={rounds}: alternating best {alternating[0]:F3} median {Median(alternating):F3} ms, " +
            $"one-way best {oneWay[0]:F3} median {Median(oneWay):F3} ms; one-way / alternating best {oneWay[0] / alternating[0]:F2} median {Median(oneWay) / Median(alternating):F2}");
    }
}

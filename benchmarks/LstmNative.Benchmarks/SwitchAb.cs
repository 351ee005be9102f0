using System.Diagnostics;
using LstmNative.Cpu;
using LstmNative.Model;

namespace LstmNative.Benchmarks;

/// <summary>
/// Same-session A/B of one engine switch (I = H, T = 100): each round one run with the switch on and one with it off, in
/// turn; best and median wall ms of each and their ratio. The same weights at the same addresses serve both, so the
/// comparison is the switch's alone (rows of two sessions also differ by where their weights landed in the caches).
/// <c>walks CELL H B THREADS ROUNDS [fp32|bf16|int8]</c>: alternating against one-way walks over R
/// (<see cref="LayerExecutor.AlternateWalks"/>). <c>claims ...</c> (same arguments): the claimed forward against the
/// static split (<see cref="LayerExecutor.ClaimedForwardEnabled"/>).
/// </summary>
internal static class SwitchAb
{
    public static void Run(string mode, RnnCellType cell, int hidden, int batch, int threads, int rounds, CpuPrecision precision)
    {
        var (on, off, set) = mode switch
        {
            "walks" => ("alternating", "one-way", (Action<bool>)(v => LayerExecutor.AlternateWalks = v)),
            "claims" => ("claimed", "static", (Action<bool>)(v => LayerExecutor.ClaimedForwardEnabled = v)),
            _ => throw new ArgumentException($"unknown A/B mode '{mode}' (walks or claims)", nameof(mode)),
        };
        using var pair = new RnnPair(cell, hidden, batch, 100, 1, threads, precision);
        var withOn = new double[rounds];
        var withOff = new double[rounds];
        for (int i = 0; i < 20; i++)
            pair.RunLstmNative();
        try
        {
            for (int i = 0; i < rounds; i++)
            {
                foreach (bool value in i % 2 == 0 ? new[] { true, false } : new[] { false, true })
                {
                    set(value);
                    long start = Stopwatch.GetTimestamp();
                    pair.RunLstmNative();
                    (value ? withOn : withOff)[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }
            }
        }
        finally
        {
            set(true);
        }
        Array.Sort(withOn);
        Array.Sort(withOff);
        double Median(double[] a) => a[a.Length / 2];
        Console.WriteLine($"{cell} {precision} H={hidden} B={batch} threads={threads} rounds={rounds}: {on} best {withOn[0]:F3} median {Median(withOn):F3} ms, " +
            $"{off} best {withOff[0]:F3} median {Median(withOff):F3} ms; {off} / {on} best {withOff[0] / withOn[0]:F2} median {Median(withOff) / Median(withOn):F2}");
    }
}

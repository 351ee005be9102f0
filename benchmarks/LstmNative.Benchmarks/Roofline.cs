using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using LstmNative.Cpu;
using LstmNative.Cpu.Kernels;
using LstmNative.Model;

namespace LstmNative.Benchmarks;

/// <summary>
/// The batch-1 lower bound of this machine, measured: a batch-1 LSTM step must at least read the recurrent weights R
/// (<c>4H·H</c> floats) once and do the input projection's share (<c>2·4H·I</c> flops at the FMA peak). This streams a
/// buffer of R's size the way a matrix–vector product does (every float loaded once, FMA'd into accumulators),
/// back to back as the recurrence does, split over 1 or 2 threads that meet at a spin barrier after every pass as
/// the engine's workers do, and sets the result beside ONNX Runtime's and LstmNative's measured time per step. The
/// stream is timed one-way (every pass first float to last) and alternating (every other pass in runs of 256 KiB from the
/// last run to the first, as the engine walks R: the part of R the previous pass left in L2 is read first); the floor
/// takes the faster.
/// "Best possible speed-up" is ORT's time over the floor: where it is below 2, no implementation reading R in
/// float32 can be 2× faster than ORT on this machine.
/// </summary>
internal static unsafe class Roofline
{
    public static void Run(int[] hiddens, int reps, TextWriter output)
    {
        double peak = MeasurePeak();
        output.WriteLine($"FMA peak (one core, register-only loop): {peak:F1} GFLOP/s");
        output.WriteLine("| H | R bytes | threads | stream R one-way (µs) | stream R alternating (µs) | input projection at peak (µs) | floor per step (µs) | ORT per step (µs) | LstmNative per step (µs) | LstmNative / floor | best possible speed-up over ORT |");
        output.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (int h in hiddens)
        {
            long bytes = 4L * 4 * h * h;
            foreach (int threads in new[] { 1, 2 })
            {
                double oneWay = StreamMicroseconds(bytes, threads, reps, alternate: false);
                double alternating = StreamMicroseconds(bytes, threads, reps, alternate: true);
                double input = 2.0 * 4 * h * h / (peak * threads) / 1e3; // flops / (GFLOP/s) -> µs
                double floor = Math.Min(oneWay, alternating) + input;
                var (ort, ours) = MeasurePair(h, threads, reps);
                output.WriteLine($"| {h} | {bytes / 1024} KiB | {threads} | {oneWay:F2} | {alternating:F2} | {input:F2} | {floor:F2} | {ort:F2} | {ours:F2} | {ours / floor:F2} | {ort / floor:F2} |");
            }
        }
    }

    private static (double Ort, double Ours) MeasurePair(int h, int threads, int reps)
    {
        const int steps = 100;
        using var pair = new RnnPair(RnnCellType.Lstm, h, 1, steps, 1, threads);
        double ort = double.MaxValue, ours = double.MaxValue;
        // Warm-up long enough (seconds, not calls) for tiered compilation to reach its final code: tier-up waits until
        // no new method has been compiled for 100 ms.
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < 3)
        {
            pair.RunOnnxRuntime();
            pair.RunLstmNative();
        }
        // Separate blocks rather than interleaved calls: each engine's worker threads spin for a while after a run and
        // would steal the other engine's cores.
        var sw = new Stopwatch();
        for (int i = 0; i < reps; i++)
        {
            sw.Restart();
            pair.RunOnnxRuntime();
            ort = Math.Min(ort, sw.Elapsed.TotalMicroseconds / steps);
        }
        Thread.Sleep(50);
        for (int i = 0; i < reps; i++)
        {
            sw.Restart();
            pair.RunLstmNative();
            ours = Math.Min(ours, sw.Elapsed.TotalMicroseconds / steps);
        }
        return (ort, ours);
    }

    /// <summary>Best time (µs) of one pass over <paramref name="bytes"/> split over the threads, with a barrier per pass.</summary>
    private static double StreamMicroseconds(long bytes, int threads, int reps, bool alternate)
    {
        const int passes = 200;
        long floatsPerThread = bytes / 4 / threads / 64 * 64;
        var buffers = new float*[threads];
        for (int t = 0; t < threads; t++)
        {
            buffers[t] = (float*)NativeMemory.AlignedAlloc((nuint)(floatsPerThread * 4), 64);
            new Span<float>(buffers[t], (int)floatsPerThread).Fill(0.5f);
        }
        try
        {
            double best = double.MaxValue;
            for (int r = 0; r < reps; r++)
            {
                var barrier = new SpinBarrier();
                barrier.Reset(threads);
                long[] ticks = new long[threads];
                var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
                {
                    long start = Stopwatch.GetTimestamp();
                    var sink = Passes(buffers[t], floatsPerThread, passes, barrier, alternate);
                    ticks[t] = Stopwatch.GetTimestamp() - start;
                    if (Vector256.Sum(sink) == 42)
                        Console.Write("");
                })).ToArray();
                foreach (var w in workers)
                    w.Start();
                foreach (var w in workers)
                    w.Join();
                best = Math.Min(best, ticks.Max() * 1e6 / Stopwatch.Frequency / passes);
            }
            return best;
        }
        finally
        {
            foreach (var b in buffers)
                NativeMemory.AlignedFree(b);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Vector256<float> Passes(float* p, long n, int passes, SpinBarrier barrier, bool alternate)
    {
        const long run = Sgemm.DescendingRunBytes / sizeof(float); // the engine's descending runs
        var sink = Vector256<float>.Zero;
        for (int pass = 0; pass < passes; pass++)
        {
            if (alternate && (pass & 1) == 1)
                for (long q = (n - 1) / run * run; q >= 0; q -= run)
                    sink += Gemv(p + q, Math.Min(run, n - q));
            else
                sink += Gemv(p, n);
            barrier.Wait(); // the engine's own barrier, as its workers meet after every step
        }
        return sink;
    }

    // A matrix–vector product's memory pattern: every float read once and FMA'd with a broadcast value into 8 accumulators.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Gemv(float* p, long n)
    {
        var x = Vector256.Create(1.0001f);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (long i = 0; i < n; i += 64)
        {
            a0 = Vector256.FusedMultiplyAdd(Vector256.Load(p + i), x, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Load(p + i + 8), x, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.Load(p + i + 16), x, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.Load(p + i + 24), x, a3);
            a4 = Vector256.FusedMultiplyAdd(Vector256.Load(p + i + 32), x, a4);
            a5 = Vector256.FusedMultiplyAdd(Vector256.Load(p + i + 40), x, a5);
            a6 = Vector256.FusedMultiplyAdd(Vector256.Load(p + i + 48), x, a6);
            a7 = Vector256.FusedMultiplyAdd(Vector256.Load(p + i + 56), x, a7);
        }
        return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
    }

    private static double MeasurePeak() => Peak.OneCore();
}

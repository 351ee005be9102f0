using LstmNative.Cpu;
using LstmNative.Cpu.Kernels;
using LstmNative.Model;
using NUnit.Framework;

namespace LstmNative.Tests.Cpu;

/// <summary>Shared helpers: widths to test, random problems, and the float32-vs-float64 comparison.</summary>
internal static class CpuTestSupport
{
    /// <summary>Relative tolerance of the fast float32 paths against the float64 reference.</summary>
    public const double RelativeTolerance = 1e-5;

    /// <summary>
    /// Every width: Scalar always; Vector256 where AVX2+FMA run; Vector512 always too (where the CPU lacks AVX-512 the
    /// runtime emulates it, slowly but exactly, so the Vector512 code is still checked).
    /// </summary>
    public static IEnumerable<KernelWidth> Widths()
    {
        yield return KernelWidth.Scalar;
        if (CpuKernels.Detected >= KernelWidth.Vector256)
            yield return KernelWidth.Vector256;
        yield return KernelWidth.Vector512;
    }

    /// <summary>
    /// Bytes this thread allocates running <paramref name="block"/> in the steady state: the fewest of up to
    /// <paramref name="attempts"/> measured runs (stopping at the first that allocates nothing), after one warm-up run.
    /// Why not one measurement: the runtime may do one-off work on the calling thread at any call — a tier-0 method's
    /// loop switching to its optimised (OSR) copy, a type or static first touched — and that allocates a few hundred
    /// bytes once. An allocation made by the code itself, per call or every few calls, shows in every run of the block.
    /// </summary>
    public static long SteadyStateAllocation(Action block, int attempts = 5)
    {
        block();
        long fewest = long.MaxValue;
        for (int i = 0; i < attempts && fewest > 0; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            block();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return fewest;
    }

    private static readonly Lazy<WorkerPool> TwoThreads = new(() => new WorkerPool(2));

    public static CpuRnnOptions Options(KernelWidth width, int threads) =>
        new() { Width = width, Pool = threads == 1 ? null : TwoThreads.Value, Threads = threads };

    /// <summary>A fresh seed every run (NUnit's randomizer), printed so that a failure can be replayed.</summary>
    public static int FreshSeed()
    {
        int seed = TestContext.CurrentContext.Random.Next();
        TestContext.Out.WriteLine($"seed {seed}");
        return seed;
    }

    public static float[] RandomFloats(Random rng, int n, double scale)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++)
            a[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return a;
    }

    public static double[] ToDoubles(float[] a) => Array.ConvertAll(a, v => (double)v);

    /// <summary>
    /// Element-wise check <c>|a - r| ≤ rtol · (|r| + rms(r))</c>: relative to the element, with the array's RMS as the
    /// floor so that elements that are zero up to cancellation are judged against the tensor's own scale.
    /// Returns the first few failures, empty when all pass.
    /// </summary>
    public static List<string> Compare(string name, ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, double rtol, out double worst)
    {
        var failures = new List<string>();
        worst = 0;
        if (actual.Length != expected.Length)
        {
            failures.Add($"{name}: length {actual.Length}, expected {expected.Length}");
            return failures;
        }
        double rms = 0;
        foreach (double v in expected)
            rms += v * v;
        rms = expected.Length > 0 ? Math.Sqrt(rms / expected.Length) : 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double err = Math.Abs(actual[i] - expected[i]);
            // The floor 1e-2 makes the check absolute (1e-7 at rtol 1e-5, about one float32 ulp of 1) for elements that
            // are far smaller than the unit-scale terms summed into them: a single-element dX of a one-step layer is
            // such a cancellation result, and its float32 rounding is relative to the terms, not to the tiny sum.
            double scale = Math.Abs(expected[i]) + rms + 1e-2;
            double rel = scale > 0 ? err / scale : err;
            if (double.IsNaN(actual[i]) != double.IsNaN(expected[i]))
                rel = double.PositiveInfinity;
            worst = Math.Max(worst, rel);
            if (rel > rtol && failures.Count < 8)
                failures.Add($"{name}[{i}]: {actual[i]:G9} vs {expected[i]:G9} (rel {rel:E2})");
        }
        return failures;
    }
}

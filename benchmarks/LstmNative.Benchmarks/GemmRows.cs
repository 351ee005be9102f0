using LstmNative.Cpu;
using LstmNative.Cpu.Kernels;

namespace LstmNative.Benchmarks;

/// <summary>
/// <c>gemmrows H ROUNDS M...</c>: the float32 packed product's rate (GMAC/s per thread) at each row count M with an
/// LSTM layer's shape (K = H, N = 4H), rounds interleaved over M; best and median of each thread's CPU time. Shows what
/// the micro-kernel's row tail costs (M = 32 is five 6-row tiles and a 2-row one).
/// <para>
/// <c>LSTMNATIVE_GEMMROWS_THREADS=2</c> runs the product on that many threads at once, started together each round, as
/// the batched recurrence's workers run it: <c>LSTMNATIVE_GEMMROWS_SPLIT=rows</c> (default) gives every thread its own
/// M rows and all of B (the batch split: each streams all of R), <c>units</c> the same M rows and a share of B's panels
/// (the unit split: R read once between them). The rate is per thread, so it compares with one thread directly.
/// </para>
/// </summary>
internal static unsafe class GemmRows
{
    public static void Run(int hidden, int rounds, int[] rowCounts, TextWriter output)
    {
        int k = hidden, n = 4 * hidden, nr = 2 * (int)CpuKernels.Active;
        int threads = int.TryParse(Environment.GetEnvironmentVariable("LSTMNATIVE_GEMMROWS_THREADS"), out int t) ? Math.Max(1, t) : 1;
        bool unitSplit = Environment.GetEnvironmentVariable("LSTMNATIVE_GEMMROWS_SPLIT") == "units";
        var rng = new Random(5);
        var w = new float[k * n];
        for (int i = 0; i < w.Length; i++)
            w[i] = (float)(rng.NextDouble() * 2 - 1);
        var b = new PackedMatrix(k, n, nr, CpuPrecision.Fp32);
        b.Pack(new KernelProbe.Map(w, n));
        int maxRows = rowCounts.Max();
        var times = new List<double>[threads, rowCounts.Length];
        for (int th = 0; th < threads; th++)
            for (int i = 0; i < rowCounts.Length; i++)
                times[th, i] = [];
        using var start = new Barrier(threads);
        void Worker(int th)
        {
            var a = new AlignedBuffer((long)maxRows * k);
            var r0 = new Random(6 + th);
            for (int i = 0; i < a.Length; i++)
                a.Span[i] = (float)(r0.NextDouble() * 2 - 1);
            var c = new AlignedBuffer((long)maxRows * b.Panels * nr);
            var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
            int p0 = unitSplit ? b.Panels * th / threads : 0, pc = unitSplit ? b.Panels * (th + 1) / threads - p0 : b.Panels;
            for (int r = 0; r < rounds + 1; r++)
                for (int i = 0; i < rowCounts.Length; i++)
                {
                    int m = rowCounts[i], inner = Math.Max(1, (int)(200_000_000L / ((long)m * k * n)));
                    start.SignalAndWait();
                    double t0 = Clock.ThreadCpuMs();
                    for (int it = 0; it < inner; it++)
                        KernelProbe.Product(m, k, a.Pointer, b, p0, pc, c.Pointer, b.Panels * nr, scratch.Pointer);
                    if (r > 0)
                        times[th, i].Add((Clock.ThreadCpuMs() - t0) / inner * b.Panels / pc);
                }
            GC.KeepAlive(a);
            GC.KeepAlive(c);
            GC.KeepAlive(scratch);
        }
        var pool = Enumerable.Range(1, threads - 1).Select(th => new Thread(() => Worker(th))).ToArray();
        foreach (var th in pool)
            th.Start();
        Worker(0);
        foreach (var th in pool)
            th.Join();
        GC.KeepAlive(b);
        string how = threads == 1 ? "one thread" : $"{threads} threads at once, {(unitSplit ? "a share of B's panels each" : "all of B each")}";
        output.WriteLine($"float32 packed product, width {CpuKernels.Active}, K = {k}, N = {n}, {how}, {rounds} rounds: GMAC/s per thread, best / median");
        for (int i = 0; i < rowCounts.Length; i++)
        {
            double macs = (double)rowCounts[i] * k * n;
            var cells = Enumerable.Range(0, threads).Select(th => $"{macs / times[th, i].Min() / 1e6,6:F1} / {macs / Clock.Median(times[th, i]) / 1e6,6:F1}");
            output.WriteLine($"  M = {rowCounts[i],4}: {string.Join("   ", cells)}");
        }
    }
}

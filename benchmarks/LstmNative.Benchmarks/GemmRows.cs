using LstmNative.Cpu;
using LstmNative.Cpu.Kernels;

namespace LstmNative.Benchmarks;

/// <summary>
/// <c>gemmrows H ROUNDS M...</c>: the float32 packed product's rate (GMAC/s, one thread) at each row count M with an
/// LSTM layer's shape (K = H, N = 4H), rounds interleaved over M; best and median of this thread's CPU time. Shows what
/// the micro-kernel's row tail costs (M = 32 is five 6-row tiles and a 2-row one).
/// </summary>
internal static unsafe class GemmRows
{
    public static void Run(int hidden, int rounds, int[] rowCounts, TextWriter output)
    {
        int k = hidden, n = 4 * hidden, nr = 2 * (int)CpuKernels.Active;
        var rng = new Random(5);
        var w = new float[k * n];
        for (int i = 0; i < w.Length; i++)
            w[i] = (float)(rng.NextDouble() * 2 - 1);
        var b = new PackedMatrix(k, n, nr, CpuPrecision.Fp32);
        b.Pack(new KernelProbe.Map(w, n));
        int maxRows = rowCounts.Max();
        var a = new AlignedBuffer((long)maxRows * k);
        for (int i = 0; i < a.Length; i++)
            a.Span[i] = (float)(rng.NextDouble() * 2 - 1);
        var c = new AlignedBuffer((long)maxRows * b.Panels * nr);
        var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
        var times = rowCounts.Select(_ => new List<double>()).ToArray();
        for (int r = 0; r < rounds + 1; r++)
            for (int i = 0; i < rowCounts.Length; i++)
            {
                int m = rowCounts[i], inner = Math.Max(1, (int)(200_000_000L / ((long)m * k * n)));
                double t0 = Clock.ThreadCpuMs();
                for (int it = 0; it < inner; it++)
                    KernelProbe.Product(m, k, a.Pointer, b, c.Pointer, b.Panels * nr, scratch.Pointer);
                if (r > 0)
                    times[i].Add((Clock.ThreadCpuMs() - t0) / inner);
            }
        GC.KeepAlive(a);
        GC.KeepAlive(c);
        GC.KeepAlive(scratch);
        output.WriteLine($"float32 packed product, width {CpuKernels.Active}, K = {k}, N = {n}, one thread, {rounds} rounds: GMAC/s best / median");
        for (int i = 0; i < rowCounts.Length; i++)
        {
            double macs = (double)rowCounts[i] * k * n;
            output.WriteLine($"  M = {rowCounts[i],4}: {macs / times[i].Min() / 1e6,6:F1} / {macs / Clock.Median(times[i]) / 1e6,6:F1}");
        }
    }
}

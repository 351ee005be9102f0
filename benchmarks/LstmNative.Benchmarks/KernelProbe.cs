using System.Diagnostics;
using LstmNative.Cpu;
using LstmNative.Cpu.Kernels;

namespace LstmNative.Benchmarks;

/// <summary>
/// The packed products on their own at each weight precision, with the shapes of one LSTM layer (K = H, N = 4H, Vector256):
/// the batch-1 recurrent product (1 row: R streamed from cache) and the input projection of a T = 100 run (100 rows).
/// Interleaved rounds; minimum and median of this thread's CPU time.
/// </summary>
internal static unsafe class KernelProbe
{
    public static void Run(int[] hidden, int rounds, TextWriter output)
    {
        output.WriteLine($"packed products, width {CpuKernels.Active}, {rounds} interleaved rounds; thread CPU µs per product, min / median");
        foreach (int h in hidden)
            foreach (int rows in new[] { 1, 100 })
            {
                int k = h, n = 4 * h, nr = 2 * (int)CpuKernels.Active;
                var rng = new Random(5);
                var w = new float[k * n];
                for (int i = 0; i < w.Length; i++)
                    w[i] = (float)((rng.NextDouble() * 2 - 1) / Math.Sqrt(h));
                var packs = PrecisionSet.Variants.Select(v =>
                {
                    var m = PrecisionSet.Packed(v.Managed, () => new PackedMatrix(k, n, nr, v.Precision));
                    m.Pack(new Map(w, n));
                    return m;
                }).ToArray();
                var a = new AlignedBuffer((long)rows * k);
                for (int i = 0; i < a.Length; i++)
                    a.Span[i] = (float)(rng.NextDouble() * 2 - 1);
                var c = new AlignedBuffer((long)rows * packs[0].Panels * nr);
                var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
                int inner = Math.Max(1, (int)(20_000_000L / ((long)rows * k * n)));
                var times = packs.Select(_ => new List<double>()).ToArray();
                for (int r = 0; r < rounds + 1; r++)
                    for (int i = 0; i < packs.Length; i++)
                    {
                        double t0 = Clock.ThreadCpuMs();
                        for (int it = 0; it < inner; it++)
                            Product(rows, k, a.Pointer, packs[i], c.Pointer, packs[0].Panels * nr, scratch.Pointer);
                        if (r > 0)
                            times[i].Add((Clock.ThreadCpuMs() - t0) * 1000 / inner);
                    }
                GC.KeepAlive(a); // the products saw only their pointers
                GC.KeepAlive(c);
                GC.KeepAlive(scratch);
                output.Write($"  H={h,4} rows={rows,3}:");
                for (int i = 0; i < packs.Length; i++)
                    output.Write($"  {PrecisionSet.Variants[i].Name} {times[i].Min(),9:F2} / {Clock.Median(times[i]),9:F2}" + (i > 0 ? $" ({Clock.Median(times[0]) / Clock.Median(times[i]):F2}x)" : ""));
                output.WriteLine();
            }
    }

    private static void Product(int rows, int k, float* a, PackedMatrix b, float* c, nint ldc, float* scratch)
    {
        switch (CpuKernels.Active)
        {
            case KernelWidth.Vector512: Sgemm.Run<Vec512>(rows, k, a, k, 1, b, 0, b.Panels, c, ldc, false, scratch); break;
            case KernelWidth.Vector256: Sgemm.Run<Vec256>(rows, k, a, k, 1, b, 0, b.Panels, c, ldc, false, scratch); break;
            default: Sgemm.Run<VecS>(rows, k, a, k, 1, b, 0, b.Panels, c, ldc, false, scratch); break;
        }
    }

    private readonly struct Map(float[] w, int n) : IElementMap
    {
        public float Get(int k, int col) => w[k * n + col];
    }
}

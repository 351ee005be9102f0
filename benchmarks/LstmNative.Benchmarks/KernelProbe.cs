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
                    var m = PrecisionSet.Packed(v.Managed, () => new PackedMatrix(k, n, nr, v.Precision) { StaticRange = v.Static ? 1f : 0f });
                    m.Pack(new Map(w, n));
                    return m;
                }).ToArray();
                var a = new AlignedBuffer((long)rows * k);
                for (int i = 0; i < a.Length; i++)
                    a.Span[i] = (float)(rng.NextDouble() * 2 - 1);
                var c = new AlignedBuffer((long)rows * packs[0].Panels * nr);
                var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
                // LSTMNATIVE_KERNELS_INNER: products per timing (default ~20M multiply-adds' worth); a large count keeps the
                // matrix resident in L3 between products as an engine's recurrence does (H = 1024's 16 MiB R included).
                int inner = int.TryParse(Environment.GetEnvironmentVariable("LSTMNATIVE_KERNELS_INNER"), out int set) && set > 0
                    ? set : Math.Max(1, (int)(20_000_000L / ((long)rows * k * n)));
                // The last column is fp32 again with the native batch-1 kernel switched off (NativeCpu.EnableFp32(false)).
                var times = packs.Append(packs[0]).Select(_ => new List<double>()).ToArray();
                for (int r = 0; r < rounds + 1; r++)
                    for (int i = 0; i < times.Length; i++)
                    {
                        var pack = packs[i % packs.Length];
                        NativeCpu.EnableFp32(i < packs.Length);
                        double t0 = Clock.ThreadCpuMs();
                        for (int it = 0; it < inner; it++)
                            Product(rows, k, a.Pointer, pack, c.Pointer, packs[0].Panels * nr, scratch.Pointer);
                        if (r > 0)
                            times[i].Add((Clock.ThreadCpuMs() - t0) * 1000 / inner);
                        NativeCpu.EnableFp32(true);
                    }
                GC.KeepAlive(a); // the products saw only their pointers
                GC.KeepAlive(c);
                GC.KeepAlive(scratch);
                output.Write($"  H={h,4} rows={rows,3}:");
                for (int i = 0; i < times.Length; i++)
                    output.Write($"  {(i < packs.Length ? PrecisionSet.Variants[i].Name : "Fp32 managed")} {times[i].Min(),9:F2} / {Clock.Median(times[i]),9:F2}" + (i > 0 ? $" ({Clock.Median(times[0]) / Clock.Median(times[i]):F2}x)" : ""));
                output.WriteLine();
            }
    }

    /// <summary>The float32 packed product at the width this process runs (GemmRows uses it too).</summary>
    internal static void Product(int rows, int k, float* a, PackedMatrix b, float* c, nint ldc, float* scratch) =>
        Product(rows, k, a, b, 0, b.Panels, c, ldc, scratch);

    /// <summary>The same over panels [p0, p0 + panelCount) of b.</summary>
    internal static void Product(int rows, int k, float* a, PackedMatrix b, int p0, int panelCount, float* c, nint ldc, float* scratch)
    {
        switch (CpuKernels.Active)
        {
            case KernelWidth.Vector512: Sgemm.Run<Vec512>(rows, k, a, k, 1, b, p0, panelCount, c, ldc, false, scratch); break;
            case KernelWidth.Vector256: Sgemm.Run<Vec256>(rows, k, a, k, 1, b, p0, panelCount, c, ldc, false, scratch); break;
            default: Sgemm.Run<VecS>(rows, k, a, k, 1, b, p0, panelCount, c, ldc, false, scratch); break;
        }
    }

    /// <summary>A row-major [K, N] array as the element map packing reads.</summary>
    internal readonly struct Map(float[] w, int n) : IElementMap
    {
        public float Get(int k, int col) => w[k * n + col];
    }
}

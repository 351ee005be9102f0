using System.Runtime.CompilerServices;

namespace LstmNative.Cpu.Kernels;

/// <summary>
/// Single-precision GEMM on a pre-packed right operand: <c>C[M, cols] (+)= A[M, K] · B[K, cols]</c>, where
/// <c>cols</c> is a range of B's panels. The loop nest is the classic Goto/BLIS one: K in blocks of
/// <see cref="KC"/> (a panel's K-block, KC·NR floats = 16 KiB for AVX2, stays in L1), rows in blocks of <see cref="MC"/>
/// (the packed A block, MC·KC floats, stays in L2), then an MR × NR register-blocked micro-kernel
/// (6 rows × 2 registers, 12 accumulators). A is read through strides, so transposed operands cost nothing extra.
/// B may be stored in reduced precision (<see cref="PackedMatrix.Precision"/>): bf16 panels are widened in the
/// micro-kernels (<see cref="IPanelCodec"/>), or, packed as pairs for the native kernel, run <c>vdpbf16ps</c>
/// (<see cref="NativeCpu"/>); int8 panels run <see cref="QGemm"/>.
/// </summary>
internal static unsafe class Sgemm
{
    /// <summary>Rows of the micro-kernel.</summary>
    public const int MR = 6;

    /// <summary>K block.</summary>
    public const int KC = 256;

    /// <summary>Row block (multiple of MR).</summary>
    public const int MC = 96;

    /// <summary>
    /// Longest K-block of a product with at most <see cref="MR"/> rows (the packed sliver, MR floats per k, fills the scratch).
    /// </summary>
    internal const int SliverKC = MC * KC / MR;

    /// <summary>Floats of scratch a caller provides for the packed A block.</summary>
    public const int ScratchFloats = MC * KC;

    /// <summary>
    /// C rows m ∈ [0, M), panels p ∈ [p0, p0 + panelCount): <c>C[m, p·NR + j] (+)= Σ_k A(m, k) · B[k, p·NR + j]</c> with
    /// <c>A(m, k) = a[m·ars + k·acs]</c>. <paramref name="scratch"/> holds <see cref="ScratchFloats"/> floats, private to the caller.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    public static void Run<TV>(int m, int k, float* a, nint ars, nint acs, PackedMatrix b, int p0, int panelCount,
        float* c, nint ldc, bool accumulate, float* scratch) where TV : unmanaged, IVec<TV>
    {
        switch (b.Precision)
        {
            case CpuPrecision.Bf16:
                if (b.IsBf16Pairs)
                    NativeCpu.RunBf16(m, k, a, ars, acs, b, p0, panelCount, c, ldc, accumulate, scratch); // packed for vdpbf16ps (NativeCpu)
                else
                    Run<TV, Bf16Panels>(m, k, a, ars, acs, b, p0, panelCount, c, ldc, accumulate, scratch);
                break;
            case CpuPrecision.Int8:
                if (typeof(TV) == typeof(Vec256))
                    QGemm.Run<Vec256, QVec256>(m, k, a, ars, acs, b, p0, panelCount, c, ldc, accumulate, scratch);
                else if (typeof(TV) == typeof(Vec512))
                    QGemm.Run<Vec512, QVec512>(m, k, a, ars, acs, b, p0, panelCount, c, ldc, accumulate, scratch);
                else
                    QGemm.Run<VecS, QVecS>(m, k, a, ars, acs, b, p0, panelCount, c, ldc, accumulate, scratch);
                break;
            default:
                // One row at 512 bits: the native loop streams the panels faster than the JIT's (NativeCpu.RunFp32), same bits.
                if (m == 1 && typeof(TV) == typeof(Vec512) && b.PanelWidth == 32 && NativeCpu.Fp32Gemv)
                    NativeCpu.RunFp32(k, a, acs, b, p0, panelCount, c, accumulate);
                // 2-4 rows (small batches): the native loop loads each pair of panels once for all rows, A read in place, same bits.
                else if (m is >= 2 and <= 4 && typeof(TV) == typeof(Vec512) && b.PanelWidth == 32 && NativeCpu.Fp32Rows)
                    NativeCpu.RunFp32Rows(m, k, a, ars, acs, b, p0, panelCount, c, ldc, accumulate);
                else
                    Run<TV, F32Panels>(m, k, a, ars, acs, b, p0, panelCount, c, ldc, accumulate, scratch);
                break;
        }
        // The kernels read b's panels through raw pointers: b (and its pinned buffer) must outlive them even when the
        // caller holds it nowhere else (the GC would otherwise be free to reclaim it after its last managed use).
        GC.KeepAlive(b);
    }

    /// <summary>Bytes of the runs of panels a descending <see cref="RunRecurrent{TV}"/> reads per call.</summary>
    internal const long DescendingRunBytes = 256 * 1024;

    /// <summary>
    /// A recurrent product, which reads the same panels of R at every step: <see cref="Run{TV}"/>, or with
    /// <paramref name="descending"/> the same product over runs of about <see cref="DescendingRunBytes"/> of panels, the
    /// last run first. The walk alternates (LayerExecutor.Descending): an ascending step leaves R's last panels in L2,
    /// and the descending step after it starts with them, where two ascending steps in a row find nothing of R left
    /// when R is larger than L2 (each evicts what the next needs first). The results are bit for bit those of one
    /// ascending call: every panel's columns are summed alone, and the runs are whole pairs from p0, as the batch-1
    /// kernels pair them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    public static void RunRecurrent<TV>(int m, int k, float* a, nint ars, nint acs, PackedMatrix b, int p0, int panelCount,
        float* c, nint ldc, bool accumulate, float* scratch, bool descending) where TV : unmanaged, IVec<TV>
    {
        int run = DescendingRunPanels(m, b, panelCount, descending);
        if (run == 0)
        {
            Run<TV>(m, k, a, ars, acs, b, p0, panelCount, c, ldc, accumulate, scratch);
            return;
        }
        for (int q = (panelCount - 1) / run * run; q >= 0; q -= run)
            Run<TV>(m, k, a, ars, acs, b, p0 + q, Math.Min(run, panelCount - q), c, ldc, accumulate, scratch);
    }

    /// <summary>Rows up to which a descending <see cref="RunRecurrent{TV}"/> reads <paramref name="b"/> in runs.</summary>
    /// <remarks>
    /// One row streams R: each loaded weight feeds one FMA, and the loads, not the FMA units, set the pace. With more
    /// rows each weight feeds more FMAs, the order of reading gains less, and restarting the prefetchers at every run
    /// costs: <c>walks</c> (one session, in turn, 200 rounds; 2026-12-07) measured one-way / alternating 1.03-1.12 at
    /// B = 1, 1.02-1.05 best but 0.96-1.04 median at B = 2, 0.93-0.99 at B = 3-6 (H = 256 and 512, one thread), on the
    /// managed kernels. The native float32 kernel of 2-4 rows (<see cref="NativeCpu.RunFp32Rows"/>) loads each pair of
    /// panels once for all rows, so two rows stream R much as one does: alternating / one-way at B = 2, H = 512, one
    /// thread, p50 of separate processes in turn, 0.83-0.99 in seven of eight rounds (1.08 in one), 0.96-1.01 at
    /// H = 256 and 0.98-1.00 at H = 1024 in three (2026-12-07, fifteenth session); at B = 3 and 4 it was inconclusive on a noisy host, so runs stop at two rows there.
    /// </remarks>
    internal static int MaxRowsInRuns(PackedMatrix b) =>
        b.Precision == CpuPrecision.Fp32 && b.PanelWidth == 32 && NativeCpu.Fp32Rows ? 2 : 1;

    /// <summary>
    /// Panels in one run of a descending product of <paramref name="m"/> rows over <paramref name="panelCount"/> of b's
    /// panels (whole pairs, so even), or 0 when it reads them in one run: not <paramref name="descending"/>, more than
    /// <see cref="MaxRowsInRuns"/> rows, or panels that fit one run. The fused int8 product takes the same value.
    /// </summary>
    internal static int DescendingRunPanels(int m, PackedMatrix b, int panelCount, bool descending)
    {
        int run = RunPanels(b);
        return descending && m <= MaxRowsInRuns(b) && panelCount > run ? run : 0;
    }

    // Whole pairs (even), at least one.
    private static int RunPanels(PackedMatrix b) => (int)Math.Max(2, DescendingRunBytes / Math.Max(1, b.PanelBytes)) & ~1;

    /// <summary>The managed float32 kernels alone (never the native one): the reference <see cref="NativeCpu"/> checks its float32 kernel against.</summary>
    internal static void RunManaged<TV>(int m, int k, float* a, nint ars, nint acs, PackedMatrix b, int p0, int panelCount,
        float* c, nint ldc, bool accumulate, float* scratch) where TV : unmanaged, IVec<TV>
    {
        Run<TV, F32Panels>(m, k, a, ars, acs, b, p0, panelCount, c, ldc, accumulate, scratch);
        GC.KeepAlive(b);
    }

    /// <summary>Zeroes C's columns of panels [p0, p0 + panelCount) in rows [0, m) (a product with K = 0).</summary>
    internal static void ClearColumns(int m, int nr, int p0, int panelCount, float* c, nint ldc)
    {
        for (int i = 0; i < m; i++)
            new Span<float>(c + i * ldc + p0 * nr, panelCount * nr).Clear();
    }

    // Fully optimised from the first call: a tier-0 copy of this loop nest, which a short-lived process or the first
    // calls of a service run for up to the tiering delay, measured 2x slower per batch-1 product at H = 64.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<TV, TC>(int m, int k, float* a, nint ars, nint acs, PackedMatrix b, int p0, int panelCount,
        float* c, nint ldc, bool accumulate, float* scratch) where TV : unmanaged, IVec<TV> where TC : struct, IPanelCodec
    {
        int nr = b.PanelWidth;
        if (m <= 0 || panelCount <= 0)
            return;
        if (k == 0)
        {
            if (!accumulate)
                ClearColumns(m, nr, p0, panelCount, c, ldc);
            return;
        }
        // K is blocked so that a panel's K-block stays in L1 while the micro-kernel sweeps up to MC rows. A single sliver
        // (batch <= MR, e.g. the batch-1 recurrent product) reuses no block, so it takes K whole: one unbroken stream per
        // panel for the prefetchers and C written once (measured at batch 1, H = 512, bf16: 7.5 -> 6.7 ms per T = 100 run).
        int kBlock = m <= MR ? SliverKC : KC;
        for (int k0 = 0; k0 < k; k0 += kBlock)
        {
            int kc = Math.Min(kBlock, k - k0);
            bool acc = accumulate || k0 > 0;
            for (int m0 = 0; m0 < m; m0 += MC)
            {
                int mc = Math.Min(MC, m - m0);
                PackA(a + m0 * ars + k0 * acs, ars, acs, mc, kc, scratch);
                for (int p = p0; p < p0 + panelCount; p++)
                {
                    byte* bp = b.PanelData(p) + (long)k0 * nr * TC.ElementBytes;
                    float* cp = c + m0 * ldc + p * nr;
                    if (mc == 1 && p + 1 < p0 + panelCount)
                    {
                        // Batch 1: two panels per broadcast (measured at H = 64-512: float32 5-15 % faster than one panel per call).
                        Kernel1x2<TV, TC>(scratch, bp, bp + b.PanelBytes, kc, cp, acc);
                        p++;
                        continue;
                    }
                    for (int i = 0; i < mc; i += MR)
                        Micro<TV, TC>(Math.Min(MR, mc - i), scratch + i * kc, bp, kc, cp + i * ldc, ldc, acc);
                }
            }
        }
    }

    /// <summary>Packs rows [0, mc) × k [0, kc) of A into MR-row slivers: sliver s, step k holds A(s·MR + r, k) at [s·kc·MR + k·MR + r].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA(float* a, nint ars, nint acs, int mc, int kc, float* dst)
    {
        for (int i0 = 0; i0 < mc; i0 += MR)
        {
            int rows = Math.Min(MR, mc - i0);
            float* d = dst + i0 * kc;
            if (acs == 1 && rows == MR)
            {
                // A full sliver row by row in k: six read streams, one contiguous write. Filled a column at a time (each
                // store 24 bytes past the last), packing took ~5 cycles a float and 7.6 % of a two-thread B = 64, H = 512
                // run (perf), where every worker packs the whole input block for its panels.
                float* s0 = a + i0 * ars, s1 = s0 + ars, s2 = s1 + ars, s3 = s2 + ars, s4 = s3 + ars, s5 = s4 + ars;
                for (int kk = 0; kk < kc; kk++, d += MR)
                {
                    d[0] = s0[kk];
                    d[1] = s1[kk];
                    d[2] = s2[kk];
                    d[3] = s3[kk];
                    d[4] = s4[kk];
                    d[5] = s5[kk];
                }
            }
            else
            {
                // A partial sliver (the last of a block) or a strided A: the same order, k outer.
                for (int kk = 0; kk < kc; kk++)
                {
                    float* s = a + i0 * ars + kk * acs;
                    for (int r = 0; r < rows; r++)
                        d[kk * MR + r] = s[r * ars];
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Micro<TV, TC>(int rows, float* a, byte* b, int k, float* c, nint ldc, bool acc)
        where TV : unmanaged, IVec<TV> where TC : struct, IPanelCodec
    {
        switch (rows)
        {
            case 1: Kernel1<TV, TC>(a, b, k, c, acc); break;
            case 2: Kernel2<TV, TC>(a, b, k, c, ldc, acc); break;
            case 3: Kernel<TV, TC, Rows3>(a, b, k, c, ldc, acc); break;
            case 4: Kernel<TV, TC, Rows4>(a, b, k, c, ldc, acc); break;
            case 5: Kernel<TV, TC, Rows5>(a, b, k, c, ldc, acc); break;
            default: Kernel<TV, TC, Rows6>(a, b, k, c, ldc, acc); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Put<TV>(float* c, TV v, bool acc) where TV : unmanaged, IVec<TV> =>
        TV.Store(c, acc ? TV.Add(TV.Load(c), v) : v);

    /// <summary>Three to six rows; the row count is a type so the JIT drops the unused accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<TV, TC, TR>(float* a, byte* b, int k, float* c, nint ldc, bool acc)
        where TV : unmanaged, IVec<TV> where TC : struct, IPanelCodec where TR : struct, IRowCount
    {
        int w = TV.Count, rb = 2 * w * TC.ElementBytes;
        TV c00 = TV.Zero, c01 = TV.Zero, c10 = TV.Zero, c11 = TV.Zero, c20 = TV.Zero, c21 = TV.Zero;
        TV c30 = TV.Zero, c31 = TV.Zero, c40 = TV.Zero, c41 = TV.Zero, c50 = TV.Zero, c51 = TV.Zero;
        for (int kk = 0; kk < k; kk++)
        {
            TV b0 = TC.Low<TV>(b), b1 = TC.High<TV>(b);
            TV x = TV.Broadcast(a[0]);
            c00 = TV.Fma(b0, x, c00); c01 = TV.Fma(b1, x, c01);
            x = TV.Broadcast(a[1]);
            c10 = TV.Fma(b0, x, c10); c11 = TV.Fma(b1, x, c11);
            x = TV.Broadcast(a[2]);
            c20 = TV.Fma(b0, x, c20); c21 = TV.Fma(b1, x, c21);
            if (TR.Rows > 3)
            {
                x = TV.Broadcast(a[3]);
                c30 = TV.Fma(b0, x, c30); c31 = TV.Fma(b1, x, c31);
            }
            if (TR.Rows > 4)
            {
                x = TV.Broadcast(a[4]);
                c40 = TV.Fma(b0, x, c40); c41 = TV.Fma(b1, x, c41);
            }
            if (TR.Rows > 5)
            {
                x = TV.Broadcast(a[5]);
                c50 = TV.Fma(b0, x, c50); c51 = TV.Fma(b1, x, c51);
            }
            a += MR;
            b += rb;
        }
        Put(c, c00, acc); Put(c + w, c01, acc); c += ldc;
        Put(c, c10, acc); Put(c + w, c11, acc); c += ldc;
        Put(c, c20, acc); Put(c + w, c21, acc); c += ldc;
        if (TR.Rows > 3)
        {
            Put(c, c30, acc); Put(c + w, c31, acc); c += ldc;
        }
        if (TR.Rows > 4)
        {
            Put(c, c40, acc); Put(c + w, c41, acc); c += ldc;
        }
        if (TR.Rows > 5)
        {
            Put(c, c50, acc); Put(c + w, c51, acc);
        }
    }

    /// <summary>One row (batch 1: a matrix-vector product). K unrolled by 4 so 8 FMA chains hide the FMA latency.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel1<TV, TC>(float* a, byte* b, int k, float* c, bool acc)
        where TV : unmanaged, IVec<TV> where TC : struct, IPanelCodec
    {
        int w = TV.Count, rb = 2 * w * TC.ElementBytes;
        TV s0 = TV.Zero, s1 = TV.Zero, t0 = TV.Zero, t1 = TV.Zero, u0 = TV.Zero, u1 = TV.Zero, v0 = TV.Zero, v1 = TV.Zero;
        int kk = 0;
        for (; kk + 4 <= k; kk += 4)
        {
            TV x = TV.Broadcast(a[0]);
            s0 = TV.Fma(TC.Low<TV>(b), x, s0); s1 = TV.Fma(TC.High<TV>(b), x, s1);
            x = TV.Broadcast(a[MR]);
            t0 = TV.Fma(TC.Low<TV>(b + rb), x, t0); t1 = TV.Fma(TC.High<TV>(b + rb), x, t1);
            x = TV.Broadcast(a[2 * MR]);
            u0 = TV.Fma(TC.Low<TV>(b + 2 * rb), x, u0); u1 = TV.Fma(TC.High<TV>(b + 2 * rb), x, u1);
            x = TV.Broadcast(a[3 * MR]);
            v0 = TV.Fma(TC.Low<TV>(b + 3 * rb), x, v0); v1 = TV.Fma(TC.High<TV>(b + 3 * rb), x, v1);
            a += 4 * MR;
            b += 4 * rb;
        }
        for (; kk < k; kk++)
        {
            TV x = TV.Broadcast(a[0]);
            s0 = TV.Fma(TC.Low<TV>(b), x, s0); s1 = TV.Fma(TC.High<TV>(b), x, s1);
            a += MR;
            b += rb;
        }
        Put(c, TV.Add(TV.Add(s0, t0), TV.Add(u0, v0)), acc);
        Put(c + w, TV.Add(TV.Add(s1, t1), TV.Add(u1, v1)), acc);
    }

    /// <summary>
    /// One row against two adjacent panels (C's columns of both are contiguous), K unrolled by 2 (8 chains): one
    /// broadcast feeds twice the loads (and, for bf16, the decoding) and FMAs, two streams are in flight, and the
    /// per-call overhead is paid once per two panels.
    /// No software prefetch: with K unblocked for a single row each panel is one sequential stream, which the hardware
    /// prefetchers follow (measured at batch 1, H = 256-1024: prefetching 512 bytes ahead was 0-8 % slower).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel1x2<TV, TC>(float* a, byte* b, byte* b2, int k, float* c, bool acc)
        where TV : unmanaged, IVec<TV> where TC : struct, IPanelCodec
    {
        int w = TV.Count, rb = 2 * w * TC.ElementBytes;
        TV s0 = TV.Zero, s1 = TV.Zero, t0 = TV.Zero, t1 = TV.Zero, u0 = TV.Zero, u1 = TV.Zero, v0 = TV.Zero, v1 = TV.Zero;
        int kk = 0;
        for (; kk + 2 <= k; kk += 2)
        {
            TV x = TV.Broadcast(a[0]);
            s0 = TV.Fma(x, TC.Low<TV>(b), s0); s1 = TV.Fma(x, TC.High<TV>(b), s1);
            t0 = TV.Fma(x, TC.Low<TV>(b2), t0); t1 = TV.Fma(x, TC.High<TV>(b2), t1);
            x = TV.Broadcast(a[MR]);
            u0 = TV.Fma(x, TC.Low<TV>(b + rb), u0); u1 = TV.Fma(x, TC.High<TV>(b + rb), u1);
            v0 = TV.Fma(x, TC.Low<TV>(b2 + rb), v0); v1 = TV.Fma(x, TC.High<TV>(b2 + rb), v1);
            a += 2 * MR;
            b += 2 * rb;
            b2 += 2 * rb;
        }
        if (kk < k)
        {
            TV x = TV.Broadcast(a[0]);
            s0 = TV.Fma(x, TC.Low<TV>(b), s0); s1 = TV.Fma(x, TC.High<TV>(b), s1);
            t0 = TV.Fma(x, TC.Low<TV>(b2), t0); t1 = TV.Fma(x, TC.High<TV>(b2), t1);
        }
        Put(c, TV.Add(s0, u0), acc);
        Put(c + w, TV.Add(s1, u1), acc);
        Put(c + 2 * w, TV.Add(t0, v0), acc);
        Put(c + 3 * w, TV.Add(t1, v1), acc);
    }

    /// <summary>Two rows, K unrolled by 2 (8 chains).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel2<TV, TC>(float* a, byte* b, int k, float* c, nint ldc, bool acc)
        where TV : unmanaged, IVec<TV> where TC : struct, IPanelCodec
    {
        int w = TV.Count, rb = 2 * w * TC.ElementBytes;
        TV s00 = TV.Zero, s01 = TV.Zero, s10 = TV.Zero, s11 = TV.Zero;
        TV t00 = TV.Zero, t01 = TV.Zero, t10 = TV.Zero, t11 = TV.Zero;
        int kk = 0;
        for (; kk + 2 <= k; kk += 2)
        {
            TV b0 = TC.Low<TV>(b), b1 = TC.High<TV>(b);
            TV x = TV.Broadcast(a[0]);
            s00 = TV.Fma(b0, x, s00); s01 = TV.Fma(b1, x, s01);
            x = TV.Broadcast(a[1]);
            s10 = TV.Fma(b0, x, s10); s11 = TV.Fma(b1, x, s11);
            b0 = TC.Low<TV>(b + rb);
            b1 = TC.High<TV>(b + rb);
            x = TV.Broadcast(a[MR]);
            t00 = TV.Fma(b0, x, t00); t01 = TV.Fma(b1, x, t01);
            x = TV.Broadcast(a[MR + 1]);
            t10 = TV.Fma(b0, x, t10); t11 = TV.Fma(b1, x, t11);
            a += 2 * MR;
            b += 2 * rb;
        }
        if (kk < k)
        {
            TV b0 = TC.Low<TV>(b), b1 = TC.High<TV>(b);
            TV x = TV.Broadcast(a[0]);
            s00 = TV.Fma(b0, x, s00); s01 = TV.Fma(b1, x, s01);
            x = TV.Broadcast(a[1]);
            s10 = TV.Fma(b0, x, s10); s11 = TV.Fma(b1, x, s11);
        }
        Put(c, TV.Add(s00, t00), acc); Put(c + w, TV.Add(s01, t01), acc);
        Put(c + ldc, TV.Add(s10, t10), acc); Put(c + ldc + w, TV.Add(s11, t11), acc);
    }
}

/// <summary>How a micro-kernel reads one packed row of B (NR columns at one k) into two float registers.</summary>
internal unsafe interface IPanelCodec
{
    /// <summary>Bytes per stored element.</summary>
    static abstract int ElementBytes { get; }

    /// <summary>Columns [0, w) of the row at <paramref name="row"/>.</summary>
    static abstract TV Low<TV>(byte* row) where TV : unmanaged, IVec<TV>;

    /// <summary>Columns [w, 2w) of the row at <paramref name="row"/>.</summary>
    static abstract TV High<TV>(byte* row) where TV : unmanaged, IVec<TV>;
}

/// <summary>float32 rows: two plain loads.</summary>
internal readonly unsafe struct F32Panels : IPanelCodec
{
    public static int ElementBytes => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Low<TV>(byte* row) where TV : unmanaged, IVec<TV> => TV.Load((float*)row);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV High<TV>(byte* row) where TV : unmanaged, IVec<TV> => TV.Load((float*)row + TV.Count);
}

/// <summary>bfloat16 rows (<see cref="PackedMatrix"/> remarks): the w words' low halves, then their high halves.</summary>
internal readonly unsafe struct Bf16Panels : IPanelCodec
{
    public static int ElementBytes => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Low<TV>(byte* row) where TV : unmanaged, IVec<TV> => TV.LoadBf16Low((uint*)row);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV High<TV>(byte* row) where TV : unmanaged, IVec<TV> => TV.LoadBf16High((uint*)row);
}

/// <summary>A row count known to the JIT as a type.</summary>
internal interface IRowCount
{
    static abstract int Rows { get; }
}

internal struct Rows2 : IRowCount
{
    public static int Rows => 2;
}

internal struct Rows3 : IRowCount
{
    public static int Rows => 3;
}

internal struct Rows4 : IRowCount
{
    public static int Rows => 4;
}

internal struct Rows5 : IRowCount
{
    public static int Rows => 5;
}

internal struct Rows6 : IRowCount
{
    public static int Rows => 6;
}

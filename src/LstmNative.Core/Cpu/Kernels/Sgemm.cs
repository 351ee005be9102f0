using System.Runtime.CompilerServices;

namespace LstmNative.Cpu.Kernels;

/// <summary>
/// Single-precision GEMM on a pre-packed right operand: <c>C[M, cols] (+)= A[M, K] · B[K, cols]</c>, where
/// <c>cols</c> is a range of B's panels. The loop nest is the classic Goto/BLIS one: K in blocks of
/// <see cref="KC"/> (a panel's K-block, KC·NR floats = 16 KiB for AVX2, stays in L1), rows in blocks of <see cref="MC"/>
/// (the packed A block, MC·KC floats, stays in L2), then an MR × NR register-blocked micro-kernel
/// (6 rows × 2 registers, 12 accumulators). A is read through strides, so transposed operands cost nothing extra.
/// </summary>
internal static unsafe class Sgemm
{
    /// <summary>Rows of the micro-kernel.</summary>
    public const int MR = 6;

    /// <summary>K block.</summary>
    public const int KC = 256;

    /// <summary>Row block (multiple of MR).</summary>
    public const int MC = 96;

    /// <summary>Floats of scratch a caller provides for the packed A block.</summary>
    public const int ScratchFloats = MC * KC;

    /// <summary>
    /// C rows m ∈ [0, M), panels p ∈ [p0, p0 + panelCount): <c>C[m, p·NR + j] (+)= Σ_k A(m, k) · B[k, p·NR + j]</c> with
    /// <c>A(m, k) = a[m·ars + k·acs]</c>. <paramref name="scratch"/> holds <see cref="ScratchFloats"/> floats, private to the caller.
    /// </summary>
    public static void Run<TV>(int m, int k, float* a, nint ars, nint acs, PackedMatrix b, int p0, int panelCount,
        float* c, nint ldc, bool accumulate, float* scratch) where TV : unmanaged, IVec<TV>
    {
        int nr = b.PanelWidth;
        if (m <= 0 || panelCount <= 0)
            return;
        if (k == 0)
        {
            if (!accumulate)
                for (int i = 0; i < m; i++)
                    new Span<float>(c + i * ldc + p0 * nr, panelCount * nr).Clear();
            return;
        }
        for (int k0 = 0; k0 < k; k0 += KC)
        {
            int kc = Math.Min(KC, k - k0);
            bool acc = accumulate || k0 > 0;
            for (int m0 = 0; m0 < m; m0 += MC)
            {
                int mc = Math.Min(MC, m - m0);
                PackA(a + m0 * ars + k0 * acs, ars, acs, mc, kc, scratch);
                for (int p = p0; p < p0 + panelCount; p++)
                {
                    float* bp = b.Panel(p) + k0 * nr;
                    float* cp = c + m0 * ldc + p * nr;
                    for (int i = 0; i < mc; i += MR)
                        Micro<TV>(Math.Min(MR, mc - i), scratch + i * kc, bp, kc, cp + i * ldc, ldc, acc);
                }
            }
        }
    }

    /// <summary>Packs rows [0, mc) × k [0, kc) of A into MR-row slivers: sliver s, step k holds A(s·MR + r, k) at [s·kc·MR + k·MR + r].</summary>
    private static void PackA(float* a, nint ars, nint acs, int mc, int kc, float* dst)
    {
        for (int i0 = 0; i0 < mc; i0 += MR)
        {
            int rows = Math.Min(MR, mc - i0);
            float* d = dst + i0 * kc;
            if (acs == 1)
            {
                for (int r = 0; r < rows; r++)
                {
                    float* s = a + (i0 + r) * ars;
                    for (int kk = 0; kk < kc; kk++)
                        d[kk * MR + r] = s[kk];
                }
            }
            else
            {
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
    private static void Micro<TV>(int rows, float* a, float* b, int k, float* c, nint ldc, bool acc) where TV : unmanaged, IVec<TV>
    {
        switch (rows)
        {
            case 1: Kernel1<TV>(a, b, k, c, acc); break;
            case 2: Kernel2<TV>(a, b, k, c, ldc, acc); break;
            case 3: Kernel<TV, Rows3>(a, b, k, c, ldc, acc); break;
            case 4: Kernel<TV, Rows4>(a, b, k, c, ldc, acc); break;
            case 5: Kernel<TV, Rows5>(a, b, k, c, ldc, acc); break;
            default: Kernel<TV, Rows6>(a, b, k, c, ldc, acc); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<TV>(float* c, TV v, bool acc) where TV : unmanaged, IVec<TV> =>
        TV.Store(c, acc ? TV.Add(TV.Load(c), v) : v);

    /// <summary>Three to six rows; the row count is a type so the JIT drops the unused accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<TV, TR>(float* a, float* b, int k, float* c, nint ldc, bool acc)
        where TV : unmanaged, IVec<TV> where TR : struct, IRowCount
    {
        int w = TV.Count;
        TV c00 = TV.Zero, c01 = TV.Zero, c10 = TV.Zero, c11 = TV.Zero, c20 = TV.Zero, c21 = TV.Zero;
        TV c30 = TV.Zero, c31 = TV.Zero, c40 = TV.Zero, c41 = TV.Zero, c50 = TV.Zero, c51 = TV.Zero;
        for (int kk = 0; kk < k; kk++)
        {
            TV b0 = TV.Load(b), b1 = TV.Load(b + w);
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
            b += 2 * w;
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
    private static void Kernel1<TV>(float* a, float* b, int k, float* c, bool acc) where TV : unmanaged, IVec<TV>
    {
        int w = TV.Count;
        TV s0 = TV.Zero, s1 = TV.Zero, t0 = TV.Zero, t1 = TV.Zero, u0 = TV.Zero, u1 = TV.Zero, v0 = TV.Zero, v1 = TV.Zero;
        int kk = 0;
        for (; kk + 4 <= k; kk += 4)
        {
            TV x = TV.Broadcast(a[0]);
            s0 = TV.Fma(TV.Load(b), x, s0); s1 = TV.Fma(TV.Load(b + w), x, s1);
            x = TV.Broadcast(a[MR]);
            t0 = TV.Fma(TV.Load(b + 2 * w), x, t0); t1 = TV.Fma(TV.Load(b + 3 * w), x, t1);
            x = TV.Broadcast(a[2 * MR]);
            u0 = TV.Fma(TV.Load(b + 4 * w), x, u0); u1 = TV.Fma(TV.Load(b + 5 * w), x, u1);
            x = TV.Broadcast(a[3 * MR]);
            v0 = TV.Fma(TV.Load(b + 6 * w), x, v0); v1 = TV.Fma(TV.Load(b + 7 * w), x, v1);
            a += 4 * MR;
            b += 8 * w;
        }
        for (; kk < k; kk++)
        {
            TV x = TV.Broadcast(a[0]);
            s0 = TV.Fma(TV.Load(b), x, s0); s1 = TV.Fma(TV.Load(b + w), x, s1);
            a += MR;
            b += 2 * w;
        }
        Put(c, TV.Add(TV.Add(s0, t0), TV.Add(u0, v0)), acc);
        Put(c + w, TV.Add(TV.Add(s1, t1), TV.Add(u1, v1)), acc);
    }

    /// <summary>Two rows, K unrolled by 2 (8 chains).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel2<TV>(float* a, float* b, int k, float* c, nint ldc, bool acc) where TV : unmanaged, IVec<TV>
    {
        int w = TV.Count;
        TV s00 = TV.Zero, s01 = TV.Zero, s10 = TV.Zero, s11 = TV.Zero;
        TV t00 = TV.Zero, t01 = TV.Zero, t10 = TV.Zero, t11 = TV.Zero;
        int kk = 0;
        for (; kk + 2 <= k; kk += 2)
        {
            TV b0 = TV.Load(b), b1 = TV.Load(b + w);
            TV x = TV.Broadcast(a[0]);
            s00 = TV.Fma(b0, x, s00); s01 = TV.Fma(b1, x, s01);
            x = TV.Broadcast(a[1]);
            s10 = TV.Fma(b0, x, s10); s11 = TV.Fma(b1, x, s11);
            b0 = TV.Load(b + 2 * w);
            b1 = TV.Load(b + 3 * w);
            x = TV.Broadcast(a[MR]);
            t00 = TV.Fma(b0, x, t00); t01 = TV.Fma(b1, x, t01);
            x = TV.Broadcast(a[MR + 1]);
            t10 = TV.Fma(b0, x, t10); t11 = TV.Fma(b1, x, t11);
            a += 2 * MR;
            b += 4 * w;
        }
        if (kk < k)
        {
            TV b0 = TV.Load(b), b1 = TV.Load(b + w);
            TV x = TV.Broadcast(a[0]);
            s00 = TV.Fma(b0, x, s00); s01 = TV.Fma(b1, x, s01);
            x = TV.Broadcast(a[1]);
            s10 = TV.Fma(b0, x, s10); s11 = TV.Fma(b1, x, s11);
        }
        Put(c, TV.Add(s00, t00), acc); Put(c + w, TV.Add(s01, t01), acc);
        Put(c + ldc, TV.Add(s10, t10), acc); Put(c + ldc + w, TV.Add(s11, t11), acc);
    }
}

/// <summary>A row count known to the JIT as a type.</summary>
internal interface IRowCount
{
    static abstract int Rows { get; }
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

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LstmNative.Cpu.Kernels;

/// <summary>
/// <see cref="Sgemm"/> for int8 panels (<see cref="CpuPrecision.Int8"/>), PyTorch <c>quantize_dynamic</c> style:
/// each row of A and K-block of <see cref="Sgemm.KC"/> is quantized on the fly to int16 with its own scale
/// (<see cref="Quantization.ActivationScale"/>), multiplied by the int8 weights with <c>vpmaddwd</c> (16 multiply-adds
/// per instruction, two instructions per cycle on Zen 3 / Skylake: twice the FMA's rate) into exact int32 sums, and
/// each block adds <c>float(sum) · (rowScale · columnScale)</c> to C.
/// </summary>
/// <remarks>
/// Why int16 activations rather than PyTorch's uint8 with <c>vpmaddubsw</c>: that instruction saturates its int16 pair
/// sums (so x86 PyTorch drops to 7-bit activations), while int16 × int8 pairs sum exactly in int32 (a block of 128
/// pairs stays below 2^30) and the activation rounding (≤ 1/65534 of the row's largest value) is negligible next to the
/// weights'. At batch 1 the point is the bytes of R, which int8 quarters either way.
/// </remarks>
internal static unsafe class QGemm
{
    private const int MR = Sgemm.MR;

    /// <summary>Where the row scales start in the caller's scratch (floats), after the packed int16 pairs.</summary>
    private const int RowScaleOffset = Sgemm.MC * Sgemm.KC / 2;

    /// <summary>Same contract as <see cref="Sgemm.Run{TV}"/>, for an int8 <paramref name="b"/>.</summary>
    /// <remarks>Fully optimised from the first call, like Sgemm's loop nest (a tier-0 copy is much slower at batch 1).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TV, TQ>(int m, int k, float* a, nint ars, nint acs, PackedMatrix b, int p0, int panelCount,
        float* c, nint ldc, bool accumulate, float* scratch)
        where TV : unmanaged, IVec<TV> where TQ : unmanaged, IQVec<TQ, TV>
    {
        int nr = b.PanelWidth;
        if (m <= 0 || panelCount <= 0)
            return;
        if (b.IsInt8Quads)
        {
            // Packed for the native VNNI kernel (NativeCpu), which passed its check against the managed reference.
            NativeCpu.RunInt8(m, k, a, ars, acs, b, p0, panelCount, c, ldc, accumulate, scratch);
            return;
        }
        if (k == 0)
        {
            if (!accumulate)
                Sgemm.ClearColumns(m, nr, p0, panelCount, c, ldc);
            return;
        }
        int* qa = (int*)scratch;
        float* rowScale = scratch + RowScaleOffset;
        float* scales = b.Scales!.Pointer;
        float staticScale = b.StaticScale16, staticInverse = b.StaticInverse16;
        for (int k0 = 0; k0 < k; k0 += Sgemm.KC)
        {
            int kc = Math.Min(Sgemm.KC, k - k0), pairs = (kc + 1) >> 1;
            bool acc = accumulate || k0 > 0;
            for (int m0 = 0; m0 < m; m0 += Sgemm.MC)
            {
                int mc = Math.Min(Sgemm.MC, m - m0);
                PackA(a + m0 * ars + k0 * acs, ars, acs, mc, kc, qa, rowScale, staticScale, staticInverse);
                for (int p = p0; p < p0 + panelCount; p++)
                {
                    // k0 is a multiple of KC (even): k0 / 2 pairs of 2·NR bytes.
                    sbyte* bp = (sbyte*)b.PanelData(p) + (long)k0 * nr;
                    float* cp = c + m0 * ldc + p * nr;
                    float* cs = scales + p * nr;
                    if (mc == 1 && p + 1 < p0 + panelCount)
                    {
                        // Batch 1: two panels per broadcast pair, as Sgemm does (C and scales of both panels are contiguous).
                        Kernel1x2<TV, TQ>(qa, bp, bp + b.PanelBytes, pairs, cp, cs, rowScale[0], acc);
                        p++;
                    }
                    else if (mc == 1)
                        Kernel1<TV, TQ>(qa, 1, bp, pairs, cp, cs, rowScale[0], acc); // contiguous pairs (PackA)
                    else
                        for (int i = 0; i < mc; i += MR)
                            Micro<TV, TQ>(Math.Min(MR, mc - i), qa + i * pairs, bp, pairs, cp + i * ldc, ldc, cs, rowScale + i, acc);
                }
            }
        }
    }

    /// <summary>
    /// Quantizes rows [0, mc) × k [0, kc) of A into MR-row slivers of int16 pairs: sliver s, pair j holds
    /// <c>q(s·MR + r, 2j) | q(s·MR + r, 2j + 1) &lt;&lt; 16</c> at <c>[s·MR·pairs + j·MR + r]</c> (an odd kc pads a zero);
    /// a single row (mc = 1, batch 1) is packed contiguously instead (<c>[j]</c>). Row r's scale goes to
    /// <paramref name="rowScale"/>[r]: dynamic (<paramref name="fixedScale"/> 0), the row's own
    /// <see cref="Quantization.ActivationScale"/>; static (the fixed <see cref="Quantization.StaticScale"/> of a calibrated
    /// range, <paramref name="fixedInv"/> its inverse), every value saturated to ±32767 and no max scan, NaN when the row
    /// holds NaN or ±∞ (checked in the same pass).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackA(float* a, nint ars, nint acs, int mc, int kc, int* dst, float* rowScale, float fixedScale = 0, float fixedInv = 0)
    {
        int pairs = (kc + 1) >> 1;
        nint step = mc == 1 ? 1 : MR;
        bool isStatic = fixedScale > 0;
        for (int r = 0; r < mc; r++)
        {
            float* src = a + r * ars;
            float inv = fixedInv;
            if (!isStatic)
                rowScale[r] = Quantization.ActivationScale(Quantization.MaxAbs(src, acs, kc), out inv);
            int* d = dst + (r / MR) * MR * pairs + r % MR;
            int j = 0;
            var bad = Vector256<int>.Zero;
            if (acs == 1 && Vector256.IsHardwareAccelerated)
            {
                // Eight pairs at a time; the same rounding as the scalar tail (round half to even, then an exact conversion).
                var vinv = Vector256.Create(inv);
                var lim = Vector256.Create(Quantization.ActivationLevels);
                var exponent = Vector256.Create(0x7F800000);
                for (; 2 * j + 16 <= kc; j += 8)
                {
                    var v0 = Vector256.Load(src + 2 * j);
                    var v1 = Vector256.Load(src + 2 * j + 8);
                    var p0 = v0 * vinv;
                    var p1 = v1 * vinv;
                    if (isStatic)
                    {
                        // Exponent all ones: NaN or ±∞. Saturate before converting (no wrap past the calibrated range).
                        bad |= Vector256.Equals(v0.AsInt32() & exponent, exponent) | Vector256.Equals(v1.AsInt32() & exponent, exponent);
                        p0 = Vector256.MinNative(Vector256.MaxNative(p0, -lim), lim);
                        p1 = Vector256.MinNative(Vector256.MaxNative(p1, -lim), lim);
                    }
                    var q0 = Vector256.ConvertToInt32(Vector256.Round(p0));
                    var q1 = Vector256.ConvertToInt32(Vector256.Round(p1));
                    var packed = Vector256.Narrow(q0, q1).AsInt32(); // |q| ≤ 32767: narrowing is exact
                    if (step == 1)
                    {
                        packed.Store(d + j);
                    }
                    else
                    {
                        for (int i = 0; i < 8; i++)
                            d[(j + i) * MR] = packed.GetElement(i);
                    }
                }
            }
            if (isStatic)
            {
                // The vector loop checked [0, 2j) for NaN and ±∞; the scalar tail checks the rest.
                bool finite = bad == Vector256<int>.Zero && Quantization.IsFinite(src + 2 * j * acs, acs, kc - 2 * j);
                rowScale[r] = finite ? fixedScale : float.NaN;
                for (; 2 * j + 1 < kc; j++)
                    d[j * step] = Pair(Saturated(src[2 * j * acs], inv), Saturated(src[(2 * j + 1) * acs], inv));
                if (j < pairs)
                    d[j * step] = Pair(Saturated(src[2 * j * acs], inv), 0);
                continue;
            }
            for (; 2 * j + 1 < kc; j++)
            {
                short q0 = Quantization.QuantizeActivation(src[2 * j * acs], inv);
                short q1 = Quantization.QuantizeActivation(src[(2 * j + 1) * acs], inv);
                d[j * step] = Pair(q0, q1);
            }
            if (j < pairs)
                d[j * step] = Pair(Quantization.QuantizeActivation(src[2 * j * acs], inv), 0);
        }
    }

    /// <summary>One static int16 activation, saturated (<see cref="Quantization.QuantizeSaturated"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static short Saturated(float a, float inverse) => (short)Quantization.QuantizeSaturated(a, inverse, Quantization.ActivationLevels);

    /// <summary>Two int16 activations as one int32: k in the low half, k + 1 in the high half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Pair(short lo, short hi)
    {
        uint l = (ushort)lo, h = (ushort)hi;
        return (int)(l | h << 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Micro<TV, TQ>(int rows, int* a, sbyte* b, int pairs, float* c, nint ldc, float* cs, float* rs, bool acc)
        where TV : unmanaged, IVec<TV> where TQ : unmanaged, IQVec<TQ, TV>
    {
        switch (rows)
        {
            case 1: Kernel1<TV, TQ>(a, MR, b, pairs, c, cs, rs[0], acc); break;
            case 2: Kernel<TV, TQ, Rows2>(a, b, pairs, c, ldc, cs, rs, acc); break;
            case 3: Kernel<TV, TQ, Rows3>(a, b, pairs, c, ldc, cs, rs, acc); break;
            case 4: Kernel<TV, TQ, Rows4>(a, b, pairs, c, ldc, cs, rs, acc); break;
            case 5: Kernel<TV, TQ, Rows5>(a, b, pairs, c, ldc, cs, rs, acc); break;
            default: Kernel<TV, TQ, Rows6>(a, b, pairs, c, ldc, cs, rs, acc); break;
        }
    }

    /// <summary>acc + the pair products of the weights at <paramref name="w"/> and the broadcast activation pair x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TQ Mac<TV, TQ>(TQ acc, sbyte* w, TQ x) where TV : unmanaged, IVec<TV> where TQ : unmanaged, IQVec<TQ, TV> =>
        TQ.Add(acc, TQ.MultiplyPairs(TQ.LoadPairs(w), x));

    /// <summary>C (+)= float(sum) · (row scale · column scale), two registers of one row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<TV, TQ>(float* c, TQ s0, TQ s1, float* cs, float rowScale, bool acc)
        where TV : unmanaged, IVec<TV> where TQ : unmanaged, IQVec<TQ, TV>
    {
        int w = TV.Count;
        TV r = TV.Broadcast(rowScale);
        Sgemm.Put(c, TV.Mul(TQ.ToFloat(s0), TV.Mul(r, TV.Load(cs))), acc);
        Sgemm.Put(c + w, TV.Mul(TQ.ToFloat(s1), TV.Mul(r, TV.Load(cs + w))), acc);
    }

    /// <summary>
    /// One row (batch 1: the matrix-vector product that streams R), its pairs <paramref name="aStep"/> apart. Two pairs
    /// per iteration, four chains.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel1<TV, TQ>(int* a, nint aStep, sbyte* b, int pairs, float* c, float* cs, float rowScale, bool acc)
        where TV : unmanaged, IVec<TV> where TQ : unmanaged, IQVec<TQ, TV>
    {
        int h = 2 * TV.Count; // bytes per register half of one pair
        TQ s0 = TQ.Zero, s1 = TQ.Zero, t0 = TQ.Zero, t1 = TQ.Zero;
        int j = 0;
        for (; j + 2 <= pairs; j += 2)
        {
            TQ x = TQ.BroadcastPair(a[0]);
            s0 = Mac<TV, TQ>(s0, b, x);
            s1 = Mac<TV, TQ>(s1, b + h, x);
            x = TQ.BroadcastPair(a[aStep]);
            t0 = Mac<TV, TQ>(t0, b + 2 * h, x);
            t1 = Mac<TV, TQ>(t1, b + 3 * h, x);
            a += 2 * aStep;
            b += 4 * h;
        }
        if (j < pairs)
        {
            TQ x = TQ.BroadcastPair(a[0]);
            s0 = Mac<TV, TQ>(s0, b, x);
            s1 = Mac<TV, TQ>(s1, b + h, x);
        }
        Put<TV, TQ>(c, TQ.Add(s0, t0), TQ.Add(s1, t1), cs, rowScale, acc);
    }

    /// <summary>
    /// One row (contiguous pairs) against two adjacent panels: each broadcast pair feeds four registers, eight chains,
    /// and the per-call overhead (prologue, scaling epilogue) is paid once per two panels — at H = 64 a panel has only
    /// 32 pairs, so that overhead is a large part of a batch-1 step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel1x2<TV, TQ>(int* a, sbyte* b, sbyte* b2, int pairs, float* c, float* cs, float rowScale, bool acc)
        where TV : unmanaged, IVec<TV> where TQ : unmanaged, IQVec<TQ, TV>
    {
        int h = 2 * TV.Count; // bytes per register half of one pair
        int nr = 2 * TV.Count; // floats of C per panel (the second panel's columns start here)
        TQ s0 = TQ.Zero, s1 = TQ.Zero, t0 = TQ.Zero, t1 = TQ.Zero, u0 = TQ.Zero, u1 = TQ.Zero, v0 = TQ.Zero, v1 = TQ.Zero;
        int j = 0;
        for (; j + 2 <= pairs; j += 2)
        {
            TQ x = TQ.BroadcastPair(a[0]);
            s0 = Mac<TV, TQ>(s0, b, x);
            s1 = Mac<TV, TQ>(s1, b + h, x);
            t0 = Mac<TV, TQ>(t0, b2, x);
            t1 = Mac<TV, TQ>(t1, b2 + h, x);
            x = TQ.BroadcastPair(a[1]);
            u0 = Mac<TV, TQ>(u0, b + 2 * h, x);
            u1 = Mac<TV, TQ>(u1, b + 3 * h, x);
            v0 = Mac<TV, TQ>(v0, b2 + 2 * h, x);
            v1 = Mac<TV, TQ>(v1, b2 + 3 * h, x);
            a += 2;
            b += 4 * h;
            b2 += 4 * h;
        }
        if (j < pairs)
        {
            TQ x = TQ.BroadcastPair(a[0]);
            s0 = Mac<TV, TQ>(s0, b, x);
            s1 = Mac<TV, TQ>(s1, b + h, x);
            t0 = Mac<TV, TQ>(t0, b2, x);
            t1 = Mac<TV, TQ>(t1, b2 + h, x);
        }
        Put<TV, TQ>(c, TQ.Add(s0, u0), TQ.Add(s1, u1), cs, rowScale, acc);
        Put<TV, TQ>(c + nr, TQ.Add(t0, v0), TQ.Add(t1, v1), cs + nr, rowScale, acc);
    }

    /// <summary>Two to six rows; the row count is a type so the JIT drops the unused accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<TV, TQ, TR>(int* a, sbyte* b, int pairs, float* c, nint ldc, float* cs, float* rs, bool acc)
        where TV : unmanaged, IVec<TV> where TQ : unmanaged, IQVec<TQ, TV> where TR : struct, IRowCount
    {
        int h = 2 * TV.Count;
        TQ c00 = TQ.Zero, c01 = TQ.Zero, c10 = TQ.Zero, c11 = TQ.Zero, c20 = TQ.Zero, c21 = TQ.Zero;
        TQ c30 = TQ.Zero, c31 = TQ.Zero, c40 = TQ.Zero, c41 = TQ.Zero, c50 = TQ.Zero, c51 = TQ.Zero;
        for (int j = 0; j < pairs; j++)
        {
            TQ b0 = TQ.LoadPairs(b), b1 = TQ.LoadPairs(b + h);
            TQ x = TQ.BroadcastPair(a[0]);
            c00 = TQ.Add(c00, TQ.MultiplyPairs(b0, x)); c01 = TQ.Add(c01, TQ.MultiplyPairs(b1, x));
            x = TQ.BroadcastPair(a[1]);
            c10 = TQ.Add(c10, TQ.MultiplyPairs(b0, x)); c11 = TQ.Add(c11, TQ.MultiplyPairs(b1, x));
            if (TR.Rows > 2)
            {
                x = TQ.BroadcastPair(a[2]);
                c20 = TQ.Add(c20, TQ.MultiplyPairs(b0, x)); c21 = TQ.Add(c21, TQ.MultiplyPairs(b1, x));
            }
            if (TR.Rows > 3)
            {
                x = TQ.BroadcastPair(a[3]);
                c30 = TQ.Add(c30, TQ.MultiplyPairs(b0, x)); c31 = TQ.Add(c31, TQ.MultiplyPairs(b1, x));
            }
            if (TR.Rows > 4)
            {
                x = TQ.BroadcastPair(a[4]);
                c40 = TQ.Add(c40, TQ.MultiplyPairs(b0, x)); c41 = TQ.Add(c41, TQ.MultiplyPairs(b1, x));
            }
            if (TR.Rows > 5)
            {
                x = TQ.BroadcastPair(a[5]);
                c50 = TQ.Add(c50, TQ.MultiplyPairs(b0, x)); c51 = TQ.Add(c51, TQ.MultiplyPairs(b1, x));
            }
            a += MR;
            b += 2 * h;
        }
        Put<TV, TQ>(c, c00, c01, cs, rs[0], acc); c += ldc;
        Put<TV, TQ>(c, c10, c11, cs, rs[1], acc); c += ldc;
        if (TR.Rows > 2)
        {
            Put<TV, TQ>(c, c20, c21, cs, rs[2], acc); c += ldc;
        }
        if (TR.Rows > 3)
        {
            Put<TV, TQ>(c, c30, c31, cs, rs[3], acc); c += ldc;
        }
        if (TR.Rows > 4)
        {
            Put<TV, TQ>(c, c40, c41, cs, rs[4], acc); c += ldc;
        }
        if (TR.Rows > 5)
            Put<TV, TQ>(c, c50, c51, cs, rs[5], acc);
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LstmNative.Cpu.Kernels;

/// <summary>
/// The number formats of <see cref="CpuPrecision.Bf16"/> and <see cref="CpuPrecision.Int8"/>: float32 → bfloat16
/// (round to nearest even), symmetric int8 weights with a per-column scale, and the dynamic int16 quantization of
/// activation rows. The kernels and the tests' scalar references both use these, so "the same quantized math" is
/// defined in one place.
/// </summary>
internal static unsafe class Quantization
{
    /// <summary>Largest int8 weight magnitude (symmetric: −127..127, −128 is never produced).</summary>
    public const float WeightLevels = 127f;

    /// <summary>Largest int16 activation magnitude (symmetric: −32767..32767).</summary>
    public const float ActivationLevels = 32767f;

    /// <summary>Rows whose largest |activation| is below this (2^-100) quantize to zero (32767 / max would overflow).</summary>
    public const float ActivationFloor = 7.888609e-31f;

    /// <summary>float32 → bfloat16, round to nearest even; NaN stays a (quiet) NaN of the same sign; overflow gives ±∞.</summary>
    public static ushort ToBf16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
            return (ushort)((bits >> 16) | 0x0040);
        bits += 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)(bits >> 16);
    }

    /// <summary>
    /// float32 → bfloat16 as <c>vcvtne2ps2bf16</c> rounds an activation for the native <c>vdpbf16ps</c> product
    /// (<see cref="NativeCpu"/>): <see cref="ToBf16"/>, except that float32 denormals become a zero of their sign (the
    /// instruction treats denormal inputs as zero).
    /// </summary>
    public static ushort ToBf16Activation(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        return (bits & 0x7F800000u) == 0 ? (ushort)((bits >> 16) & 0x8000) : ToBf16(value);
    }

    /// <summary>bfloat16 → float32 (exact).</summary>
    public static float FromBf16(ushort value) => BitConverter.UInt32BitsToSingle((uint)value << 16);

    /// <summary>
    /// The int8 scale of one output column from its weights' largest magnitude: <c>max|w| / 127</c>; 0 for an all-zero
    /// column, NaN when a weight is NaN, +∞ when one is infinite (so the column's outputs become NaN/∞, never finite garbage).
    /// </summary>
    public static float WeightScale(float maxAbs) => maxAbs / WeightLevels;

    /// <summary>One weight: <c>round_half_even(w / scale)</c> clamped to ±127; 0 when the scale is 0 or not finite.</summary>
    public static sbyte QuantizeWeight(float w, float scale)
    {
        if (!(scale > 0) || !float.IsFinite(scale))
            return 0;
        float q = MathF.Round(w / scale);
        return float.IsNaN(q) ? (sbyte)0 : (sbyte)Math.Clamp(q, -WeightLevels, WeightLevels);
    }

    /// <summary>
    /// Dynamic activation quantization of one row from its largest magnitude <paramref name="maxAbs"/>: returns the
    /// scale (<c>max / 32767</c>; 0 for a zero row; NaN when the row holds NaN or ±∞) and the multiplier
    /// <paramref name="inverse"/> (<c>32767 / max</c>, 0 when the row is zero or not finite).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ActivationScale(float maxAbs, out float inverse)
    {
        if (!float.IsFinite(maxAbs))
        {
            inverse = 0;
            return float.NaN;
        }
        if (maxAbs < ActivationFloor)
        {
            inverse = 0;
            return 0;
        }
        inverse = ActivationLevels / maxAbs;
        return maxAbs / ActivationLevels;
    }

    /// <summary>
    /// The 8-bit activation scale of the native VNNI product (<see cref="NativeCpu"/>): <c>max / 127</c>, with the same
    /// zero, NaN and ∞ rules as <see cref="ActivationScale"/>; <paramref name="inverse"/> is <c>127 / max</c>.
    /// </summary>
    public static float ActivationScale8(float maxAbs, out float inverse)
    {
        if (!float.IsFinite(maxAbs))
        {
            inverse = 0;
            return float.NaN;
        }
        if (maxAbs < ActivationFloor)
        {
            inverse = 0;
            return 0;
        }
        inverse = WeightLevels / maxAbs;
        return maxAbs / WeightLevels;
    }

    /// <summary>
    /// The fixed activation scale of static int8 (<see cref="Int8Calibration"/>): <c>range / levels</c> and
    /// <paramref name="inverse"/> = <c>levels / range</c>, for <paramref name="levels"/> <see cref="ActivationLevels"/>
    /// (the managed int16 product) or <see cref="WeightLevels"/> (the native uint8 product, which receives both numbers
    /// from here so the two sides agree bit for bit). A range below <see cref="ActivationFloor"/> counts as the floor
    /// (every nonzero activation then saturates). The range must be finite; <see cref="Int8Calibration"/> checks it.
    /// </summary>
    public static float StaticScale(float range, float levels, out float inverse)
    {
        float r = Math.Max(range, ActivationFloor);
        inverse = levels / r;
        return r / levels;
    }

    /// <summary>
    /// One static activation: <c>round_half_even(clamp(a · inverse, ±levels))</c>. Values past the calibrated range
    /// saturate at ±<paramref name="levels"/>; NaN gives 0 (the caller marks the row's scale NaN, see <see cref="IsFinite"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int QuantizeSaturated(float a, float inverse, float levels)
    {
        float v = a * inverse;
        return float.IsNaN(v) ? 0 : (int)MathF.Round(Math.Clamp(v, -levels, levels));
    }

    /// <summary>Whether none of <paramref name="n"/> values at stride <paramref name="stride"/> is NaN or ±∞ (static rows: no max scan, only this check, fused where it can be).</summary>
    public static bool IsFinite(float* a, nint stride, int n)
    {
        for (int i = 0; i < n; i++)
            if ((BitConverter.SingleToInt32Bits(a[i * stride]) & 0x7F800000) == 0x7F800000)
                return false;
        return true;
    }

    /// <summary>One 8-bit activation: <c>round_half_even(a · inverse)</c>, |result| ≤ 127 for |a| ≤ max (0 for NaN).</summary>
    public static int QuantizeActivation8(float a, float inverse) => (int)MathF.Round(a * inverse);

    /// <summary>One activation: <c>round_half_even(a · inverse)</c> (|result| ≤ 32767 for |a| ≤ max).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static short QuantizeActivation(float a, float inverse) => (short)(int)MathF.Round(a * inverse);

    /// <summary>
    /// Largest |a| of <paramref name="n"/> values at stride <paramref name="stride"/>, NaN when any is NaN (compared as
    /// the integers of their magnitudes' bits, where NaN &gt; +∞ &gt; every finite value).
    /// </summary>
    public static float MaxAbs(float* a, nint stride, int n)
    {
        int best = 0, i = 0;
        if (stride == 1 && Vector256.IsHardwareAccelerated && n >= 8)
        {
            var mask = Vector256.Create(0x7FFFFFFF);
            var m = Vector256<int>.Zero;
            for (; i + 8 <= n; i += 8)
                m = Vector256.Max(m, Vector256.Load((int*)a + i) & mask);
            for (int j = 0; j < 8; j++)
                best = Math.Max(best, m.GetElement(j));
        }
        for (; i < n; i++)
            best = Math.Max(best, BitConverter.SingleToInt32Bits(a[i * stride]) & 0x7FFFFFFF);
        return BitConverter.Int32BitsToSingle(best);
    }
}

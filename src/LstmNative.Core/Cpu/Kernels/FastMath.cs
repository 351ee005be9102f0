using System.Runtime.CompilerServices;

namespace LstmNative.Cpu.Kernels;

/// <summary>
/// Vectorised exp, sigmoid and tanh in float32, one source for every width.
/// </summary>
/// <remarks>
/// <para><b>exp</b>: Cody–Waite range reduction x = n·ln2 + r (|r| ≤ ln2/2, ln2 split in two parts), a degree-6
/// polynomial for e^r (Cephes <c>expf</c> coefficients) and 2^n built in the exponent bits. The input is clamped to
/// [-87.3, 88.3] so that 2^n stays a normal float; measured error ≤ 2 ulp over that range (see FastMathTests).</para>
/// <para><b>sigmoid</b>: 1 / (1 + exp(-x)) with a true division: ≤ 3 ulp relative error for x ≥ -87; below that the result
/// is a tiny positive number (absolute error &lt; 1e-37).</para>
/// <para><b>tanh</b>: an odd polynomial (Cephes <c>tanhf</c>) for |x| &lt; 0.625, where 1 - 2/(e^{2x}+1) would lose
/// relative precision, and 1 - 2/(e^{2|x|}+1) with the sign copied back above; measured ≤ 4 ulp.</para>
/// <para>NaN in gives NaN out: the clamps use IEEE min/max, which propagate NaN. ±∞ give the limits (0/1, ±1).</para>
/// </remarks>
internal static class FastMath
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f;
    private const float Ln2Lo = -2.12194440e-4f;
    private const float ExpMax = 88.3f;
    private const float ExpMin = -87.3f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Exp<TV>(TV x) where TV : unmanaged, IVec<TV>
    {
        x = TV.Min(TV.Max(x, TV.Broadcast(ExpMin)), TV.Broadcast(ExpMax));
        TV n = TV.Round(TV.Mul(x, TV.Broadcast(Log2E)));
        TV r = TV.Fnma(n, TV.Broadcast(Ln2Hi), x);
        r = TV.Fnma(n, TV.Broadcast(Ln2Lo), r);
        TV p = TV.Broadcast(1.9875691500E-4f);
        p = TV.Fma(p, r, TV.Broadcast(1.3981999507E-3f));
        p = TV.Fma(p, r, TV.Broadcast(8.3334519073E-3f));
        p = TV.Fma(p, r, TV.Broadcast(4.1665795894E-2f));
        p = TV.Fma(p, r, TV.Broadcast(1.6666665459E-1f));
        p = TV.Fma(p, r, TV.Broadcast(5.0000001201E-1f));
        TV r2 = TV.Mul(r, r);
        p = TV.Fma(p, r2, TV.Add(r, TV.Broadcast(1f)));
        return TV.Mul(p, TV.Pow2(n));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Sigmoid<TV>(TV x) where TV : unmanaged, IVec<TV>
    {
        TV one = TV.Broadcast(1f);
        return TV.Div(one, TV.Add(one, Exp(TV.Sub(TV.Zero, x))));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Tanh<TV>(TV x) where TV : unmanaged, IVec<TV>
    {
        TV a = TV.Abs(x);
        TV one = TV.Broadcast(1f);
        // Large branch: 1 - 2 / (e^{2a} + 1).
        TV e = Exp(TV.Add(a, a));
        TV big = TV.Sub(one, TV.Div(TV.Broadcast(2f), TV.Add(e, one)));
        // Small branch: a + a^3 P(a^2).
        TV z = TV.Mul(a, a);
        TV p = TV.Broadcast(-5.70498872745E-3f);
        p = TV.Fma(p, z, TV.Broadcast(2.06390887954E-2f));
        p = TV.Fma(p, z, TV.Broadcast(-5.37397155531E-2f));
        p = TV.Fma(p, z, TV.Broadcast(1.33314422036E-1f));
        p = TV.Fma(p, z, TV.Broadcast(-3.33332819422E-1f));
        TV small = TV.Fma(TV.Mul(p, z), a, a);
        TV t = TV.SelectLess(a, TV.Broadcast(0.625f), small, big);
        return TV.CopySign(t, x);
    }
}

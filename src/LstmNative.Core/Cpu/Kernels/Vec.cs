using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LstmNative.Cpu.Kernels;

/// <summary>
/// One SIMD register of floats, abstracted so that every kernel is written once and specialised by the JIT for
/// <see cref="VecS"/> (scalar), <see cref="Vec256"/> and <see cref="Vec512"/> (struct generics are compiled per type,
/// and these single-field wrappers live in registers).
/// </summary>
internal unsafe interface IVec<T> where T : unmanaged, IVec<T>
{
    /// <summary>Lanes per register.</summary>
    static abstract int Count { get; }

    static abstract T Zero { get; }

    static abstract T Load(float* p);

    static abstract void Store(float* p, T v);

    /// <summary>Count bfloat16 values from the low halves of Count 32-bit words: lane i = <c>p[i] &lt;&lt; 16</c> as a float (exact widening).</summary>
    static abstract T LoadBf16Low(uint* p);

    /// <summary>Count bfloat16 values from the high halves of Count 32-bit words: lane i = <c>p[i] &amp; 0xFFFF0000</c> as a float.</summary>
    static abstract T LoadBf16High(uint* p);

    static abstract T Broadcast(float v);

    /// <summary>a * b + c (fused where the path has FMA).</summary>
    static abstract T Fma(T a, T b, T c);

    /// <summary>c - a * b.</summary>
    static abstract T Fnma(T a, T b, T c);

    static abstract T Add(T a, T b);

    static abstract T Sub(T a, T b);

    static abstract T Mul(T a, T b);

    static abstract T Div(T a, T b);

    /// <summary>Minimum of a value and a bound: NaN in <paramref name="a"/> (the value) gives NaN; <paramref name="b"/> is never NaN.
    /// (One vminps, not the IEEE 754-2019 sequence Vector256.Min compiles to.)</summary>
    static abstract T Min(T a, T b);

    /// <summary>Maximum of a value and a bound: NaN in <paramref name="a"/> (the value) gives NaN; <paramref name="b"/> is never NaN.</summary>
    static abstract T Max(T a, T b);

    static abstract T Abs(T a);

    /// <summary>|magnitude| with the sign of <paramref name="sign"/>.</summary>
    static abstract T CopySign(T magnitude, T sign);

    /// <summary>Round to nearest integer (ties to even).</summary>
    static abstract T Round(T a);

    /// <summary>2^n for integral n in [-126, 127].</summary>
    static abstract T Pow2(T n);

    /// <summary>a &lt; b ? x : y, lane-wise.</summary>
    static abstract T SelectLess(T a, T b, T x, T y);

    /// <summary>|a| &gt; limit ? 0 : 1 (derivative of clip), lane-wise; NaN gives 1.</summary>
    static abstract T ClipMask(T a, T limit);
}

/// <summary>The scalar "vector": one float.</summary>
internal readonly unsafe struct VecS : IVec<VecS>
{
    public readonly float V;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public VecS(float v) => V = v;

    public static int Count => 1;

    public static VecS Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VecS Load(float* p) => new(*p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* p, VecS v) => *p = v.V;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VecS LoadBf16Low(uint* p) => new(BitConverter.UInt32BitsToSingle(*p << 16));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VecS LoadBf16High(uint* p) => new(BitConverter.UInt32BitsToSingle(*p & 0xFFFF0000u));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VecS Broadcast(float v) => new(v);

    // Not fused: without hardware FMA, MathF.FusedMultiplyAdd is a slow software routine.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VecS Fma(VecS a, VecS b, VecS c) => new(a.V * b.V + c.V);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VecS Fnma(VecS a, VecS b, VecS c) => new(c.V - a.V * b.V);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VecS Add(VecS a, VecS b) => new(a.V + b.V);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VecS Sub(VecS a, VecS b) => new(a.V - b.V);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VecS Mul(VecS a, VecS b) => new(a.V * b.V);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VecS Div(VecS a, VecS b) => new(a.V / b.V);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VecS Min(VecS a, VecS b) => new(MathF.Min(a.V, b.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VecS Max(VecS a, VecS b) => new(MathF.Max(a.V, b.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VecS Abs(VecS a) => new(MathF.Abs(a.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VecS CopySign(VecS magnitude, VecS sign) => new(MathF.CopySign(magnitude.V, sign.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VecS Round(VecS a) => new(MathF.Round(a.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VecS Pow2(VecS n) => new(BitConverter.Int32BitsToSingle(((int)n.V + 127) << 23));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VecS SelectLess(VecS a, VecS b, VecS x, VecS y) => a.V < b.V ? x : y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VecS ClipMask(VecS a, VecS limit) => new(MathF.Abs(a.V) > limit.V ? 0f : 1f);
}

/// <summary>Eight floats (AVX2 + FMA).</summary>
internal readonly unsafe struct Vec256 : IVec<Vec256>
{
    public readonly Vector256<float> V;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vec256(Vector256<float> v) => V = v;

    public static int Count => 8;

    public static Vec256 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 Load(float* p) => new(Vector256.Load(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* p, Vec256 v) => v.V.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 LoadBf16Low(uint* p) => new(Vector256.ShiftLeft(Vector256.Load(p), 16).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 LoadBf16High(uint* p) => new((Vector256.Load(p) & Vector256.Create(0xFFFF0000u)).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 Broadcast(float v) => new(Vector256.Create(v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 Fma(Vec256 a, Vec256 b, Vec256 c) => new(Vector256.FusedMultiplyAdd(a.V, b.V, c.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 Fnma(Vec256 a, Vec256 b, Vec256 c) => new(Vector256.FusedMultiplyAdd(-a.V, b.V, c.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 Add(Vec256 a, Vec256 b) => new(a.V + b.V);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 Sub(Vec256 a, Vec256 b) => new(a.V - b.V);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 Mul(Vec256 a, Vec256 b) => new(a.V * b.V);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 Div(Vec256 a, Vec256 b) => new(a.V / b.V);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 Min(Vec256 a, Vec256 b) => Avx.IsSupported
        ? new(Avx.Min(b.V, a.V)) // vminps returns its second operand (a) when either is NaN
        : new(Vector256.ConditionalSelect(Vector256.LessThan(b.V, a.V), b.V, a.V)); // same semantics (tests force this width without AVX)

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 Max(Vec256 a, Vec256 b) => Avx.IsSupported
        ? new(Avx.Max(b.V, a.V)) // vmaxps likewise: NaN in a propagates
        : new(Vector256.ConditionalSelect(Vector256.GreaterThan(b.V, a.V), b.V, a.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 Abs(Vec256 a) => new(Vector256.Abs(a.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 CopySign(Vec256 magnitude, Vec256 sign) => new(Vector256.CopySign(magnitude.V, sign.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 Round(Vec256 a) => new(Vector256.Round(a.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 Pow2(Vec256 n) => // n is integral and in range: the plain conversion, without saturation fix-ups
        new(Vector256.ShiftLeft(Vector256.ConvertToInt32Native(n.V) + Vector256.Create(127), 23).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 SelectLess(Vec256 a, Vec256 b, Vec256 x, Vec256 y) =>
        new(Vector256.ConditionalSelect(Vector256.LessThan(a.V, b.V), x.V, y.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 ClipMask(Vec256 a, Vec256 limit) =>
        new(Vector256.ConditionalSelect(Vector256.GreaterThan(Vector256.Abs(a.V), limit.V), Vector256<float>.Zero, Vector256<float>.One));
}

/// <summary>Sixteen floats (AVX-512F).</summary>
internal readonly unsafe struct Vec512 : IVec<Vec512>
{
    public readonly Vector512<float> V;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vec512(Vector512<float> v) => V = v;

    public static int Count => 16;

    public static Vec512 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 Load(float* p) => new(Vector512.Load(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* p, Vec512 v) => v.V.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 LoadBf16Low(uint* p) => new(Vector512.ShiftLeft(Vector512.Load(p), 16).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 LoadBf16High(uint* p) => new((Vector512.Load(p) & Vector512.Create(0xFFFF0000u)).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 Broadcast(float v) => new(Vector512.Create(v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 Fma(Vec512 a, Vec512 b, Vec512 c) => new(Vector512.FusedMultiplyAdd(a.V, b.V, c.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 Fnma(Vec512 a, Vec512 b, Vec512 c) => new(Vector512.FusedMultiplyAdd(-a.V, b.V, c.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 Add(Vec512 a, Vec512 b) => new(a.V + b.V);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 Sub(Vec512 a, Vec512 b) => new(a.V - b.V);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 Mul(Vec512 a, Vec512 b) => new(a.V * b.V);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 Div(Vec512 a, Vec512 b) => new(a.V / b.V);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 Min(Vec512 a, Vec512 b) => Avx512F.IsSupported
        ? new(Avx512F.Min(b.V, a.V)) // NaN in a propagates (see Vec256)
        : new(Vector512.ConditionalSelect(Vector512.LessThan(b.V, a.V), b.V, a.V)); // emulated width in tests

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 Max(Vec512 a, Vec512 b) => Avx512F.IsSupported
        ? new(Avx512F.Max(b.V, a.V)) // NaN in a propagates (see Vec256)
        : new(Vector512.ConditionalSelect(Vector512.GreaterThan(b.V, a.V), b.V, a.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 Abs(Vec512 a) => new(Vector512.Abs(a.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 CopySign(Vec512 magnitude, Vec512 sign) => new(Vector512.CopySign(magnitude.V, sign.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 Round(Vec512 a) => new(Vector512.Round(a.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 Pow2(Vec512 n) => // n is integral and in range: the plain conversion, without saturation fix-ups
        new(Vector512.ShiftLeft(Vector512.ConvertToInt32Native(n.V) + Vector512.Create(127), 23).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 SelectLess(Vec512 a, Vec512 b, Vec512 x, Vec512 y) =>
        new(Vector512.ConditionalSelect(Vector512.LessThan(a.V, b.V), x.V, y.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 ClipMask(Vec512 a, Vec512 limit) =>
        new(Vector512.ConditionalSelect(Vector512.GreaterThan(Vector512.Abs(a.V), limit.V), Vector512<float>.Zero, Vector512<float>.One));
}

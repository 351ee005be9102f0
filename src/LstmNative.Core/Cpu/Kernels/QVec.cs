using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LstmNative.Cpu.Kernels;

/// <summary>
/// One SIMD register of int32 sums for the int8 kernels (<see cref="QGemm"/>), paired with its float register type
/// <typeparamref name="TV"/>: <see cref="QVecS"/>/<see cref="VecS"/>, <see cref="QVec256"/>/<see cref="Vec256"/>,
/// <see cref="QVec512"/>/<see cref="Vec512"/>. The product is <c>vpmaddwd</c>'s: int8 weights widened to int16, times
/// a broadcast pair of int16 activations, adjacent products summed into int32 (exact: |sum| ≤ 2·127·32767 per pair).
/// </summary>
internal unsafe interface IQVec<TQ, TV> where TQ : unmanaged, IQVec<TQ, TV> where TV : unmanaged, IVec<TV>
{
    static abstract TQ Zero { get; }

    /// <summary>Every lane holds <paramref name="pair"/>: activation k in the low 16 bits, k + 1 in the high 16 bits.</summary>
    static abstract TQ BroadcastPair(int pair);

    /// <summary>Loads the <c>2·Count</c> int8 at <paramref name="p"/> as Count weight pairs (widened; the layout is the type's own).</summary>
    static abstract TQ LoadPairs(sbyte* p);

    /// <summary>Lane i = <c>p[2i]·lo(pair) + p[2i+1]·hi(pair)</c>, where <paramref name="weights"/> came from <see cref="LoadPairs"/> of p.</summary>
    static abstract TQ MultiplyPairs(TQ weights, TQ pair);

    static abstract TQ Add(TQ a, TQ b);

    /// <summary>Lane-wise int32 → float32 (round to nearest even).</summary>
    static abstract TV ToFloat(TQ a);
}

/// <summary>One int32 sum (the scalar path).</summary>
internal readonly unsafe struct QVecS : IQVec<QVecS, VecS>
{
    public readonly int V;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public QVecS(int v) => V = v;

    public static QVecS Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static QVecS BroadcastPair(int pair) => new(pair);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static QVecS LoadPairs(sbyte* p)
    {
        uint lo = (ushort)p[0], hi = (ushort)p[1];
        return new((int)(lo | hi << 16));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static QVecS MultiplyPairs(QVecS weights, QVecS pair) =>
        new((short)weights.V * (short)pair.V + (weights.V >> 16) * (pair.V >> 16));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static QVecS Add(QVecS a, QVecS b) => new(a.V + b.V);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VecS ToFloat(QVecS a) => new(a.V);
}

/// <summary>Eight int32 sums (AVX2 <c>vpmovsxbw</c> + <c>vpmaddwd</c>).</summary>
internal readonly unsafe struct QVec256 : IQVec<QVec256, Vec256>
{
    public readonly Vector256<int> V;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public QVec256(Vector256<int> v) => V = v;

    public static QVec256 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static QVec256 BroadcastPair(int pair) => new(Vector256.Create(pair));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static QVec256 LoadPairs(sbyte* p)
    {
        if (Avx2.IsSupported)
            return new(Avx2.ConvertToVector256Int16(p).AsInt32()); // vpmovsxbw: sixteen int16, pairs per lane
        // Portable layout (tests force this width on machines without AVX2): each lane's two bytes as one sign-extended int16.
        var w = Vector128.Load((short*)p);
        return new(Vector256.Create(Vector128.WidenLower(w), Vector128.WidenUpper(w)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static QVec256 MultiplyPairs(QVec256 weights, QVec256 pair)
    {
        if (Avx2.IsSupported)
            return new(Avx2.MultiplyAddAdjacent(weights.V.AsInt16(), pair.V.AsInt16()));
        var x = weights.V;
        var lo = Vector256.ShiftRightArithmetic(Vector256.ShiftLeft(x, 24), 24);
        var hi = Vector256.ShiftRightArithmetic(Vector256.ShiftLeft(x, 16), 24);
        var a0 = Vector256.ShiftRightArithmetic(Vector256.ShiftLeft(pair.V, 16), 16);
        var a1 = Vector256.ShiftRightArithmetic(pair.V, 16);
        return new(lo * a0 + hi * a1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static QVec256 Add(QVec256 a, QVec256 b) => new(a.V + b.V);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 ToFloat(QVec256 a) => new(Vector256.ConvertToSingle(a.V));
}

/// <summary>Sixteen int32 sums (AVX-512BW).</summary>
internal readonly unsafe struct QVec512 : IQVec<QVec512, Vec512>
{
    public readonly Vector512<int> V;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public QVec512(Vector512<int> v) => V = v;

    public static QVec512 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static QVec512 BroadcastPair(int pair) => new(Vector512.Create(pair));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static QVec512 LoadPairs(sbyte* p)
    {
        if (Avx512BW.IsSupported)
            return new(Avx512BW.ConvertToVector512Int16(Vector256.Load(p)).AsInt32());
        // Portable layout (the emulated width in tests): each lane's two bytes as one sign-extended int16.
        var w = Vector256.Load((short*)p);
        return new(Vector512.Create(Vector256.WidenLower(w), Vector256.WidenUpper(w)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static QVec512 MultiplyPairs(QVec512 weights, QVec512 pair)
    {
        if (Avx512BW.IsSupported)
            return new(Avx512BW.MultiplyAddAdjacent(weights.V.AsInt16(), pair.V.AsInt16()));
        var x = weights.V;
        var lo = Vector512.ShiftRightArithmetic(Vector512.ShiftLeft(x, 24), 24);
        var hi = Vector512.ShiftRightArithmetic(Vector512.ShiftLeft(x, 16), 24);
        var a0 = Vector512.ShiftRightArithmetic(Vector512.ShiftLeft(pair.V, 16), 16);
        var a1 = Vector512.ShiftRightArithmetic(pair.V, 16);
        return new(lo * a0 + hi * a1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static QVec512 Add(QVec512 a, QVec512 b) => new(a.V + b.V);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 ToFloat(QVec512 a) => new(Vector512.ConvertToSingle(a.V));
}

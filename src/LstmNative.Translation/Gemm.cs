using System.Numerics;
using System.Runtime.InteropServices;
using LstmNative.Cpu;

namespace LstmNative.Translation;

/// <summary>
/// The three dense products the attention model needs (row-major): float on the engine's packed SGEMM
/// (<see cref="CpuGemm"/>), double (gradient checks) SIMD over the inner dimension with <see cref="Vector{T}"/>:
/// <c>C += A·Bᵀ</c>, <c>C += A·B</c>, <c>C += Aᵀ·B</c>. Each output element is summed in a fixed order, so results do
/// not depend on the core count.
/// </summary>
internal static class Gemm
{
    private const long ParallelWork = 1 << 18;

    /// <summary>C[m,n] += A[m,k] · B[n,k]ᵀ (a Linear layer's forward: B is the weight).</summary>
    public static void MulABt<T>(T[] a, T[] b, T[] c, int m, int k, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            CpuGemm.Multiply(F(a), false, F(b), true, F(c), m, k, n, accumulate: true);
            return;
        }
        if ((long)m * n * k >= ParallelWork && m >= 8)
            Parallel.For(0, Chunks(m), ch => { var (r0, r1) = Range(m, ch); MulABtRows(a, b, c, r0, r1, k, n); });
        else
            MulABtRows(a, b, c, 0, m, k, n);
    }

    /// <summary>C[m,n] += A[m,k] · B[k,n] (back-propagating through a Linear layer: B is the weight).</summary>
    public static void MulAB<T>(T[] a, T[] b, T[] c, int m, int k, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            CpuGemm.Multiply(F(a), false, F(b), false, F(c), m, k, n, accumulate: true);
            return;
        }
        if ((long)m * n * k >= ParallelWork && m >= 8)
            Parallel.For(0, Chunks(m), ch => { var (r0, r1) = Range(m, ch); MulABRows(a, b, c, r0, r1, k, n); });
        else
            MulABRows(a, b, c, 0, m, k, n);
    }

    /// <summary>C[k,n] += A[m,k]ᵀ · B[m,n] (a weight gradient: A the output gradient, B the input).</summary>
    public static void MulAtB<T>(T[] a, T[] b, T[] c, int m, int k, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            CpuGemm.Multiply(F(a), true, F(b), false, F(c), k, m, n, accumulate: true);
            return;
        }
        if ((long)m * n * k >= ParallelWork && k >= 8)
            Parallel.For(0, Chunks(k), ch => { var (p0, p1) = Range(k, ch); MulAtBCols(a, b, c, p0, p1, m, k, n); });
        else
            MulAtBCols(a, b, c, 0, k, m, k, n);
    }

    // float runs on the engine's packed SGEMM; double (the gradient checks) on the loops below.
    private static Span<float> F<T>(T[] x) where T : unmanaged => MemoryMarshal.Cast<T, float>(x.AsSpan());

    /// <summary>Dot product of two equal-length spans.</summary>
    public static T Dot<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<T>.Count, i = 0;
        var acc = Vector<T>.Zero;
        var vx = MemoryMarshal.Cast<T, Vector<T>>(x);
        var vy = MemoryMarshal.Cast<T, Vector<T>>(y);
        for (int v = 0; v < vx.Length && v < vy.Length; v++)
            acc += vx[v] * vy[v];
        i = Math.Min(vx.Length, vy.Length) * w;
        T s = Vector.Sum(acc);
        for (; i < x.Length; i++)
            s += x[i] * y[i];
        return s;
    }

    /// <summary>x += y, element-wise.</summary>
    public static void Add<T>(Span<T> x, ReadOnlySpan<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var vx = MemoryMarshal.Cast<T, Vector<T>>(x);
        var vy = MemoryMarshal.Cast<T, Vector<T>>(y);
        for (int v = 0; v < vx.Length; v++)
            vx[v] += vy[v];
        for (int i = vx.Length * Vector<T>.Count; i < x.Length; i++)
            x[i] += y[i];
    }

    /// <summary>z = x ⊙ y, element-wise.</summary>
    public static void Multiply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> z) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var vx = MemoryMarshal.Cast<T, Vector<T>>(x);
        var vy = MemoryMarshal.Cast<T, Vector<T>>(y);
        var vz = MemoryMarshal.Cast<T, Vector<T>>(z);
        for (int v = 0; v < vz.Length; v++)
            vz[v] = vx[v] * vy[v];
        for (int i = vz.Length * Vector<T>.Count; i < z.Length; i++)
            z[i] = x[i] * y[i];
    }

    /// <summary>y += alpha · x.</summary>
    public static void Axpy<T>(T alpha, ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<T>.Count;
        var vx = MemoryMarshal.Cast<T, Vector<T>>(x);
        var vy = MemoryMarshal.Cast<T, Vector<T>>(y);
        var va = new Vector<T>(alpha);
        int n = Math.Min(vx.Length, vy.Length);
        for (int v = 0; v < n; v++)
            vy[v] += va * vx[v];
        for (int i = n * w; i < x.Length; i++)
            y[i] += alpha * x[i];
    }

    private static int Chunks(int rows) => Math.Min(Environment.ProcessorCount * 2, Math.Max(1, rows / 4));

    private static (int, int) Range(int n, int chunk)
    {
        int chunks = Chunks(n);
        return ((int)((long)n * chunk / chunks), (int)((long)n * (chunk + 1) / chunks));
    }

    private static void MulABtRows<T>(T[] a, T[] b, T[] c, int r0, int r1, int k, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = r0;
        for (; i + 4 <= r1; i += 4)
        {
            var a0 = a.AsSpan(i * k, k);
            var a1 = a.AsSpan((i + 1) * k, k);
            var a2 = a.AsSpan((i + 2) * k, k);
            var a3 = a.AsSpan((i + 3) * k, k);
            var v0 = MemoryMarshal.Cast<T, Vector<T>>(a0);
            var v1 = MemoryMarshal.Cast<T, Vector<T>>(a1);
            var v2 = MemoryMarshal.Cast<T, Vector<T>>(a2);
            var v3 = MemoryMarshal.Cast<T, Vector<T>>(a3);
            int tail = v0.Length * Vector<T>.Count;
            for (int j = 0; j < n; j++)
            {
                var bj = b.AsSpan(j * k, k);
                var vb = MemoryMarshal.Cast<T, Vector<T>>(bj);
                Vector<T> s0 = Vector<T>.Zero, s1 = s0, s2 = s0, s3 = s0;
                for (int v = 0; v < vb.Length; v++)
                {
                    var x = vb[v];
                    s0 += v0[v] * x;
                    s1 += v1[v] * x;
                    s2 += v2[v] * x;
                    s3 += v3[v] * x;
                }
                T t0 = Vector.Sum(s0), t1 = Vector.Sum(s1), t2 = Vector.Sum(s2), t3 = Vector.Sum(s3);
                for (int p = tail; p < k; p++)
                {
                    t0 += a0[p] * bj[p];
                    t1 += a1[p] * bj[p];
                    t2 += a2[p] * bj[p];
                    t3 += a3[p] * bj[p];
                }
                c[i * n + j] += t0;
                c[(i + 1) * n + j] += t1;
                c[(i + 2) * n + j] += t2;
                c[(i + 3) * n + j] += t3;
            }
        }
        for (; i < r1; i++)
            for (int j = 0; j < n; j++)
                c[i * n + j] += Dot<T>(a.AsSpan(i * k, k), b.AsSpan(j * k, k));
    }

    private static void MulABRows<T>(T[] a, T[] b, T[] c, int r0, int r1, int k, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = r0; i < r1; i++)
        {
            var ci = c.AsSpan(i * n, n);
            for (int p = 0; p < k; p++)
            {
                T x = a[i * k + p];
                if (x != T.Zero)
                    Axpy(x, b.AsSpan(p * n, n), ci);
            }
        }
    }

    private static void MulAtBCols<T>(T[] a, T[] b, T[] c, int p0, int p1, int m, int k, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
        {
            var bi = b.AsSpan(i * n, n);
            for (int p = p0; p < p1; p++)
            {
                T x = a[i * k + p];
                if (x != T.Zero)
                    Axpy(x, bi, c.AsSpan(p * n, n));
            }
        }
    }
}

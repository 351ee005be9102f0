using System.Runtime.CompilerServices;
using LstmNative.Cpu.Kernels;

namespace LstmNative.Cpu;

/// <summary>
/// The engine's vectorised float32 activations over spans, for code built on the engine (attention decoders, custom
/// cells, output layers): the same exp, sigmoid and tanh the LSTM and GRU kernels use (≤ 2, 3 and 4 ulp; NaN in gives
/// NaN out), at the widest SIMD width the process allows (<see cref="CpuKernels.Active"/>), with a scalar tail.
/// </summary>
/// <remarks>Input and output may be the same span (in place); otherwise they must not overlap. Nothing is allocated.</remarks>
public static unsafe class VectorMath
{
    /// <summary><c>y[i] = exp(x[i])</c> (inputs clamped to [-87.3, 88.3], so the result stays a normal float).</summary>
    public static void Exp(ReadOnlySpan<float> x, Span<float> y) => Exp(x, y, CpuKernels.Active);

    /// <summary><c>y[i] = 1 / (1 + exp(-x[i]))</c>.</summary>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y) => Sigmoid(x, y, CpuKernels.Active);

    /// <summary><c>y[i] = tanh(x[i])</c>.</summary>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => Tanh(x, y, CpuKernels.Active);

    /// <summary>
    /// Log-softmax in place: <c>x[i] -= max + log Σ exp(x[j] - max)</c>, the sum taken in float32 lanes and combined
    /// in double. Returns the log-sum-exp. An empty span returns −∞; any NaN makes every output NaN.
    /// </summary>
    public static float LogSoftmax(Span<float> x) => LogSoftmax(x, CpuKernels.Active);

    internal static void Exp(ReadOnlySpan<float> x, Span<float> y, KernelWidth width) => Map<ExpOp>(x, y, width);

    internal static void Sigmoid(ReadOnlySpan<float> x, Span<float> y, KernelWidth width) => Map<SigmoidOp>(x, y, width);

    internal static void Tanh(ReadOnlySpan<float> x, Span<float> y, KernelWidth width) => Map<TanhOp>(x, y, width);

    internal static float LogSoftmax(Span<float> x, KernelWidth width)
    {
        if (x.IsEmpty)
            return float.NegativeInfinity;
        fixed (float* p = x)
        {
            return width switch
            {
                KernelWidth.Vector512 => LogSoftmax<Vec512>(p, x.Length),
                KernelWidth.Vector256 => LogSoftmax<Vec256>(p, x.Length),
                _ => LogSoftmax<VecS>(p, x.Length),
            };
        }
    }

    private static void Map<TOp>(ReadOnlySpan<float> x, Span<float> y, KernelWidth width) where TOp : struct, IUnary
    {
        if (y.Length < x.Length)
            throw new ArgumentException($"the output holds {y.Length} values; the input has {x.Length}", nameof(y));
        fixed (float* px = x)
        fixed (float* py = y)
        {
            switch (width)
            {
                case KernelWidth.Vector512:
                    Map<TOp, Vec512>(px, py, x.Length);
                    break;
                case KernelWidth.Vector256:
                    Map<TOp, Vec256>(px, py, x.Length);
                    break;
                default:
                    Map<TOp, VecS>(px, py, x.Length);
                    break;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Map<TOp, TV>(float* x, float* y, int n) where TOp : struct, IUnary where TV : unmanaged, IVec<TV>
    {
        int w = TV.Count, i = 0;
        for (; i <= n - w; i += w)
            TV.Store(y + i, TOp.Apply(TV.Load(x + i)));
        for (; i < n; i++)
            VecS.Store(y + i, TOp.Apply(VecS.Load(x + i)));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float LogSoftmax<TV>(float* x, int n) where TV : unmanaged, IVec<TV>
    {
        int w = TV.Count, i = 0;
        // Max: IEEE max propagates NaN lane-wise; the scalar tail and the lane fold check it explicitly.
        float max = float.NegativeInfinity;
        bool nan = false;
        if (n >= w)
        {
            TV m = TV.Broadcast(float.NegativeInfinity);
            for (; i <= n - w; i += w)
                m = TV.Max(m, TV.Load(x + i));
            float* lanes = stackalloc float[w];
            TV.Store(lanes, m);
            for (int l = 0; l < w; l++)
            {
                nan |= float.IsNaN(lanes[l]);
                max = Math.Max(max, lanes[l]);
            }
        }
        for (; i < n; i++)
        {
            nan |= float.IsNaN(x[i]);
            max = Math.Max(max, x[i]);
        }
        float lse;
        if (nan)
            lse = float.NaN;
        else if (float.IsInfinity(max))
            lse = max; // all −∞ (every output NaN: −∞ − −∞), or a +∞ (that one NaN, the rest −∞), as log_softmax gives
        else
        {
            TV shift = TV.Broadcast(max), acc = TV.Zero;
            i = 0;
            for (; i <= n - w; i += w)
                acc = TV.Add(acc, FastMath.Exp(TV.Sub(TV.Load(x + i), shift)));
            float* lanes = stackalloc float[w];
            TV.Store(lanes, acc);
            double sum = 0;
            for (int l = 0; l < w; l++)
                sum += lanes[l];
            for (; i < n; i++)
                sum += FastMath.Exp(VecS.Broadcast(x[i] - max)).V;
            lse = max + (float)Math.Log(sum);
        }
        TV sub = TV.Broadcast(lse);
        i = 0;
        for (; i <= n - w; i += w)
            TV.Store(x + i, TV.Sub(TV.Load(x + i), sub));
        for (; i < n; i++)
            x[i] -= lse;
        return lse;
    }

    private interface IUnary
    {
        static abstract TV Apply<TV>(TV x) where TV : unmanaged, IVec<TV>;
    }

    private readonly struct ExpOp : IUnary
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Apply<TV>(TV x) where TV : unmanaged, IVec<TV> => FastMath.Exp(x);
    }

    private readonly struct SigmoidOp : IUnary
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Apply<TV>(TV x) where TV : unmanaged, IVec<TV> => FastMath.Sigmoid(x);
    }

    private readonly struct TanhOp : IUnary
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Apply<TV>(TV x) where TV : unmanaged, IVec<TV> => FastMath.Tanh(x);
    }
}

using LstmNative.Cpu;
using LstmNative.Model;

namespace LstmNative.Training.Layers;

/// <summary>
/// <see cref="IRnnLayerEngine{T}"/> over the fast CPU engine (<see cref="CpuRnn"/>: packed SIMD GEMMs, fused gate
/// updates, the worker pool). float32 only; the float64 reference stays the engine for gradient checks.
/// </summary>
public sealed class CpuLayerEngine : IRnnLayerEngine<float>
{
    private readonly CpuRnnOptions _options;

    /// <summary>Creates the engine; <paramref name="options"/> null means every worker of the shared pool.</summary>
    public CpuLayerEngine(CpuRnnOptions? options = null) => _options = options ?? CpuRnnOptions.Default;

    /// <summary>The engine float models use unless told otherwise.</summary>
    public static CpuLayerEngine Default { get; } = new();

    /// <inheritdoc/>
    public string Name => $"cpu-{CpuRnn.ActiveWidth.ToString().ToLowerInvariant()}";

    /// <inheritdoc/>
    public RnnLayerPass<float> Forward(LayerWeights<float> weights, ReadOnlySpan<float> x, int steps, int batch, ReadOnlySpan<int> sequenceLengths, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0) =>
        new Pass(CpuRnn.Forward(weights, x, steps, batch, sequenceLengths, h0, c0, _options));

    private sealed class Pass(CpuLayerTrace trace) : RnnLayerPass<float>
    {
        public override float[] Y => trace.Y;

        public override float[] Hn => trace.Yh;

        public override float[] Cn => trace.Yc;

        public override RnnLayerGradients<float> Backward(ReadOnlySpan<float> dY, ReadOnlySpan<float> dHn, ReadOnlySpan<float> dCn)
        {
            var g = CpuRnn.Backward(trace, dY, dHn, dCn);
            return new RnnLayerGradients<float>(g.DX, g.DH0, g.DC0, g.Weights);
        }
    }
}

/// <summary>Which engine a recurrent module gets by default.</summary>
public static class RnnLayerEngines
{
    /// <summary>The fast CPU engine for float32 models; the float64 reference otherwise (gradient checks).</summary>
    public static IRnnLayerEngine<T> Default<T>() where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? (IRnnLayerEngine<T>)(object)CpuLayerEngine.Default : ReferenceLayerEngine<T>.Default;
}

using LstmNative.Cpu;
using LstmNative.Model;
using LstmNative.Reference;

namespace LstmNative.Engines;

/// <summary>
/// <see cref="IRnnLayerEngine{T}"/> over the fast CPU engine (<see cref="CpuRnn"/>: packed SIMD GEMMs, fused gate
/// updates, the worker pool). float32 only; the float64 reference stays the engine for gradient checks.
/// </summary>
public sealed class CpuLayerEngine : IRnnLayerEngine<float>
{
    private readonly CpuRnnOptions _options;

    /// <summary>Creates the engine; <paramref name="options"/> null means every worker of the shared pool.</summary>
    public CpuLayerEngine(CpuRnnOptions? options = null) => _options = options ?? CpuRnnOptions.Default;

    /// <summary>The engine float models and the ONNX operator use unless told otherwise.</summary>
    public static CpuLayerEngine Default { get; } = new();

    /// <inheritdoc/>
    public string Name => $"cpu-{CpuRnn.ActiveWidth.ToString().ToLowerInvariant()}";

    /// <inheritdoc/>
    public RnnLayerPass<float> Forward(LayerWeights<float> weights, ReadOnlySpan<float> x, int steps, int batch, ReadOnlySpan<int> sequenceLengths,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0) =>
        new Pass(CpuRnn.Forward(weights, x, steps, batch, sequenceLengths, h0, c0, _options));

    private sealed class Pass(CpuLayerTrace trace) : RnnLayerPass<float>
    {
        public override float[] Y => trace.Y;

        public override float[] Hn => trace.Yh;

        public override float[] Cn => trace.Yc;

        public override LayerGradients<float> Backward(ReadOnlySpan<float> dY, ReadOnlySpan<float> dHn, ReadOnlySpan<float> dCn) =>
            CpuRnn.Backward(trace, dY, dHn, dCn);
    }
}

using LstmNative.Engines;
using LstmNative.Model;
using LstmNative.Reference;

namespace LstmNative.Gpu.Inference;

/// <summary>
/// The GPU behind the one engine seam, <see cref="IRnnLayerEngine{T}"/> (time-major, states <c>[D, B, H]</c>), for
/// inference: what the CLI's <c>run --device cuda</c> gives the ONNX operator. Keeps the uploaded model and a session
/// while the same weights come back with a shape that fits, so repeated runs only run. Backward passes are refused
/// (GPU training runs whole stacks: <c>GpuRnnTrainer</c>).
/// </summary>
public sealed class GpuLayerRunner : IRnnLayerEngine<float>, IDisposable
{
    private readonly Func<IReadOnlyList<LayerWeights<float>>, GpuInferenceOptions, GpuRnnModel> _load;
    private readonly GpuInferenceOptions _options;
    private LayerWeights<float>? _weights;
    private GpuRnnModel? _model;
    private GpuRnnSession? _session;

    /// <summary>Runs on <paramref name="engine"/> with <paramref name="options"/> (time-major is forced).</summary>
    public GpuLayerRunner(GpuRnnEngine engine, GpuInferenceOptions? options = null)
        : this(ValidEngine(engine).LoadModel, options)
    {
    }

    /// <summary>Runs on whatever <paramref name="load"/> makes models on (tests: the CPU emulation).</summary>
    internal GpuLayerRunner(Func<IReadOnlyList<LayerWeights<float>>, GpuInferenceOptions, GpuRnnModel> load, GpuInferenceOptions? options)
    {
        _load = load;
        _options = (options ?? GpuInferenceOptions.Default) with { Layout = SequenceLayout.TimeMajor };
    }

    private static GpuRnnEngine ValidEngine(GpuRnnEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        return engine;
    }

    /// <summary>The session of the last call (for diagnostics: algorithm, graphs).</summary>
    public GpuRnnSession? Session => _session;

    /// <inheritdoc/>
    public string Name => "cuda";

    /// <inheritdoc/>
    /// <remarks>Inference only: the pass's <see cref="RnnLayerPass{T}.Backward"/> throws <see cref="NotSupportedException"/>.</remarks>
    public RnnLayerPass<float> Forward(LayerWeights<float> weights, ReadOnlySpan<float> x, int steps, int batch,
        ReadOnlySpan<int> sequenceLengths, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var o = weights.Options;
        int state = o.DirectionCount * batch * o.HiddenSize;
        var y = new float[steps * state];
        var yh = new float[state];
        var yc = new float[o.Cell == RnnCellType.Lstm ? state : 0];
        Run(weights, x, steps, batch, sequenceLengths, h0, c0, y, yh, yc);
        return new InferenceOnlyPass(y, yh, yc, "the GPU layer runner is for inference only: run backward on the CPU engine or train on the GPU with GpuRnnTrainer");
    }

    private void Run(LayerWeights<float> weights, ReadOnlySpan<float> x, int steps, int batch,
        ReadOnlySpan<int> sequenceLengths, ReadOnlySpan<float> initialH, ReadOnlySpan<float> initialC,
        Span<float> y, Span<float> yh, Span<float> yc)
    {
        if (!ReferenceEquals(weights, _weights) || _session is null || _session.MaxBatch < batch || _session.MaxSteps < steps)
        {
            _session?.Dispose();
            _model?.Dispose();
            _session = null;
            _model = null;
            _weights = weights;
            _model = _load([weights], _options);
            _session = _model.CreateSession(batch, steps);
        }
        _session.Run(x, steps, batch, y, yh, weights.Options.Cell == RnnCellType.Lstm ? yc : default, sequenceLengths, initialH,
            weights.Options.Cell == RnnCellType.Lstm ? initialC : default);
    }

    /// <summary>Frees the session and the model (not the engine).</summary>
    public void Dispose()
    {
        _session?.Dispose();
        _model?.Dispose();
    }
}

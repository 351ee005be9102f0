using LstmNative.Model;

namespace LstmNative.Gpu.Inference;

/// <summary>
/// A stack of LSTM/GRU layers uploaded to the GPU for inference (created by <see cref="GpuRnnEngine.LoadModel"/>).
/// Immutable once made; any number of <see cref="GpuRnnSession"/>s share its device weights. Layer l + 1 reads layer
/// l's output with the directions side by side (<c>D·H</c> features), like the CPU engine's model.
/// </summary>
public sealed class GpuRnnModel : IDisposable
{
    private readonly ILayerWeightsOnDevice[] _weights;
    private bool _disposed;

    internal GpuRnnModel(IInferenceBackend backend, IReadOnlyList<LayerWeights<float>> layers, GpuInferenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (layers.Count == 0)
            throw new ArgumentException("a model needs at least one layer");
        for (int l = 0; l < layers.Count; l++)
        {
            ArgumentNullException.ThrowIfNull(layers[l]);
            layers[l].Options.Validate();
            if (l > 0)
            {
                var prev = layers[l - 1].Options;
                int expected = prev.DirectionCount * prev.HiddenSize;
                if (layers[l].Options.InputSize != expected)
                    throw new ArgumentException($"layer {l} has input size {layers[l].Options.InputSize}, but layer {l - 1} outputs {prev.DirectionCount} x {prev.HiddenSize} = {expected} features");
            }
        }
        Backend = backend;
        Options = options;
        Layers = layers.Select(l => l.Options).ToArray();
        _weights = new ILayerWeightsOnDevice[layers.Count];
        try
        {
            backend.MakeCurrent();
            for (int l = 0; l < layers.Count; l++)
                _weights[l] = backend.Upload(layers[l]);
        }
        catch
        {
            foreach (var w in _weights)
                w?.Dispose();
            throw;
        }
        IsStreamable = Layers.All(o => o.Direction == RnnDirection.Forward);
    }

    /// <summary>The layers' options, first layer first.</summary>
    public IReadOnlyList<RnnLayerOptions> Layers { get; }

    /// <summary>The model's settings.</summary>
    public GpuInferenceOptions Options { get; }

    /// <summary>The device's limits, as the heuristic sees them.</summary>
    public DeviceLimits Limits => Backend.Limits;

    /// <summary>Input features per time step (the first layer's <c>I</c>).</summary>
    public int InputSize => Layers[0].InputSize;

    /// <summary>Output features per direction (the last layer's <c>H</c>).</summary>
    public int OutputSize => Layers[^1].HiddenSize;

    /// <summary>Directions of the last layer.</summary>
    public int OutputDirections => Layers[^1].DirectionCount;

    /// <summary>Whether every layer is forward-only, so <see cref="GpuRnnSession.Step"/> applies.</summary>
    public bool IsStreamable { get; }

    internal IInferenceBackend Backend { get; }

    internal ILayerWeightsOnDevice Weights(int layer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _weights[layer];
    }

    /// <summary>The algorithm layer <paramref name="layer"/> runs with at <paramref name="batch"/> rows, and why.</summary>
    /// <exception cref="NotSupportedException">The options force the persistent algorithm and it does not fit.</exception>
    public AlgorithmChoice ChooseAlgorithm(int layer, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layer, Layers.Count);
        return AlgorithmHeuristic.Choose(Layers[layer], batch, Limits, Options, Backend.MaxResidentBlocks);
    }

    /// <summary>Creates a session for at most <paramref name="maxBatch"/> rows and <paramref name="maxSteps"/> steps.</summary>
    public GpuRnnSession CreateSession(int maxBatch, int maxSteps)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new GpuRnnSession(this, maxBatch, maxSteps);
    }

    /// <summary>Frees the device weights (sessions must be disposed first).</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var w in _weights)
            w.Dispose();
    }
}

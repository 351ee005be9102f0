using LstmNative.Model;

namespace LstmNative.Cpu;

/// <summary>
/// A stack of layers packed once for the CPU engine (inference). Immutable: any number of <see cref="CpuRnnSession"/>s,
/// on any threads, can share it. Layer l + 1 reads layer l's output <c>[T, B, D·H]</c> (directions side by side).
/// </summary>
public sealed partial class CpuRnnModel
{
    /// <summary>Packs <paramref name="layers"/> (the weights are copied; later changes to them are not seen).</summary>
    public CpuRnnModel(IReadOnlyList<LayerWeights<float>> layers)
        : this(layers, CpuRnnOptions.Default)
    {
    }

    /// <summary>
    /// Packs <paramref name="layers"/> with W and R stored in <paramref name="precision"/> (inference only; see
    /// <see cref="CpuPrecision"/> for the accuracy each one keeps). Biases, peepholes, states and arithmetic stay float32.
    /// </summary>
    public CpuRnnModel(IReadOnlyList<LayerWeights<float>> layers, CpuPrecision precision)
        : this(layers, CpuRnnOptions.Default, precision)
    {
    }

    /// <summary>
    /// Packs <paramref name="layers"/> for static int8 (PyTorch's <c>convert</c> after <c>prepare</c>): int8 weights as
    /// <see cref="CpuPrecision.Int8"/>, and every product's activations (each layer's x and h) quantized with the fixed
    /// scales of <paramref name="calibration"/> (from an <see cref="Int8Calibrator"/>) and saturated, instead of each
    /// row's own scale. Accuracy against float32 and against dynamic int8: docs/benchmarks.md, "Static int8".
    /// </summary>
    /// <exception cref="ArgumentException">The calibration does not fit the layers (layer or direction counts).</exception>
    public CpuRnnModel(IReadOnlyList<LayerWeights<float>> layers, Int8Calibration calibration)
        : this(layers, CpuRnnOptions.Default, CpuPrecision.Int8, calibration ?? throw new ArgumentNullException(nameof(calibration)))
    {
    }

    internal CpuRnnModel(IReadOnlyList<LayerWeights<float>> layers, CpuRnnOptions options, CpuPrecision precision = CpuPrecision.Fp32,
        Int8Calibration? calibration = null)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (!Enum.IsDefined(precision))
            throw new ArgumentOutOfRangeException(nameof(precision), $"unknown precision {precision}");
        Precision = precision;
        if (layers.Count == 0)
            throw new ArgumentException("a model needs at least one layer");
        if (calibration is not null)
        {
            if (precision != CpuPrecision.Int8)
                throw new ArgumentException($"a calibration is for int8 weights, not {precision}", nameof(calibration));
            calibration.CheckFits([.. layers.Select(l => (l ?? throw new ArgumentNullException(nameof(layers))).Options.DirectionCount)]);
        }
        Calibration = calibration;
        var width = options.ResolveWidth();
        Plans = new CpuLayerPlan[layers.Count];
        for (int l = 0; l < layers.Count; l++)
        {
            ArgumentNullException.ThrowIfNull(layers[l]);
            var o = layers[l].Options;
            if (l > 0)
            {
                var prev = layers[l - 1].Options;
                int expected = prev.DirectionCount * prev.HiddenSize;
                if (o.InputSize != expected)
                    throw new ArgumentException($"layer {l} has input size {o.InputSize}, but layer {l - 1} outputs {prev.DirectionCount} x {prev.HiddenSize} = {expected} features");
            }
            Plans[l] = new CpuLayerPlan(layers[l], width, forBackward: false, precision, calibration?.Layers[l]);
        }
        Layers = Array.ConvertAll(Plans, p => p.Options);
        int stateLength = 0;
        foreach (var p in Plans)
            stateLength += p.Options.DirectionCount * p.Hidden;
        StateFloatsPerRow = stateLength;
        IsStreamable = Array.TrueForAll(Plans, p => p.Options.Direction == RnnDirection.Forward);
    }

    /// <summary>How the weight matrices W and R are stored.</summary>
    public CpuPrecision Precision { get; }

    /// <summary>Static int8: the fixed activation ranges the products use; null for float32, bf16 and dynamic int8.</summary>
    public Int8Calibration? Calibration { get; }

    /// <summary>Bytes of the packed weight matrices W and R (all layers and directions, padding included).</summary>
    public long WeightBytes
    {
        get
        {
            long n = 0;
            foreach (var p in Plans)
                n += p.ForwardWeightBytes;
            return n;
        }
    }

    /// <summary>The layers' options, first layer first.</summary>
    public IReadOnlyList<RnnLayerOptions> Layers { get; }

    /// <summary>Input features per time step (the first layer's <c>I</c>).</summary>
    public int InputSize => Plans[0].Input;

    /// <summary>Output features per direction (the last layer's <c>H</c>).</summary>
    public int OutputSize => Plans[^1].Hidden;

    /// <summary>Directions of the last layer.</summary>
    public int OutputDirections => Plans[^1].Options.DirectionCount;

    /// <summary>Whether every layer is forward-only, so <see cref="CpuRnnSession.Step"/> applies.</summary>
    public bool IsStreamable { get; }

    /// <summary>Σ over layers of D·H: the state floats per batch row (hidden or cell).</summary>
    internal int StateFloatsPerRow { get; }

    internal CpuLayerPlan[] Plans { get; }

    /// <summary>Creates an inference session for at most <paramref name="maxBatch"/> rows and <paramref name="maxSteps"/> steps.</summary>
    public CpuRnnSession CreateSession(int maxBatch, int maxSteps, int threads = 1) => new(this, maxBatch, maxSteps, threads);
}

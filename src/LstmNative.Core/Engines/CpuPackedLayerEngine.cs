using LstmNative.Cpu;
using LstmNative.Model;
using LstmNative.Reference;

namespace LstmNative.Engines;

/// <summary>
/// An inference-only <see cref="IRnnLayerEngine{T}"/> that runs each layer it was given on a <see cref="CpuRnnModel"/>
/// packed once in a <see cref="CpuPrecision"/> (fp32, or bf16/int8 W and R) and one session per layer that is reused
/// (regrown when a call needs more rows or steps): what <c>Quantize.Dynamic</c> and the ONNX operator's
/// <see cref="Onnx.OnnxRnnOperator.Forward()"/> run on. Layers it was not given are refused; so are backward passes.
/// </summary>
public sealed class CpuPackedLayerEngine : IRnnLayerEngine<float>, IDisposable
{
    private readonly Dictionary<LayerWeights<float>, Packed> _layers = new(ReferenceEqualityComparer.Instance);
    private readonly int _threads;

    /// <summary>Creates an engine that packs in <paramref name="precision"/> and runs each layer on <paramref name="threads"/> workers.</summary>
    /// <param name="precision">The weight precision.</param>
    /// <param name="threads">Worker threads per layer (1: on the caller's thread, best at small batches).</param>
    public CpuPackedLayerEngine(CpuPrecision precision, int threads = 1)
    {
        if (!Enum.IsDefined(precision))
            throw new ArgumentOutOfRangeException(nameof(precision), $"unknown precision {precision}");
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Precision = precision;
        _threads = threads;
    }

    /// <summary>The precision the weights are packed in.</summary>
    public CpuPrecision Precision { get; }

    /// <inheritdoc/>
    public string Name => $"cpu-{Precision.ToString().ToLowerInvariant()}";

    /// <summary>Packs <paramref name="weights"/> now, once (the weights are copied: later changes are not seen).</summary>
    public void Add(LayerWeights<float> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (!_layers.ContainsKey(weights))
            _layers.Add(weights, new Packed(new CpuRnnModel([weights], Precision), _threads));
    }

    /// <summary>
    /// Packs <paramref name="weights"/> now for static int8 (<see cref="Int8Calibration"/>): int8 weights and the fixed
    /// activation <paramref name="ranges"/> of this layer. The engine's precision must be <see cref="CpuPrecision.Int8"/>.
    /// </summary>
    public void Add(LayerWeights<float> weights, Int8LayerRanges ranges)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(ranges);
        if (Precision != CpuPrecision.Int8)
            throw new InvalidOperationException($"calibrated ranges are for int8 weights; this engine packs {Precision}");
        if (!_layers.ContainsKey(weights))
            _layers.Add(weights, new Packed(new CpuRnnModel([weights], new Int8Calibration([ranges])), _threads));
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException"><paramref name="weights"/> was not packed by <see cref="Add(LayerWeights{float})"/>.</exception>
    /// <exception cref="ArgumentException">A size, state or sequence length that does not fit the layer (refused before anything is allocated).</exception>
    public RnnLayerPass<float> Forward(LayerWeights<float> weights, ReadOnlySpan<float> x, int steps, int batch, ReadOnlySpan<int> sequenceLengths,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (!_layers.TryGetValue(weights, out var packed))
            throw new InvalidOperationException("this layer was not packed by this engine (for a quantized model: it was not part of the model when it was quantized)");
        var o = weights.Options;
        // Every size before any allocation: steps and batch size the outputs and the cached session, so unchecked ones
        // overflowed (batch -1), or allocated outputs and regrew the session for an x of a few floats before the session
        // refused it. The session checks the same again; a refused call must leave the cached session as it was.
        RnnShapeChecks.CheckInputs(o, x.Length, steps, batch, sequenceLengths, h0.Length, c0.Length, []);
        // x's length bounds steps·batch, not steps·batch·D·H: a wide layer's Y can still exceed an array (wide arithmetic).
        Int128 yLength = (Int128)steps * batch * o.DirectionCount * o.HiddenSize;
        if (yLength > Array.MaxLength)
            throw new ArgumentException($"Y [T={steps}, D={o.DirectionCount}, B={batch}, H={o.HiddenSize}] would hold {yLength} elements, more than a .NET array allows ({Array.MaxLength})");
        int state = o.DirectionCount * batch * o.HiddenSize;
        var y = new float[(int)yLength];
        var hn = new float[state];
        var cn = new float[o.Cell == RnnCellType.Lstm ? state : 0];
        packed.Session(batch, steps).Run(x, steps, batch, y, hn, cn, sequenceLengths, initialH: h0, initialC: c0);
        return new InferenceOnlyPass(y, hn, cn, "packed (fp32/bf16/int8) weights are for inference only: train the float model, then pack or quantize it again");
    }

    /// <summary>Frees every layer's session.</summary>
    public void Dispose()
    {
        foreach (var p in _layers.Values)
            p.Dispose();
    }

    private sealed class Packed(CpuRnnModel model, int threads) : IDisposable
    {
        private CpuRnnSession? _session;

        // One session, regrown when a call needs more rows or steps than it was sized for.
        public CpuRnnSession Session(int batch, int steps)
        {
            if (_session is null || _session.MaxBatch < batch || _session.MaxSteps < steps)
            {
                int b = Math.Max(batch, _session?.MaxBatch ?? 0), t = Math.Max(steps, _session?.MaxSteps ?? 0);
                _session?.Dispose();
                _session = model.CreateSession(b, t, threads);
            }
            return _session;
        }

        public void Dispose() => _session?.Dispose();
    }
}

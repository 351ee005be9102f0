using LstmNative.Cpu;
using LstmNative.Model;
using LstmNative.Training.Layers;

namespace LstmNative.Training.Quantization;

/// <summary>
/// An inference-only <see cref="IRnnLayerEngine{T}"/> that runs each layer it was given on a
/// <see cref="CpuRnnModel"/> packed once in a reduced precision (bf16 or int8 W and R). Layers it does not know are
/// refused; backward passes are refused.
/// </summary>
internal sealed class QuantizedLayerEngine : IRnnLayerEngine<float>, IDisposable
{
    private readonly Dictionary<LayerWeights<float>, Packed> _layers = new(ReferenceEqualityComparer.Instance);
    private readonly CpuPrecision _precision;
    private readonly int _threads;

    public QuantizedLayerEngine(CpuPrecision precision, int threads)
    {
        _precision = precision;
        _threads = threads;
    }

    public string Name => $"cpu-{_precision.ToString().ToLowerInvariant()}";

    /// <summary>Packs <paramref name="weights"/> now (the weights are copied: later changes are not seen).</summary>
    public void Add(LayerWeights<float> weights)
    {
        if (!_layers.ContainsKey(weights))
            _layers.Add(weights, new Packed(new CpuRnnModel([weights], _precision), _threads));
    }

    public RnnLayerPass<float> Forward(LayerWeights<float> weights, ReadOnlySpan<float> x, int steps, int batch, ReadOnlySpan<int> sequenceLengths, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0)
    {
        if (!sequenceLengths.IsEmpty)
            throw new NotSupportedException("the quantized engine runs whole sequences; sequence lengths are not supported");
        if (!_layers.TryGetValue(weights, out var packed))
            throw new InvalidOperationException("this layer was not part of the model when it was quantized");
        var o = weights.Options;
        int state = o.DirectionCount * batch * o.HiddenSize;
        var y = new float[steps * state];
        var hn = new float[state];
        var cn = new float[o.Cell == RnnCellType.Lstm ? state : 0];
        packed.Session(batch, steps).Run(x, steps, batch, y, hn, cn, initialH: h0, initialC: c0);
        return new Pass(y, hn, cn);
    }

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

    private sealed class Pass(float[] y, float[] hn, float[] cn) : RnnLayerPass<float>
    {
        public override float[] Y => y;

        public override float[] Hn => hn;

        public override float[] Cn => cn;

        public override RnnLayerGradients<float> Backward(ReadOnlySpan<float> dY, ReadOnlySpan<float> dHn, ReadOnlySpan<float> dCn) =>
            throw new NotSupportedException("a quantized model is for inference only: train the float model, then quantize it again");
    }
}

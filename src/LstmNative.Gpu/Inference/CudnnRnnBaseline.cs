using LstmNative.Cuda;
using LstmNative.Model;

namespace LstmNative.Gpu.Inference;

/// <summary>
/// cuDNN's <c>cudnnRNNForward</c> (inference mode) on the same weights as a <see cref="GpuRnnModel"/>: the baseline of the
/// GPU benchmarks and a cross-check in the device tests. Data are time-major: <c>x[T, B, I]</c> in <see cref="X"/>,
/// <c>y[T, B, D·H]</c> (directions side by side, cuDNN's layout) in <see cref="Y"/>, states <c>[L·D, B, H]</c>.
/// </summary>
/// <remarks>
/// cuDNN's RNN covers a subset of what the engine does: every layer the same H and direction, default activations,
/// no clip, peepholes or input_forget, GRU only as linear_before_reset = 1. <see cref="Supports"/> says which.
/// An algorithm cuDNN refuses (PERSIST_STATIC has narrow rules) fails with <see cref="CudnnException"/> when the
/// descriptor is made or at the first forward.
/// </remarks>
public sealed class CudnnRnnBaseline : IDisposable
{
    private readonly CudaContext _context;
    private readonly CudnnHandle _cudnn;
    private readonly CudnnDropoutDescriptor _dropout;
    private readonly CudnnRnnDescriptor _rnn;
    private readonly CudnnTensorDescriptor _states;
    private readonly DeviceBuffer<byte> _weights;
    private readonly DeviceBuffer<int> _lengths;
    private readonly Dictionary<(int Steps, int Batch), (CudnnRnnDataDescriptor X, CudnnRnnDataDescriptor Y, DeviceBuffer<byte> Work, long WorkBytes)> _shapes = new();
    private readonly int _input;
    private readonly int _hidden;
    private readonly int _directions;
    private readonly int _layers;
    private (int Steps, int Batch) _lengthsFor;

    /// <summary>Builds cuDNN's RNN for <paramref name="layers"/> and copies their weights into its weight space.</summary>
    /// <param name="context">The context (current on this thread).</param>
    /// <param name="layers">The stack (see <see cref="Supports"/>).</param>
    /// <param name="maxBatch">Largest batch a forward will use.</param>
    /// <param name="maxSteps">Longest sequence a forward will use.</param>
    /// <param name="algorithm">STANDARD, PERSIST_STATIC, ...</param>
    /// <param name="mathType">Tensor-core policy (Default: FP32 FMA, unless the library decides otherwise).</param>
    public CudnnRnnBaseline(CudaContext context, IReadOnlyList<LayerWeights<float>> layers, int maxBatch, int maxSteps,
        CudnnRnnAlgorithm algorithm = CudnnRnnAlgorithm.Standard, CudnnMathType mathType = CudnnMathType.Default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(layers);
        if (!Supports(layers.Select(l => l.Options).ToArray(), out var reason))
            throw new NotSupportedException($"cuDNN cannot run this model: {reason}");
        _context = context;
        var first = layers[0].Options;
        _input = first.InputSize;
        _hidden = first.HiddenSize;
        _directions = first.DirectionCount;
        _layers = layers.Count;
        MaxBatch = maxBatch;
        MaxSteps = maxSteps;
        Algorithm = algorithm;
        var owned = new List<IDisposable>();
        try
        {
            _cudnn = Own(new CudnnHandle(context));
            _dropout = Own(new CudnnDropoutDescriptor(_cudnn));
            var settings = new CudnnRnnSettings(first.Cell == RnnCellType.Lstm ? CudnnRnnMode.Lstm : CudnnRnnMode.Gru, _input, _hidden, _layers,
                _directions == 2 ? CudnnDirectionMode.Bidirectional : CudnnDirectionMode.Unidirectional)
            {
                Algorithm = algorithm,
                MathType = mathType,
            };
            _rnn = Own(new CudnnRnnDescriptor(_cudnn, settings, _dropout));
            _states = Own(CudnnTensorDescriptor.Packed(_cudnn, CudnnDataType.Float, _layers * _directions, maxBatch, _hidden));
            long bytes = _rnn.WeightSpaceBytes();
            _weights = Own(context.Allocate<byte>(bytes));
            CopyWeights(layers, bytes);
            _lengths = Own(context.Allocate<int>(maxBatch));
            X = Own(context.Allocate<float>((long)maxSteps * maxBatch * _input));
            Y = Own(context.Allocate<float>((long)maxSteps * maxBatch * _directions * _hidden));
            long state = (long)_layers * _directions * maxBatch * _hidden;
            Hx = Own(context.Allocate<float>(state));
            Cx = Own(context.Allocate<float>(state));
            Hy = Own(context.Allocate<float>(state));
            Cy = Own(context.Allocate<float>(state));
            Hx.Clear();
            Cx.Clear();
            _context.Synchronize();
        }
        catch
        {
            for (int i = owned.Count - 1; i >= 0; i--)
                owned[i].Dispose();
            throw;
        }

        T Own<T>(T resource)
            where T : IDisposable
        {
            owned.Add(resource);
            return resource;
        }
    }

    /// <summary>The cuDNN algorithm.</summary>
    public CudnnRnnAlgorithm Algorithm { get; }

    /// <summary>Largest batch.</summary>
    public int MaxBatch { get; }

    /// <summary>Longest sequence.</summary>
    public int MaxSteps { get; }

    /// <summary>Input <c>[T, B, I]</c>.</summary>
    public DeviceBuffer<float> X { get; }

    /// <summary>Output <c>[T, B, D·H]</c>.</summary>
    public DeviceBuffer<float> Y { get; }

    /// <summary>Initial hidden states <c>[L·D, B, H]</c> (zeros unless written).</summary>
    public DeviceBuffer<float> Hx { get; }

    /// <summary>Initial cell states (LSTM).</summary>
    public DeviceBuffer<float> Cx { get; }

    /// <summary>Final hidden states.</summary>
    public DeviceBuffer<float> Hy { get; }

    /// <summary>Final cell states (LSTM).</summary>
    public DeviceBuffer<float> Cy { get; }

    /// <summary>Whether cuDNN's RNN can express <paramref name="layers"/>; otherwise why not.</summary>
    public static bool Supports(IReadOnlyList<RnnLayerOptions> layers, out string reason)
    {
        ArgumentNullException.ThrowIfNull(layers);
        reason = "";
        if (layers.Count == 0)
            reason = "no layers";
        foreach (var o in layers)
        {
            if (o.HiddenSize != layers[0].HiddenSize || o.Direction != layers[0].Direction || o.Cell != layers[0].Cell)
                reason = "layers differ in hidden size, direction or cell";
            else if (o.Direction == RnnDirection.Reverse)
                reason = "reverse-only layers";
            else if (!o.HasDefaultActivations)
                reason = "non-default activations";
            else if (o.Clip is not null || o.HasPeepholes || o.InputForget)
                reason = "clip, peepholes or input_forget";
            else if (o.Cell == RnnCellType.Gru && !o.LinearBeforeReset)
                reason = "GRU with linear_before_reset = 0 (cuDNN computes linear_before_reset = 1)";
            if (reason.Length > 0)
                return false;
        }
        return reason.Length == 0;
    }

    /// <summary>Queues cudnnRNNForward for <paramref name="steps"/> × <paramref name="batch"/> on <paramref name="stream"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="steps">T.</param>
    /// <param name="batch">B.</param>
    /// <param name="withInitialStates">Read <see cref="Hx"/>/<see cref="Cx"/> (else zeros).</param>
    public void Forward(CudaStream stream, int steps, int batch, bool withInitialStates = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(steps, MaxSteps);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batch, MaxBatch);
        _cudnn.SetStream(stream);
        if (_lengthsFor != (steps, batch))
        {
            _lengths.CopyFromHost(Enumerable.Repeat(steps, batch).ToArray(), 0, stream);
            _lengthsFor = (steps, batch);
        }
        if (!_shapes.TryGetValue((steps, batch), out var shape))
        {
            var lengths = Enumerable.Repeat(steps, batch).ToArray();
            var x = new CudnnRnnDataDescriptor(_cudnn, CudnnDataType.Float, CudnnRnnDataLayout.SequenceMajorUnpacked, steps, _input, lengths);
            var y = new CudnnRnnDataDescriptor(_cudnn, CudnnDataType.Float, CudnnRnnDataLayout.SequenceMajorUnpacked, steps, _directions * _hidden, lengths);
            var (work, _) = _rnn.TempSpaceBytes(CudnnForwardMode.Inference, x);
            shape = (x, y, _context.Allocate<byte>(Math.Max(1, work)), work);
            _shapes[(steps, batch)] = shape;
        }
        // The state descriptors must say B: rebuild them for this batch (cheap host call).
        _states.Set(CudnnDataType.Float, [_layers * _directions, batch, _hidden], CudnnTensorDescriptor.PackedStrides([_layers * _directions, batch, _hidden]));
        var spaces = new CudnnRnnSpaces(_weights.Pointer, _weights.Length, shape.Work.Pointer, shape.WorkBytes, 0, 0);
        _rnn.Forward(CudnnForwardMode.Inference, _lengths.Pointer, shape.X, X.Pointer, shape.Y, Y.Pointer,
            _states, withInitialStates ? Hx.Pointer : 0, Hy.Pointer, _states, withInitialStates ? Cx.Pointer : 0, Cy.Pointer, spaces);
    }

    private void CopyWeights(IReadOnlyList<LayerWeights<float>> layers, long bytes)
    {
        int gates = layers[0].Options.GateCount, h = _hidden;
        for (int l = 0; l < layers.Count; l++)
        {
            for (int d = 0; d < _directions; d++)
            {
                var w = layers[l].Directions[d];
                int inSize = layers[l].Options.InputSize;
                // Linear layers 0..G-1 are the input matrices, G..2G-1 the recurrent ones, in the engine's gate order.
                for (int id = 0; id < 2 * gates; id++)
                {
                    int gate = id % gates;
                    bool recurrent = id >= gates;
                    var p = _rnn.GetWeightParameter(l * _directions + d, _weights.Pointer, bytes, id);
                    int columns = recurrent ? h : inSize;
                    if (p.MatrixDimensions.Aggregate(1, (a, b) => a * b) != h * columns)
                        throw new InvalidOperationException($"cuDNN's matrix {id} of layer {l} has dimensions [{string.Join(", ", p.MatrixDimensions)}], expected {h} x {columns}");
                    DeviceMemory.CopyFromHost(p.Matrix, (recurrent ? w.R : w.W).AsSpan(gate * h * columns, h * columns));
                    if (p.Bias != 0)
                        DeviceMemory.CopyFromHost(p.Bias, (recurrent ? w.Br : w.Bw).AsSpan(gate * h, h));
                }
            }
        }
    }

    /// <summary>Frees cuDNN's objects and buffers.</summary>
    public void Dispose()
    {
        foreach (var shape in _shapes.Values)
        {
            shape.X.Dispose();
            shape.Y.Dispose();
            shape.Work.Dispose();
        }
        _shapes.Clear();
        Hx.Dispose();
        Cx.Dispose();
        Hy.Dispose();
        Cy.Dispose();
        X.Dispose();
        Y.Dispose();
        _lengths.Dispose();
        _weights.Dispose();
        _states.Dispose();
        _rnn.Dispose();
        _dropout.Dispose();
        _cudnn.Dispose();
    }
}

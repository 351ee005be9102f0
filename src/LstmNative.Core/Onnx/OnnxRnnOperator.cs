using System.Numerics;
using LstmNative.Cpu;
using LstmNative.Engines;
using LstmNative.Model;
using LstmNative.Reference;

namespace LstmNative.Onnx;

/// <summary>
/// Runs one ONNX LSTM/GRU node: checks every tensor's shape and type against the attributes, maps ONNX gate
/// order and layout onto the engine's, runs forward (and backward) on an <see cref="IRnnLayerEngine{T}"/>, and maps
/// the results back to ONNX shapes.
/// </summary>
public sealed class OnnxRnnOperator
{
    private readonly OnnxRnnTensors _inputs;
    private readonly double[] _x;      // time-major [T, B, I]
    private readonly int[] _lengths;
    private readonly double[] _h0;     // [D, B, H]
    private readonly double[] _c0;
    private readonly EngineRun _engine;
    private CpuPackedLayerEngine? _packed;

    /// <summary>Validates the node's inputs against its attributes; throws <see cref="ArgumentException"/> naming the tensor on a mismatch.</summary>
    /// <param name="attributes">The node's attributes.</param>
    /// <param name="inputs">The node's tensors.</param>
    /// <remarks>Runs on the fast CPU engine (<see cref="CpuLayerEngine.Default"/>, float32).</remarks>
    public OnnxRnnOperator(OnnxRnnAttributes attributes, OnnxRnnTensors inputs)
        : this(attributes, inputs, new EngineRun<float>(CpuLayerEngine.Default))
    {
    }

    /// <summary>Validates the node's inputs against its attributes; runs the node on a float32 engine (the fast CPU engine, the GPU's layer runner, ...).</summary>
    /// <param name="attributes">The node's attributes.</param>
    /// <param name="inputs">The node's tensors.</param>
    /// <param name="engine">The engine that runs the node.</param>
    public OnnxRnnOperator(OnnxRnnAttributes attributes, OnnxRnnTensors inputs, IRnnLayerEngine<float> engine)
        : this(attributes, inputs, new EngineRun<float>(engine ?? throw new ArgumentNullException(nameof(engine))))
    {
    }

    /// <summary>Validates the node's inputs against its attributes; runs the node on a float64 engine (the reference: <see cref="ReferenceLayerEngine{T}.Default"/>).</summary>
    /// <param name="attributes">The node's attributes.</param>
    /// <param name="inputs">The node's tensors.</param>
    /// <param name="engine">The engine that runs the node.</param>
    public OnnxRnnOperator(OnnxRnnAttributes attributes, OnnxRnnTensors inputs, IRnnLayerEngine<double> engine)
        : this(attributes, inputs, new EngineRun<double>(engine ?? throw new ArgumentNullException(nameof(engine))))
    {
    }

    private OnnxRnnOperator(OnnxRnnAttributes attributes, OnnxRnnTensors inputs, EngineRun engine)
    {
        _engine = engine;
        ArgumentNullException.ThrowIfNull(attributes);
        ArgumentNullException.ThrowIfNull(inputs);
        _inputs = inputs;
        Layout = attributes.SequenceLayout;
        int g = attributes.Cell.GateCount();
        int dirs = attributes.ParsedDirection.Count();

        RequireFloat("X", inputs.X);
        RequireRank("X", inputs.X, 3, Layout == SequenceLayout.TimeMajor ? "[seq_length, batch_size, input_size]" : "[batch_size, seq_length, input_size]");
        Steps = Layout == SequenceLayout.TimeMajor ? inputs.X.Shape[0] : inputs.X.Shape[1];
        Batch = Layout == SequenceLayout.TimeMajor ? inputs.X.Shape[1] : inputs.X.Shape[0];
        int inSize = inputs.X.Shape[2];
        if (Steps < 1)
            throw new ArgumentException("Expected sequence length to be larger than 0 in RNN");
        if (Batch < 1)
            throw new ArgumentException("X: expected batch size to be larger than 0");

        RequireFloat("R", inputs.R);
        RequireRank("R", inputs.R, 3, $"[num_directions, {g}*hidden_size, hidden_size]");
        int hidden = attributes.HiddenSize ?? inputs.R.Shape[2];
        // Checked before any gates × hidden_size is computed: a hostile hidden_size would overflow it.
        if (hidden != inputs.R.Shape[2])
            throw new ArgumentException($"R: the hidden_size attribute is {hidden} but R's last dimension is {inputs.R.Shape[2]} (expected [num_directions, {g}*hidden_size, hidden_size])");
        if ((long)g * hidden > Array.MaxLength)
            throw new ArgumentException($"R: hidden_size {hidden} is too large ({g}*hidden_size is over {Array.MaxLength})");
        RequireShape("R", inputs.R, [dirs, g * hidden, hidden], $"[num_directions={dirs}, {g}*hidden_size={g * hidden}, hidden_size={hidden}]");
        RequireFloat("W", inputs.W);
        RequireShape("W", inputs.W, [dirs, g * hidden, inSize], $"[num_directions={dirs}, {g}*hidden_size={g * hidden}, input_size={inSize}]");
        if (inputs.B is { } bias)
        {
            RequireFloat("B", bias);
            RequireShape("B", bias, [dirs, 2 * g * hidden], $"[num_directions={dirs}, {2 * g}*hidden_size={2 * g * hidden}]");
        }
        if (inputs.P is { } peep)
        {
            if (attributes.Cell != RnnCellType.Lstm)
                throw new ArgumentException("P: peepholes exist only for LSTM");
            RequireFloat("P", peep);
            RequireShape("P", peep, [dirs, 3 * hidden], $"[num_directions={dirs}, 3*hidden_size={3 * hidden}]");
        }
        int[] stateShape = Layout == SequenceLayout.TimeMajor ? [dirs, Batch, hidden] : [Batch, dirs, hidden];
        string stateText = Layout == SequenceLayout.TimeMajor
            ? $"[num_directions={dirs}, batch_size={Batch}, hidden_size={hidden}]"
            : $"[batch_size={Batch}, num_directions={dirs}, hidden_size={hidden}]";
        if (inputs.InitialH is { } ih)
        {
            RequireFloat("initial_h", ih);
            RequireShape("initial_h", ih, stateShape, stateText);
        }
        if (inputs.InitialC is { } ic)
        {
            if (attributes.Cell != RnnCellType.Lstm)
                throw new ArgumentException("initial_c: GRU has no cell state");
            RequireFloat("initial_c", ic);
            RequireShape("initial_c", ic, stateShape, stateText);
        }

        Options = attributes.ToLayerOptions(inSize, hidden, inputs.P is not null);
        Weights = GateOrder.FromOnnx<double>(Options, inputs.W.ToDoubles(), inputs.R.ToDoubles(),
            inputs.B?.ToDoubles() ?? [], inputs.P?.ToDoubles() ?? []);

        if (inputs.SequenceLens is { } sl)
        {
            if (sl.DType is not (DType.Int32 or DType.Int64))
                throw new ArgumentException($"sequence_lens: expected int32, got {sl.DType.ToString().ToLowerInvariant()}");
            RequireShape("sequence_lens", sl, [Batch], $"[batch_size={Batch}]");
        }
        _lengths = RnnShapeChecks.CheckInputs(Options, Steps * Batch * inSize, Steps, Batch,
            inputs.SequenceLens?.ToInt32s() ?? [], 0, 0);
        _x = Layout == SequenceLayout.TimeMajor ? inputs.X.ToDoubles() : SwapFirstTwo(inputs.X.ToDoubles(), Batch, Steps, inSize);
        _h0 = StateToEngine(inputs.InitialH);
        _c0 = Options.Cell == RnnCellType.Lstm ? StateToEngine(inputs.InitialC) : [];
    }

    /// <summary>The name of the engine that runs the node (<see cref="IRnnLayerEngine{T}.Name"/>).</summary>
    public string EngineName => _engine.Name;

    /// <summary>
    /// Weight precision on the fast CPU engine (<see cref="CpuLayerEngine"/> only): <see cref="Forward()"/> runs on a
    /// <see cref="CpuPackedLayerEngine"/> in this precision (<see cref="CpuPrecision.Bf16"/> and <see cref="CpuPrecision.Int8"/>:
    /// see <see cref="CpuPrecision"/> for the accuracy), packed on the first call and run on the calling thread;
    /// <see cref="Backward"/> needs <see cref="CpuPrecision.Fp32"/>.
    /// </summary>
    public CpuPrecision Precision { get; init; } = CpuPrecision.Fp32;

    /// <summary>
    /// Static int8 (with <see cref="Precision"/> = <see cref="CpuPrecision.Int8"/>): the node's fixed activation ranges, e.g.
    /// <c>Int8Calibrator</c>'s over representative inputs of <c>Weights.Convert&lt;float&gt;()</c>. Null (the default):
    /// dynamic int8, each activation row scaled by its own largest magnitude.
    /// </summary>
    public Int8LayerRanges? CalibratedRanges { get; init; }

    /// <summary>The engine options derived from the node.</summary>
    public RnnLayerOptions Options { get; }

    /// <summary>The node's weights in engine layout.</summary>
    public LayerWeights<double> Weights { get; }

    /// <summary>The node's layout.</summary>
    public SequenceLayout Layout { get; }

    /// <summary>Sequence length <c>T</c>.</summary>
    public int Steps { get; }

    /// <summary>Batch size <c>B</c>.</summary>
    public int Batch { get; }

    /// <summary>Runs the node forward; returns <c>Y</c>, <c>Y_h</c> and (LSTM) <c>Y_c</c> by output role, in ONNX shapes, float32.</summary>
    /// <remarks>On the fast CPU engine the weights are packed once into a <see cref="CpuPackedLayerEngine"/> and every
    /// later call reuses its session (repeated calls do not repack). Other engines run <see cref="IRnnLayerEngine{T}.Forward"/>
    /// with the weights converted once, so an engine that keeps state per weights (the GPU's layer runner) sees the same
    /// instance on every call.</remarks>
    public IReadOnlyDictionary<string, NdArray> Forward() => Forward(traced: false);

    private Dictionary<string, NdArray> Forward(bool traced)
    {
        (double[] Y, double[] Yh, double[] Yc) result;
        if (CalibratedRanges is not null && Precision != CpuPrecision.Int8)
            throw new InvalidOperationException($"calibrated ranges are for int8 weights; this node runs {Precision}");
        if (Precision != CpuPrecision.Fp32 || (_engine.IsFastCpu && !traced))
        {
            if (!_engine.IsFastCpu)
                throw new InvalidOperationException($"{Precision} weights need the CPU engine, not {_engine.Name}");
            _packed ??= new CpuPackedLayerEngine(Precision);
            result = _engine.ForwardOn(_packed, this);
        }
        else
        {
            result = _engine.Forward(this);
        }
        return Outputs(result.Y, result.Yh, result.Yc);
    }

    private Dictionary<string, NdArray> Outputs(double[] y, double[] yh, double[] yc)
    {
        int dirs = Options.DirectionCount, h = Options.HiddenSize;
        var result = new Dictionary<string, NdArray>
        {
            ["Y"] = Layout == SequenceLayout.TimeMajor
                ? new NdArray(ToFloats(y), [Steps, dirs, Batch, h])
                : new NdArray(ToFloats(ReorderYToBatchMajor(y)), [Batch, Steps, dirs, h]),
            ["Y_h"] = StateFromEngine(yh),
        };
        if (Options.Cell == RnnCellType.Lstm)
            result["Y_c"] = StateFromEngine(yc);
        return result;
    }

    /// <summary>
    /// Back-propagates upstream gradients (by output role, ONNX shapes; absent ones are zero) through the last
    /// node (forward is run again to keep the trace). Returns float32 gradients for every float input present, by input
    /// role, each in its input's own shape and layout: X, W, R, B, initial_h, initial_c, P.
    /// </summary>
    public IReadOnlyDictionary<string, NdArray> Backward(IReadOnlyDictionary<string, NdArray> upstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        if (Precision != CpuPrecision.Fp32)
            throw new InvalidOperationException($"backward needs float32 weights: {Precision} is for inference only");
        foreach (var key in upstream.Keys)
            if (!OnnxRnnTensors.OutputRoles.Contains(key) || (key == "Y_c" && Options.Cell != RnnCellType.Lstm))
                throw new ArgumentException($"no output '{key}' to take a gradient for ({Options.Cell} outputs: {(Options.Cell == RnnCellType.Lstm ? "Y, Y_h, Y_c" : "Y, Y_h")})");
        var forward = Forward(traced: true);
        int dirs = Options.DirectionCount, h = Options.HiddenSize, inSize = Options.InputSize;
        double[] dY = [], dYh = [], dYc = [];
        if (upstream.TryGetValue("Y", out var gy))
        {
            RequireFloat("gradient of Y", gy);
            RequireShape("gradient of Y", gy, forward["Y"].Shape, NdArray.FormatShape(forward["Y"].Shape));
            dY = Layout == SequenceLayout.TimeMajor ? gy.ToDoubles() : ReorderYToTimeMajor(gy.ToDoubles());
        }
        if (upstream.TryGetValue("Y_h", out var gh))
        {
            RequireFloat("gradient of Y_h", gh);
            RequireShape("gradient of Y_h", gh, forward["Y_h"].Shape, NdArray.FormatShape(forward["Y_h"].Shape));
            dYh = StateToEngine(gh);
        }
        if (upstream.TryGetValue("Y_c", out var gc))
        {
            RequireFloat("gradient of Y_c", gc);
            RequireShape("gradient of Y_c", gc, forward["Y_c"].Shape, NdArray.FormatShape(forward["Y_c"].Shape));
            dYc = StateToEngine(gc);
        }
        var grads = _engine.Backward(this, dY, dYh, dYc);

        int g = Options.GateCount;
        var w = new double[dirs * g * h * inSize];
        var r = new double[dirs * g * h * h];
        var b = new double[dirs * 2 * g * h];
        var p = new double[Options.HasPeepholes ? dirs * 3 * h : 0];
        GateOrder.ToOnnx(grads.Weights, w, r, b, p);
        var result = new Dictionary<string, NdArray>
        {
            ["X"] = new NdArray(ToFloats(Layout == SequenceLayout.TimeMajor ? grads.DX : SwapFirstTwo(grads.DX, Steps, Batch, inSize)), _inputs.X.Shape),
            ["W"] = new NdArray(ToFloats(w), _inputs.W.Shape),
            ["R"] = new NdArray(ToFloats(r), _inputs.R.Shape),
        };
        if (_inputs.B is not null)
            result["B"] = new NdArray(ToFloats(b), _inputs.B.Shape);
        if (_inputs.InitialH is not null)
            result["initial_h"] = StateFromEngine(grads.DH0);
        if (_inputs.InitialC is not null)
            result["initial_c"] = StateFromEngine(grads.DC0);
        if (_inputs.P is not null)
            result["P"] = new NdArray(ToFloats(p), _inputs.P.Shape);
        return result;
    }

    private double[] StateToEngine(NdArray? state)
    {
        int n = Options.DirectionCount * Batch * Options.HiddenSize;
        if (state is null)
            return new double[n];
        var v = state.ToDoubles();
        return Layout == SequenceLayout.TimeMajor ? v : SwapFirstTwo(v, Batch, Options.DirectionCount, Options.HiddenSize);
    }

    private NdArray StateFromEngine(double[] state)
    {
        int dirs = Options.DirectionCount, h = Options.HiddenSize;
        return Layout == SequenceLayout.TimeMajor
            ? new NdArray(ToFloats(state), [dirs, Batch, h])
            : new NdArray(ToFloats(SwapFirstTwo(state, dirs, Batch, h)), [Batch, dirs, h]);
    }

    // [T, D, B, H] -> [B, T, D, H]
    private double[] ReorderYToBatchMajor(double[] y)
    {
        int dirs = Options.DirectionCount, h = Options.HiddenSize;
        var result = new double[y.Length];
        for (int t = 0; t < Steps; t++)
            for (int d = 0; d < dirs; d++)
                for (int b = 0; b < Batch; b++)
                    Array.Copy(y, ((t * dirs + d) * Batch + b) * h, result, ((b * Steps + t) * dirs + d) * h, h);
        return result;
    }

    // [B, T, D, H] -> [T, D, B, H]
    private double[] ReorderYToTimeMajor(double[] y)
    {
        int dirs = Options.DirectionCount, h = Options.HiddenSize;
        var result = new double[y.Length];
        for (int t = 0; t < Steps; t++)
            for (int d = 0; d < dirs; d++)
                for (int b = 0; b < Batch; b++)
                    Array.Copy(y, ((b * Steps + t) * dirs + d) * h, result, ((t * dirs + d) * Batch + b) * h, h);
        return result;
    }

    /// <summary>[A, B, C] -> [B, A, C] (row-major).</summary>
    private static double[] SwapFirstTwo(double[] v, int a, int b, int c)
    {
        var result = new double[v.Length];
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++)
                Array.Copy(v, (i * b + j) * c, result, (j * a + i) * c, c);
        return result;
    }

    private static float[] ToFloats(double[] v) => Array.ConvertAll(v, x => (float)x);

    private static double[] ToDoubles<T>(T[] v) where T : unmanaged, IFloatingPointIeee754<T> =>
        v is double[] d ? d : Array.ConvertAll(v, x => double.CreateTruncating(x));

    private static T[] FromDoubles<T>(double[] v) where T : unmanaged, IFloatingPointIeee754<T> =>
        v is T[] same ? same : Array.ConvertAll(v, x => T.CreateTruncating(x));

    /// <summary>The node's engine, whatever its element type: the node's tensors are held in float64 and converted at this boundary.</summary>
    private abstract class EngineRun
    {
        public abstract string Name { get; }

        /// <summary>True for the fast CPU engine, whose inference runs on packed weights.</summary>
        public abstract bool IsFastCpu { get; }

        public abstract (double[] Y, double[] Yh, double[] Yc) Forward(OnnxRnnOperator op);

        /// <summary>Inference on <paramref name="packed"/>, with the weights packed there once.</summary>
        public abstract (double[] Y, double[] Yh, double[] Yc) ForwardOn(CpuPackedLayerEngine packed, OnnxRnnOperator op);

        public abstract LayerGradients<double> Backward(OnnxRnnOperator op, double[] dY, double[] dYh, double[] dYc);
    }

    private sealed class EngineRun<T>(IRnnLayerEngine<T> engine) : EngineRun where T : unmanaged, IFloatingPointIeee754<T>
    {
        private LayerWeights<T>? _weights;
        private LayerWeights<float>? _weights32;
        private RnnLayerPass<T>? _pass;

        public override string Name => engine.Name;

        public override bool IsFastCpu => engine is CpuLayerEngine;

        public override (double[] Y, double[] Yh, double[] Yc) Forward(OnnxRnnOperator op)
        {
            // Converted once: an engine that keeps state per weights (the GPU runner's uploaded model) sees one instance.
            _weights ??= typeof(T) == typeof(double) ? (LayerWeights<T>)(object)op.Weights : op.Weights.Convert<T>();
            _pass = engine.Forward(_weights, FromDoubles<T>(op._x), op.Steps, op.Batch, op._lengths, FromDoubles<T>(op._h0), FromDoubles<T>(op._c0));
            return (ToDoubles(_pass.Y), ToDoubles(_pass.Hn), ToDoubles(_pass.Cn));
        }

        public override (double[] Y, double[] Yh, double[] Yc) ForwardOn(CpuPackedLayerEngine packed, OnnxRnnOperator op)
        {
            _weights32 ??= _weights as LayerWeights<float> ?? op.Weights.Convert<float>();
            if (op.CalibratedRanges is { } ranges)
                packed.Add(_weights32, ranges);
            else
                packed.Add(_weights32);
            var pass = packed.Forward(_weights32, ToFloats(op._x), op.Steps, op.Batch, op._lengths, ToFloats(op._h0), ToFloats(op._c0));
            return (ToDoubles(pass.Y), ToDoubles(pass.Hn), ToDoubles(pass.Cn));
        }

        public override LayerGradients<double> Backward(OnnxRnnOperator op, double[] dY, double[] dYh, double[] dYc)
        {
            var g = _pass!.Backward(FromDoubles<T>(dY), FromDoubles<T>(dYh), FromDoubles<T>(dYc));
            return g is LayerGradients<double> d ? d : op.ToDoubles(g);
        }
    }

    private LayerGradients<double> ToDoubles<T>(LayerGradients<T> g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new LayerGradients<double>(Options, Steps, Batch);
        Array.Copy(ToDoubles(g.DX), result.DX, g.DX.Length);
        Array.Copy(ToDoubles(g.DH0), result.DH0, g.DH0.Length);
        Array.Copy(ToDoubles(g.DC0), result.DC0, g.DC0.Length);
        for (int d = 0; d < g.Weights.Directions.Length; d++)
        {
            using var src = g.Weights.Directions[d].Parameters().GetEnumerator();
            using var dst = result.Weights.Directions[d].Parameters().GetEnumerator();
            while (src.MoveNext() && dst.MoveNext())
                Array.Copy(ToDoubles(src.Current), dst.Current, src.Current.Length);
        }
        return result;
    }

    private static void RequireFloat(string name, NdArray t)
    {
        if (t.DType is not (DType.Float32 or DType.Float64))
            throw new ArgumentException($"{name}: expected float32, got {t.DType.ToString().ToLowerInvariant()}");
    }

    private static void RequireRank(string name, NdArray t, int rank, string expected)
    {
        if (t.Rank != rank)
            throw new ArgumentException($"{name}: expected {rank}-D tensor {expected}, got {t.Rank}-D {NdArray.FormatShape(t.Shape)}");
    }

    private static void RequireShape(string name, NdArray t, IReadOnlyList<int> shape, string expected)
    {
        if (!t.Shape.SequenceEqual(shape))
            throw new ArgumentException($"{name}: expected shape {NdArray.FormatShape(shape)} {expected}, got {NdArray.FormatShape(t.Shape)}");
    }
}

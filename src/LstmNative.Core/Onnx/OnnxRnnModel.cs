using LstmNative.Formats;
using LstmNative.Model;

namespace LstmNative.Onnx;

/// <summary>The operator positions of an ONNX LSTM/GRU node's inputs (GRU has no <c>initial_c</c> and no <c>P</c>).</summary>
public enum OnnxRnnInput
{
    /// <summary>The input sequence <c>X</c>.</summary>
    X = 0,

    /// <summary>Input weights <c>W[D, G*H, I]</c>.</summary>
    W = 1,

    /// <summary>Recurrent weights <c>R[D, G*H, H]</c>.</summary>
    R = 2,

    /// <summary>Biases <c>B[D, 2*G*H]</c> (input biases then recurrent biases).</summary>
    B = 3,

    /// <summary>Per-batch sequence lengths <c>sequence_lens[B]</c> (int32).</summary>
    SequenceLens = 4,

    /// <summary>Initial hidden state.</summary>
    InitialH = 5,

    /// <summary>Initial cell state (LSTM only).</summary>
    InitialC = 6,

    /// <summary>Peephole weights <c>P[D, 3H]</c> (LSTM only).</summary>
    P = 7,
}

/// <summary>The operator positions of an ONNX LSTM/GRU node's outputs.</summary>
public enum OnnxRnnOutput
{
    /// <summary>All hidden states <c>Y</c>.</summary>
    Y = 0,

    /// <summary>The last hidden state <c>Y_h</c>.</summary>
    YH = 1,

    /// <summary>The last cell state <c>Y_c</c> (LSTM only).</summary>
    YC = 2,
}

/// <summary>A graph input that is not an initializer: what the caller feeds at run time.</summary>
/// <param name="Name">The input's name.</param>
/// <param name="ElementType">Its element type.</param>
/// <param name="Dims">Its dimensions, null entries for symbolic or unknown ones; null when the model gives no shape at all.</param>
public sealed record OnnxGraphInput(string Name, DType ElementType, int?[]? Dims)
{
    /// <summary>Whether every dimension is a known number.</summary>
    public bool IsStatic => Dims is not null && Dims.All(d => d.HasValue);
}

/// <summary>
/// An ONNX model whose graph is exactly one LSTM or GRU node, as loaded by <see cref="OnnxModelReader"/>:
/// the node, its attributes, its initializers and the graph's inputs and outputs.
/// </summary>
public sealed class OnnxRnnModel
{
    internal OnnxRnnModel(
        string source,
        long opsetVersion,
        string opType,
        string nodeName,
        IReadOnlyList<string> nodeInputs,
        IReadOnlyList<string> nodeOutputs,
        OnnxRnnAttributes attributes,
        IReadOnlyDictionary<string, NdArray> initializers,
        IReadOnlyList<OnnxGraphInput> graphInputs,
        IReadOnlyList<string> graphOutputs)
    {
        Source = source;
        OpsetVersion = opsetVersion;
        OpType = opType;
        Cell = opType == "LSTM" ? RnnCellType.Lstm : RnnCellType.Gru;
        NodeName = nodeName;
        NodeInputs = nodeInputs;
        NodeOutputs = nodeOutputs;
        Attributes = attributes;
        Initializers = initializers;
        GraphInputs = graphInputs;
        GraphOutputs = graphOutputs;
    }

    /// <summary>Where the model came from (its path, or the name given to the bytes); messages start with it.</summary>
    public string Source { get; }

    /// <summary>The version of the default (ai.onnx) operator set the model imports.</summary>
    public long OpsetVersion { get; }

    /// <summary>"LSTM" or "GRU".</summary>
    public string OpType { get; }

    /// <summary>The cell type matching <see cref="OpType"/>.</summary>
    public RnnCellType Cell { get; }

    /// <summary>The node's name ("" when unnamed).</summary>
    public string NodeName { get; }

    /// <summary>
    /// Eight input names in operator positions (see <see cref="OnnxRnnInput"/>): X, W, R, B, sequence_lens, initial_h,
    /// initial_c, P; "" where omitted.
    /// </summary>
    public IReadOnlyList<string> NodeInputs { get; }

    /// <summary>Three output names in operator positions (see <see cref="OnnxRnnOutput"/>): Y, Y_h, Y_c; "" where omitted.</summary>
    public IReadOnlyList<string> NodeOutputs { get; }

    /// <summary>The node's attributes.</summary>
    public OnnxRnnAttributes Attributes { get; }

    /// <summary>The graph's initializers by name.</summary>
    public IReadOnlyDictionary<string, NdArray> Initializers { get; }

    /// <summary>The graph inputs that are not initializers, in graph order.</summary>
    public IReadOnlyList<OnnxGraphInput> GraphInputs { get; }

    /// <summary>The names of the graph's outputs, in graph order.</summary>
    public IReadOnlyList<string> GraphOutputs { get; }

    /// <summary>The name wired to one input position ("" when omitted).</summary>
    public string Input(OnnxRnnInput which) => NodeInputs[(int)which];

    /// <summary>The name wired to one output position ("" when omitted).</summary>
    public string Output(OnnxRnnOutput which) => NodeOutputs[(int)which];

    /// <summary>
    /// The shape of a value known before run time: an initializer's shape, or a graph input's when all its dims are numbers.
    /// </summary>
    public bool TryGetStaticShape(string name, out int[] shape)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length > 0 && Initializers.TryGetValue(name, out var array))
        {
            shape = array.Shape.ToArray();
            return true;
        }
        var input = GraphInputs.FirstOrDefault(i => i.Name == name);
        if (name.Length > 0 && input is { IsStatic: true })
        {
            shape = input.Dims!.Select(d => d!.Value).ToArray();
            return true;
        }
        shape = [];
        return false;
    }

    /// <summary>
    /// Builds the layer options from the attributes and the static shapes of W and R (initializers, or graph inputs with
    /// numeric dims); B and P are checked too when their shapes are known.
    /// </summary>
    /// <exception cref="ModelFormatException">W's shape is not known before run time, or the shapes and attributes disagree.</exception>
    public (RnnLayerOptions Options, SequenceLayout Layout) ToLayerOptions()
    {
        if (!TryGetStaticShape(Input(OnnxRnnInput.W), out int[] w))
            throw Fail($"the shape of W ('{Input(OnnxRnnInput.W)}') is not known before run time: pass it to ToLayerOptions(wShape, rShape)");
        int[]? r = TryGetStaticShape(Input(OnnxRnnInput.R), out int[] rs) ? rs : null;
        var result = ToLayerOptions(w, r);
        var o = result.Options;
        int d = o.DirectionCount, gh = o.GateCount * o.HiddenSize; // Validate has bounded G*H*H, so these fit
        CheckShape(OnnxRnnInput.B, [d, 2 * gh], "[num_directions, 2*gates*hidden_size]");
        CheckShape(OnnxRnnInput.P, [d, 3 * o.HiddenSize], "[num_directions, 3*hidden_size]");
        return result;
    }

    /// <summary>
    /// Builds the layer options from the attributes and the given shapes: InputSize is <c>W.shape[2]</c>; HiddenSize is
    /// <c>hidden_size</c>, else <c>R.shape[2]</c>, else <c>W.shape[1] / gates</c>; HasPeepholes when P is wired.
    /// </summary>
    /// <param name="wShape">The shape of W, <c>[num_directions, gates*hidden_size, input_size]</c>.</param>
    /// <param name="rShape">The shape of R when known, <c>[num_directions, gates*hidden_size, hidden_size]</c>.</param>
    /// <exception cref="ModelFormatException">The shapes and attributes disagree or the options are invalid.</exception>
    public (RnnLayerOptions Options, SequenceLayout Layout) ToLayerOptions(IReadOnlyList<int> wShape, IReadOnlyList<int>? rShape)
    {
        ArgumentNullException.ThrowIfNull(wShape);
        var a = Attributes;
        RnnDirection direction;
        try
        {
            direction = a.ParsedDirection;
        }
        catch (ArgumentException e)
        {
            throw Fail(e.Message);
        }
        int dirs = direction.Count(), gates = Cell.GateCount();
        if (wShape.Count != 3 || wShape[0] != dirs)
            throw Fail($"W has shape {NdArray.FormatShape(wShape)}: expected [{dirs}, {gates}*hidden_size, input_size] for a {a.Direction} {OpType}");
        if (rShape is not null && rShape.Count != 3)
            throw Fail($"R has shape {NdArray.FormatShape(rShape)}: expected [{dirs}, {gates}*hidden_size, hidden_size]");
        int hidden = a.HiddenSize
            ?? (rShape is not null ? rShape[2] : wShape[1] % gates == 0 ? wShape[1] / gates : 0);
        long gh = (long)gates * hidden; // 64-bit: 4 * 2^30 must not wrap to 0 and match an empty W
        if (wShape[1] != gh)
            throw Fail($"W has shape {NdArray.FormatShape(wShape)}: expected [{dirs}, {gh}, input_size] for hidden_size {hidden}");
        if (rShape is not null && (rShape[0] != dirs || rShape[1] != gh || rShape[2] != hidden))
            throw Fail($"R has shape {NdArray.FormatShape(rShape)}: expected [{dirs}, {gh}, {hidden}]");
        if (a.Layout is not (0 or 1))
            throw Fail($"layout is {a.Layout}: expected 0 or 1");
        RnnLayerOptions options;
        try
        {
            // One place applies ONNX's rules and defaults (activations included): OnnxRnnAttributes.
            options = a.ToLayerOptions(wShape[2], hidden, Input(OnnxRnnInput.P).Length > 0);
        }
        catch (ArgumentException e)
        {
            throw Fail(e.Message);
        }
        return (options, (SequenceLayout)a.Layout);
    }

    private void CheckShape(OnnxRnnInput which, int[] expected, string meaning)
    {
        string name = Input(which);
        if (TryGetStaticShape(name, out int[] shape) && !shape.SequenceEqual(expected))
            throw Fail($"{which} ('{name}') has shape {NdArray.FormatShape(shape)}: expected {NdArray.FormatShape(expected)} {meaning}");
    }

    private ModelFormatException Fail(string what) =>
        ModelFormatException.For(Source, $"{OpType} node '{NodeName}': {what}");
}

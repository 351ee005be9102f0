using System.Text;
using Google.Protobuf;
using LstmNative.Formats;
using LstmNative.Model;
using Onnx;

namespace LstmNative.Onnx;

/// <summary>
/// Loads ONNX models whose graph is a single LSTM or GRU node (the ONNX operator semantics the engine implements).
/// Everything else is refused with a one-line <see cref="ModelFormatException"/> that names what was found.
/// </summary>
public static class OnnxModelReader
{
    private static readonly string[] LstmAttributes =
        ["hidden_size", "direction", "layout", "clip", "input_forget", "activations", "activation_alpha", "activation_beta"];

    private static readonly string[] GruAttributes =
        ["hidden_size", "direction", "layout", "clip", "linear_before_reset", "activations", "activation_alpha", "activation_beta"];

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Loads the model file at <paramref name="path"/>.</summary>
    /// <exception cref="ModelFormatException">The file is not a valid ONNX model, or its graph is not a single LSTM/GRU node.</exception>
    public static OnnxRnnModel Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Load(InputFile.ReadAllBytes(path), path);
    }

    /// <summary>Loads a model from its serialized bytes; <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="ModelFormatException">The bytes are not a valid ONNX model, or its graph is not a single LSTM/GRU node.</exception>
    public static OnnxRnnModel Load(ReadOnlySpan<byte> bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return FromModelProto(OnnxModelProtos.Parse(bytes, source), source);
    }

    /// <summary>Interprets an already parsed model; <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="ModelFormatException">The graph is missing or is not a single LSTM/GRU node, or the node is malformed.</exception>
    public static OnnxRnnModel FromModelProto(ModelProto model, string source)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(source);
        var (graph, opset) = OnnxModelProtos.CheckHeader(model, source);

        var node = SingleRnnNode(graph, source);
        string opType = node.OpType;
        string nodeName = node.Name;
        string where = $"{opType} node '{nodeName}'";

        int maxInputs = opType == "LSTM" ? 8 : 6, maxOutputs = opType == "LSTM" ? 3 : 2;
        if (node.Input.Count < 3 || node.Input.Count > maxInputs)
            throw ModelFormatException.For(source, $"{where} has {node.Input.Count} inputs: expected 3 to {maxInputs} (X, W, R required)");
        if (node.Output.Count > maxOutputs)
            throw ModelFormatException.For(source, $"{where} has {node.Output.Count} outputs: expected at most {maxOutputs}");
        for (int i = 0; i < 3; i++)
            if (node.Input[i].Length == 0)
                throw ModelFormatException.For(source, $"{where} leaves required input {(OnnxRnnInput)i} empty");
        string[] inputs = Enumerable.Range(0, 8).Select(i => i < node.Input.Count ? node.Input[i] : "").ToArray();
        string[] outputs = Enumerable.Range(0, 3).Select(i => i < node.Output.Count ? node.Output[i] : "").ToArray();

        var attributes = ReadAttributes(node, source, where);

        if (graph.SparseInitializer.Count > 0)
            throw ModelFormatException.For(source, $"graph has {graph.SparseInitializer.Count} sparse initializers, which are not supported");
        var initializers = new Dictionary<string, NdArray>(StringComparer.Ordinal);
        foreach (var tensor in graph.Initializer)
        {
            if (tensor.Name.Length == 0)
                throw ModelFormatException.For(source, "graph has an initializer without a name");
            if (initializers.ContainsKey(tensor.Name))
                throw ModelFormatException.For(source, $"graph has two initializers named '{tensor.Name}'");
            initializers[tensor.Name] = OnnxTensors.ToNdArray(tensor, $"{source}: initializer '{tensor.Name}'");
        }

        // Before IR version 4 initializers were also listed as graph inputs; those are not run-time inputs.
        var graphInputs = new List<OnnxGraphInput>();
        var inputNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in graph.Input)
        {
            if (initializers.ContainsKey(input.Name))
                continue;
            if (!inputNames.Add(input.Name)) // a set: a linear scan per input made 100,000 inputs take a minute
                throw ModelFormatException.For(source, $"graph lists input '{input.Name}' twice");
            graphInputs.Add(ReadGraphInput(input, source));
        }
        var graphOutputs = graph.Output.Select(o => o.Name).ToArray();

        // With a single node, every value it consumes must come from outside, and every graph output from the node.
        foreach (string name in inputs.Where(n => n.Length > 0))
            if (!initializers.ContainsKey(name) && !inputNames.Contains(name))
                throw ModelFormatException.For(source, $"{where} reads '{name}', which is neither a graph input nor an initializer");
        foreach (string name in graphOutputs)
            if (name.Length == 0 || !outputs.Contains(name))
                throw ModelFormatException.For(source, $"graph output '{name}' is not an output of {where}");

        return new OnnxRnnModel(source, opset.Version, opType, nodeName, inputs, outputs, attributes, initializers, graphInputs, graphOutputs);
    }

    private static NodeProto SingleRnnNode(GraphProto graph, string source)
    {
        const string only = "only a single LSTM or GRU node is supported";
        for (int i = 0; i < graph.Node.Count; i++)
        {
            var n = graph.Node[i];
            if (!IsRnn(n))
            {
                string op = n.Domain is "" or "ai.onnx" ? n.OpType : $"{n.Domain}.{n.OpType}";
                throw ModelFormatException.For(source, $"unsupported ONNX operator '{op}' (node '{NodeLabel(n, i)}'): {only}");
            }
        }
        return graph.Node.Count switch
        {
            0 => throw ModelFormatException.For(source, $"graph has no nodes: {only}"),
            1 => graph.Node[0],
            _ => throw ModelFormatException.For(source,
                $"graph has {graph.Node.Count} nodes ({string.Join(", ", graph.Node.Select((n, i) => $"{n.OpType} '{NodeLabel(n, i)}'"))}): {only}"),
        };
    }

    private static bool IsRnn(NodeProto n) => n.Domain is "" or "ai.onnx" && n.OpType is "LSTM" or "GRU";

    private static string NodeLabel(NodeProto n, int index) => n.Name.Length > 0 ? n.Name : $"#{index}";

    internal static OnnxRnnAttributes ReadAttributes(NodeProto node, string source, string where)
    {
        string[] known = node.OpType == "LSTM" ? LstmAttributes : GruAttributes;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var a = new OnnxRnnAttributes { Cell = node.OpType == "LSTM" ? RnnCellType.Lstm : RnnCellType.Gru };
        foreach (var attr in node.Attribute)
        {
            if (!known.Contains(attr.Name))
                throw ModelFormatException.For(source, $"{where} has unsupported attribute '{attr.Name}': expected {string.Join(", ", known)}");
            if (!seen.Add(attr.Name))
                throw ModelFormatException.For(source, $"{where} sets attribute '{attr.Name}' twice");
            if (attr.RefAttrName.Length > 0)
                throw ModelFormatException.For(source, $"{where} attribute '{attr.Name}' refers to a function attribute, which is not supported");
            a = attr.Name switch
            {
                "hidden_size" => a with { HiddenSize = PositiveInt(attr, source, where) },
                "direction" => a with { Direction = OneOf(Text(attr, source, where), ["forward", "reverse", "bidirectional"], attr, source, where) },
                "layout" => a with { Layout = ZeroOrOne(attr, source, where) },
                "clip" => a with { Clip = PositiveFloat(attr, source, where) },
                "input_forget" => a with { InputForget = ZeroOrOne(attr, source, where) },
                "linear_before_reset" => a with { LinearBeforeReset = ZeroOrOne(attr, source, where) },
                "activations" => a with { Activations = Texts(attr, source, where) },
                "activation_alpha" => a with { ActivationAlpha = Floats(attr, source, where).Select(v => (double)v).ToArray() },
                _ => a with { ActivationBeta = Floats(attr, source, where).Select(v => (double)v).ToArray() },
            };
        }
        return a;
    }

    private static void Expect(AttributeProto attr, AttributeProto.Types.AttributeType type, string source, string where)
    {
        if (attr.Type != type)
            throw ModelFormatException.For(source, $"{where} attribute '{attr.Name}' must be {type.ToString().ToUpperInvariant()}, found {attr.Type.ToString().ToUpperInvariant()}");
    }

    private static int PositiveInt(AttributeProto attr, string source, string where)
    {
        Expect(attr, AttributeProto.Types.AttributeType.Int, source, where);
        if (attr.I < 1 || attr.I > int.MaxValue)
            throw ModelFormatException.For(source, $"{where} attribute '{attr.Name}' is {attr.I}: expected a positive integer");
        return (int)attr.I;
    }

    private static int ZeroOrOne(AttributeProto attr, string source, string where)
    {
        Expect(attr, AttributeProto.Types.AttributeType.Int, source, where);
        if (attr.I is not (0 or 1))
            throw ModelFormatException.For(source, $"{where} attribute '{attr.Name}' is {attr.I}: expected 0 or 1");
        return (int)attr.I;
    }

    private static float PositiveFloat(AttributeProto attr, string source, string where)
    {
        Expect(attr, AttributeProto.Types.AttributeType.Float, source, where);
        if (!(attr.F > 0))
            throw ModelFormatException.For(source, $"{where} attribute '{attr.Name}' is {attr.F}: expected a positive number");
        return attr.F;
    }

    private static string Text(AttributeProto attr, string source, string where)
    {
        Expect(attr, AttributeProto.Types.AttributeType.String, source, where);
        return Decode(attr.S, attr, source, where);
    }

    private static string OneOf(string value, string[] allowed, AttributeProto attr, string source, string where) =>
        allowed.Contains(value)
            ? value
            : throw ModelFormatException.For(source, $"{where} attribute '{attr.Name}' is '{value}': expected one of {string.Join(", ", allowed.Select(s => $"'{s}'"))}");

    private static string[] Texts(AttributeProto attr, string source, string where)
    {
        Expect(attr, AttributeProto.Types.AttributeType.Strings, source, where);
        return attr.Strings.Select(s => Decode(s, attr, source, where)).ToArray();
    }

    private static float[] Floats(AttributeProto attr, string source, string where)
    {
        Expect(attr, AttributeProto.Types.AttributeType.Floats, source, where);
        return attr.Floats.ToArray();
    }

    private static string Decode(ByteString bytes, AttributeProto attr, string source, string where)
    {
        try
        {
            return StrictUtf8.GetString(bytes.Span);
        }
        catch (DecoderFallbackException e)
        {
            throw ModelFormatException.For(source, $"{where} attribute '{attr.Name}' is not valid UTF-8", e);
        }
    }

    internal static OnnxGraphInput ReadGraphInput(ValueInfoProto input, string source)
    {
        if (input.Name.Length == 0)
            throw ModelFormatException.For(source, "graph has an input without a name");
        if (input.Type?.ValueCase != TypeProto.ValueOneofCase.TensorType)
            throw ModelFormatException.For(source, $"graph input '{input.Name}' is not a tensor (type {input.Type?.ValueCase.ToString() ?? "missing"})");
        var tensorType = input.Type.TensorType;
        DType type = OnnxTensors.ElementType(tensorType.ElemType, source, $"graph input '{input.Name}'");
        int?[]? dims = null;
        if (tensorType.Shape is { } shape)
        {
            dims = new int?[shape.Dim.Count];
            for (int i = 0; i < dims.Length; i++)
            {
                var d = shape.Dim[i];
                if (!d.HasDimValue)
                    continue; // symbolic (dim_param) or unknown
                if (d.DimValue < 0 || d.DimValue > int.MaxValue)
                    throw ModelFormatException.For(source, $"graph input '{input.Name}' has dimension {i} = {d.DimValue}: expected a value between 0 and {int.MaxValue}");
                dims[i] = (int)d.DimValue;
            }
        }
        return new OnnxGraphInput(input.Name, type, dims);
    }
}

using Google.Protobuf;
using LstmNative.Formats;
using LstmNative.Model;
using Onnx;
using AttributeType = Onnx.AttributeProto.Types.AttributeType;

namespace LstmNative.Onnx;

/// <summary>
/// Loads ONNX models whose graph is LSTM/GRU nodes plus the shape operators exporters emit around them
/// (<see cref="OnnxGraph.SupportedOperators"/>), as produced by <c>torch.onnx.export</c> of an <c>nn.LSTM</c> or by
/// <see cref="OnnxExporter"/>. Every node is checked before anything runs: a supported operator in the default domain,
/// known attributes of the right type, a sensible number of inputs and outputs, inputs defined by an earlier node, a
/// graph input or an initializer. Any other operator is refused by name. Single-node models keep their own reader,
/// <see cref="OnnxModelReader"/>.
/// </summary>
public static class OnnxGraphReader
{
    // Per operator: allowed attributes with their types, and the input and output count ranges.
    private static readonly Dictionary<string, (Dictionary<string, AttributeType> Attributes, int MinIn, int MaxIn, int MaxOut)> Specs = new(StringComparer.Ordinal)
    {
        ["Transpose"] = (new() { ["perm"] = AttributeType.Ints }, 1, 1, 1),
        ["Squeeze"] = (new() { ["axes"] = AttributeType.Ints }, 1, 2, 1),
        ["Unsqueeze"] = (new() { ["axes"] = AttributeType.Ints }, 1, 2, 1),
        ["Slice"] = (new() { ["starts"] = AttributeType.Ints, ["ends"] = AttributeType.Ints, ["axes"] = AttributeType.Ints }, 1, 5, 1),
        ["Concat"] = (new() { ["axis"] = AttributeType.Int }, 1, int.MaxValue, 1),
        ["Gather"] = (new() { ["axis"] = AttributeType.Int }, 2, 2, 1),
        ["Shape"] = (new() { ["start"] = AttributeType.Int, ["end"] = AttributeType.Int }, 1, 1, 1),
        ["Constant"] = (new() { ["value"] = AttributeType.Tensor, ["value_float"] = AttributeType.Float, ["value_floats"] = AttributeType.Floats, ["value_int"] = AttributeType.Int, ["value_ints"] = AttributeType.Ints }, 0, 0, 1),
        ["Identity"] = (new(), 1, 1, 1),
        ["Reshape"] = (new() { ["allowzero"] = AttributeType.Int }, 2, 2, 1),
        ["ConstantOfShape"] = (new() { ["value"] = AttributeType.Tensor }, 1, 1, 1),
        ["LSTM"] = (new(), 3, 8, 3),
        ["GRU"] = (new(), 3, 6, 2),
    };

    /// <summary>Loads the model file at <paramref name="path"/>.</summary>
    /// <exception cref="ModelFormatException">The file is not a valid ONNX model, or its graph uses something not supported.</exception>
    public static OnnxGraph Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Load(InputFile.ReadAllBytes(path), path);
    }

    /// <summary>Loads a model from its bytes; <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="ModelFormatException">The bytes are not a valid ONNX model, or its graph uses something not supported.</exception>
    public static OnnxGraph Load(ReadOnlySpan<byte> bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return FromModelProto(OnnxModelProtos.Parse(bytes, source), source);
    }

    /// <summary>Interprets a parsed model; <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="ModelFormatException">The graph is missing or uses something not supported.</exception>
    public static OnnxGraph FromModelProto(ModelProto model, string source)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(source);
        var (graph, opset) = OnnxModelProtos.CheckHeader(model, source);
        if (graph.Node.Count == 0)
            throw ModelFormatException.For(source, "graph has no nodes");
        if (graph.SparseInitializer.Count > 0)
            throw ModelFormatException.For(source, $"graph has {graph.SparseInitializer.Count} sparse initializers, which are not supported");

        // Operators first, so an unsupported graph is refused by the operator's name before anything else is read.
        for (int i = 0; i < graph.Node.Count; i++)
        {
            var n = graph.Node[i];
            if (n.Domain is not ("" or "ai.onnx") || !Specs.ContainsKey(n.OpType))
            {
                string op = n.Domain is "" or "ai.onnx" ? n.OpType : $"{n.Domain}.{n.OpType}";
                throw ModelFormatException.For(source, $"unsupported ONNX operator '{op}' (node '{Label(n, i)}'): supported operators are {string.Join(", ", OnnxGraph.SupportedOperators)}");
            }
        }

        var initializers = new Dictionary<string, NdArray>(StringComparer.Ordinal);
        foreach (var tensor in graph.Initializer)
        {
            if (tensor.Name.Length == 0)
                throw ModelFormatException.For(source, "graph has an initializer without a name");
            if (!initializers.TryAdd(tensor.Name, OnnxTensors.ToNdArray(tensor, $"{source}: initializer '{tensor.Name}'")))
                throw ModelFormatException.For(source, $"graph has two initializers named '{tensor.Name}'");
        }
        var inputs = new List<OnnxGraphInput>();
        var inputNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in graph.Input)
        {
            if (initializers.ContainsKey(input.Name))
                continue; // before IR 4 initializers were listed as inputs too
            if (!inputNames.Add(input.Name)) // a set: a linear scan per input made 100,000 inputs take a minute
                throw ModelFormatException.For(source, $"graph lists input '{input.Name}' twice");
            inputs.Add(OnnxModelReader.ReadGraphInput(input, source));
        }

        var defined = new HashSet<string>(initializers.Keys.Concat(inputs.Select(i => i.Name)), StringComparer.Ordinal);
        var nodes = new List<OnnxGraphNode>();
        for (int i = 0; i < graph.Node.Count; i++)
        {
            var n = graph.Node[i];
            var node = ReadNode(n, Label(n, i), source);
            foreach (string name in node.Inputs.Where(s => s.Length > 0))
                if (!defined.Contains(name))
                    throw ModelFormatException.For(source, $"{node.Where} reads '{name}', which no earlier node, graph input or initializer defines");
            foreach (string name in node.Outputs.Where(s => s.Length > 0))
                if (!defined.Add(name))
                    throw ModelFormatException.For(source, $"{node.Where} writes '{name}', which is already defined");
            nodes.Add(node);
        }
        var outputs = graph.Output.Select(o => o.Name).ToList();
        foreach (string name in outputs)
            if (name.Length == 0 || !defined.Contains(name))
                throw ModelFormatException.For(source, $"graph output '{name}' is not produced by any node, input or initializer");
        return new OnnxGraph(source, opset.Version, nodes, initializers, inputs, outputs);
    }

    private static OnnxGraphNode ReadNode(NodeProto n, string label, string source)
    {
        var (allowed, minIn, maxIn, maxOut) = Specs[n.OpType];
        string where = $"{n.OpType} node '{label}'";
        if (n.Input.Count < minIn || n.Input.Count > maxIn)
            throw ModelFormatException.For(source, $"{where} has {n.Input.Count} inputs: expected {(minIn == maxIn ? minIn.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{minIn} to {(maxIn == int.MaxValue ? "any number" : maxIn)}")}");
        if (n.Output.Count < 1 || n.Output.Count > maxOut)
            throw ModelFormatException.For(source, $"{where} has {n.Output.Count} outputs: expected 1 to {maxOut}");
        bool rnn = n.OpType is "LSTM" or "GRU";
        var attributes = new Dictionary<string, AttributeProto>(StringComparer.Ordinal);
        OnnxRnnAttributes? rnnAttributes = rnn ? OnnxModelReader.ReadAttributes(n, source, where) : null;
        if (!rnn)
        {
            foreach (var a in n.Attribute)
            {
                if (!allowed.TryGetValue(a.Name, out var type))
                    throw ModelFormatException.For(source, $"{where} has unsupported attribute '{a.Name}'{(allowed.Count > 0 ? $": expected {string.Join(", ", allowed.Keys)}" : "")}");
                if (a.Type != type)
                    throw ModelFormatException.For(source, $"{where} attribute '{a.Name}' must be {type.ToString().ToUpperInvariant()}, found {a.Type.ToString().ToUpperInvariant()}");
                if (!attributes.TryAdd(a.Name, a))
                    throw ModelFormatException.For(source, $"{where} sets attribute '{a.Name}' twice");
            }
        }
        for (int i = 0; i < Math.Min(3, n.Input.Count) && rnn; i++)
            if (n.Input[i].Length == 0)
                throw ModelFormatException.For(source, $"{where} leaves required input {(OnnxRnnInput)i} empty");
        if (n.OpType == "Concat" && !attributes.ContainsKey("axis"))
            throw ModelFormatException.For(source, $"{where} has no 'axis' attribute");
        if (n.OpType is "Transpose" or "Squeeze" or "Unsqueeze" or "Identity" or "Shape" or "Gather" or "Reshape" or "ConstantOfShape" or "Concat"
            && n.Input.Take(n.OpType is "Squeeze" or "Unsqueeze" ? 1 : n.Input.Count).Any(s => s.Length == 0))
            throw ModelFormatException.For(source, $"{where} leaves a required input empty");
        if (n.OpType == "Slice" && !attributes.ContainsKey("starts") && (n.Input.Count < 3 || n.Input[0].Length == 0 || n.Input[1].Length == 0 || n.Input[2].Length == 0))
            throw ModelFormatException.For(source, $"{where} needs data, starts and ends");
        NdArray? constant = n.OpType switch
        {
            "Constant" => ConstantValue(attributes, where, source),
            "ConstantOfShape" when attributes.TryGetValue("value", out var v) => OneValue(v, where, source),
            _ => null,
        };
        return new OnnxGraphNode(n.OpType, label, n.Input.ToArray(), n.Output.ToArray(), attributes, rnnAttributes, constant);
    }

    private static NdArray ConstantValue(Dictionary<string, AttributeProto> attributes, string where, string source)
    {
        if (attributes.Count != 1)
            throw ModelFormatException.For(source, $"{where} must set exactly one of value, value_float, value_floats, value_int, value_ints (found {attributes.Count})");
        var a = attributes.Values.Single();
        return a.Name switch
        {
            "value" => OnnxTensors.ToNdArray(a.T ?? throw ModelFormatException.For(source, $"{where} attribute 'value' holds no tensor"), $"{source}: {where}"),
            "value_float" => new NdArray(new[] { a.F }, []),
            "value_floats" => new NdArray(a.Floats.ToArray(), [a.Floats.Count]),
            "value_int" => new NdArray(new[] { a.I }, []),
            _ => new NdArray(a.Ints.ToArray(), [a.Ints.Count]),
        };
    }

    private static NdArray OneValue(AttributeProto a, string where, string source)
    {
        var t = OnnxTensors.ToNdArray(a.T ?? throw ModelFormatException.For(source, $"{where} attribute 'value' holds no tensor"), $"{source}: {where}");
        return t.Length == 1 ? t : throw ModelFormatException.For(source, $"{where} attribute 'value' has {t.Length} elements: expected one");
    }

    private static string Label(NodeProto n, int index) => n.Name.Length > 0 ? n.Name : $"#{index}";
}

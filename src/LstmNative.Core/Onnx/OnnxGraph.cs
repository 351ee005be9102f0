using LstmNative.Formats;
using LstmNative.Model;
using Onnx;

namespace LstmNative.Onnx;

/// <summary>One validated node of an <see cref="OnnxGraph"/>.</summary>
internal sealed record OnnxGraphNode(string Op, string Name, string[] Inputs, string[] Outputs,
    IReadOnlyDictionary<string, AttributeProto> Attributes, OnnxRnnAttributes? Rnn, NdArray? Constant)
{
    public string Where => $"{Op} node '{Name}'";

    public long? Int(string name) => Attributes.TryGetValue(name, out var a) ? a.I : null;

    public long[]? Ints(string name) => Attributes.TryGetValue(name, out var a) ? a.Ints.ToArray() : null;

    /// <summary>Input <paramref name="index"/>'s name, or "" when the node leaves it out.</summary>
    public string Input(int index) => index < Inputs.Length ? Inputs[index] : "";
}

/// <summary>
/// An ONNX graph of LSTM/GRU nodes and the shape operators exporters put around them (what
/// <c>torch.onnx.export</c> emits for an <c>nn.LSTM</c>): loaded and checked by <see cref="OnnxGraphReader"/>, run
/// node by node in file order (ONNX requires topological order). RNN nodes run on the reference engine through
/// <see cref="OnnxRnnOperator"/> (float64 inside, float32 results).
/// </summary>
public sealed class OnnxGraph
{
    /// <summary>The operators this graph runner implements (default ONNX domain).</summary>
    public static readonly IReadOnlyList<string> SupportedOperators =
        ["LSTM", "GRU", "Transpose", "Squeeze", "Unsqueeze", "Slice", "Concat", "Gather", "Shape", "Constant", "Identity", "Reshape", "ConstantOfShape"];

    private readonly IReadOnlyList<OnnxGraphNode> _nodes;

    internal OnnxGraph(string source, long opset, IReadOnlyList<OnnxGraphNode> nodes, IReadOnlyDictionary<string, NdArray> initializers,
        IReadOnlyList<OnnxGraphInput> inputs, IReadOnlyList<string> outputs)
    {
        Source = source;
        OpsetVersion = opset;
        _nodes = nodes;
        Initializers = initializers;
        Inputs = inputs;
        Outputs = outputs;
    }

    /// <summary>Where the model came from; messages start with it.</summary>
    public string Source { get; }

    /// <summary>The default-domain operator set version.</summary>
    public long OpsetVersion { get; }

    /// <summary>The graph's initializers by name.</summary>
    public IReadOnlyDictionary<string, NdArray> Initializers { get; }

    /// <summary>The inputs the caller feeds (graph inputs that are not initializers), in graph order.</summary>
    public IReadOnlyList<OnnxGraphInput> Inputs { get; }

    /// <summary>The graph's output names, in graph order.</summary>
    public IReadOnlyList<string> Outputs { get; }

    /// <summary>Each node's operator type, in execution order.</summary>
    public IReadOnlyList<string> Operators => _nodes.Select(n => n.Op).ToList();

    /// <summary>Runs the graph; returns every graph output by name.</summary>
    /// <param name="inputs">A value for every entry of <see cref="Inputs"/> (extra names are an error).</param>
    /// <exception cref="ArgumentException">A missing, unknown or misshapen input, or a node whose operands do not fit it (the message names the node).</exception>
    public IReadOnlyDictionary<string, NdArray> Run(IReadOnlyDictionary<string, NdArray> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var values = new Dictionary<string, NdArray>(Initializers, StringComparer.Ordinal);
        foreach (var name in inputs.Keys)
            if (!Inputs.Any(i => i.Name == name))
                throw new ArgumentException($"unknown input '{name}' (the model's inputs: {string.Join(", ", Inputs.Select(i => i.Name))})");
        foreach (var input in Inputs)
        {
            if (!inputs.TryGetValue(input.Name, out var value))
                throw new ArgumentException($"missing input '{input.Name}'");
            if (value.DType != input.ElementType)
                throw new ArgumentException($"input '{input.Name}': expected {input.ElementType.ToString().ToLowerInvariant()}, got {value.DType.ToString().ToLowerInvariant()}");
            if (input.Dims is { } dims && (dims.Length != value.Rank || dims.Where((d, k) => d is { } n && n != value.Shape[k]).Any()))
                throw new ArgumentException($"input '{input.Name}': expected shape [{string.Join(", ", dims.Select(d => d?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"))}], got {NdArray.FormatShape(value.Shape)}");
            values[input.Name] = value;
        }
        foreach (var node in _nodes)
        {
            NdArray[] results;
            try
            {
                results = Evaluate(node, values);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"{Source}: {node.Where}: {e.Message}", e);
            }
            for (int i = 0; i < node.Outputs.Length && i < results.Length; i++)
                if (node.Outputs[i].Length > 0)
                    values[node.Outputs[i]] = results[i];
        }
        return Outputs.ToDictionary(o => o, o => values[o], StringComparer.Ordinal);
    }

    /// <summary>
    /// The graph's LSTM/GRU nodes in execution order, each with its weight tensors by input role (W, R and, when wired,
    /// B and P), after folding every node whose operands are all constant (initializers, Constant nodes and what is
    /// computed from them alone). A node whose W or R depends on a graph input has no constant weights: an error naming it.
    /// </summary>
    internal IReadOnlyList<(OnnxRnnAttributes Attributes, IReadOnlyDictionary<string, NdArray> Weights, string Where)> ConstantRnnNodes()
    {
        var values = new Dictionary<string, NdArray>(Initializers, StringComparer.Ordinal);
        var result = new List<(OnnxRnnAttributes, IReadOnlyDictionary<string, NdArray>, string)>();
        foreach (var node in _nodes)
        {
            if (node.Rnn is { } rnn)
            {
                var weights = new Dictionary<string, NdArray>(StringComparer.Ordinal);
                foreach (var (role, index) in new[] { ("W", 1), ("R", 2), ("B", 3), ("sequence_lens", 4), ("P", 7) })
                {
                    string name = node.Input(index);
                    if (name.Length == 0)
                        continue;
                    if (role == "sequence_lens")
                        throw new ModelFormatException($"{Source}: {node.Where}: sequence_lens is wired in the graph; a packed model takes the lengths per call instead");
                    if (!values.TryGetValue(name, out var v))
                        throw new ModelFormatException($"{Source}: {node.Where}: {role} ('{name}') is not a constant of the model (it depends on a graph input)");
                    weights[role] = v;
                }
                if (!weights.ContainsKey("W") || !weights.ContainsKey("R"))
                    throw new ModelFormatException($"{Source}: {node.Where}: W and R must be wired");
                result.Add((rnn, weights, $"{Source}: {node.Where}"));
                continue;
            }
            bool constant = node.Inputs.All(i => i.Length == 0 || values.ContainsKey(i));
            if (!constant)
                continue;
            NdArray[] outputs;
            try
            {
                outputs = Evaluate(node, values);
            }
            catch (Exception e) when (e is ArgumentException or KeyNotFoundException)
            {
                continue; // not foldable here: the node waits for run time
            }
            for (int i = 0; i < node.Outputs.Length && i < outputs.Length; i++)
                if (node.Outputs[i].Length > 0)
                    values[node.Outputs[i]] = outputs[i];
        }
        return result;
    }

    private static NdArray[] Evaluate(OnnxGraphNode node, Dictionary<string, NdArray> values)
    {
        NdArray In(int i) => values[node.Inputs[i]];
        NdArray? Optional(int i) => node.Input(i) is { Length: > 0 } name ? values[name] : null;
        long[]? AxesFrom(int i, string attribute) =>
            Optional(i) is { } t ? OnnxShapeOps.Int64s(t, "axes") : node.Ints(attribute);
        return node.Op switch
        {
            "Identity" => [In(0)],
            "Constant" => [node.Constant!],
            "Transpose" => [OnnxShapeOps.Transpose(In(0), node.Ints("perm"))],
            "Squeeze" => [OnnxShapeOps.Squeeze(In(0), AxesFrom(1, "axes"))],
            "Unsqueeze" => [OnnxShapeOps.Unsqueeze(In(0), AxesFrom(1, "axes") ?? throw new ArgumentException("Unsqueeze needs axes"))],
            "Slice" => [node.Ints("starts") is { } starts
                ? OnnxShapeOps.Slice(In(0), starts, node.Ints("ends") ?? throw new ArgumentException("Slice needs ends"), node.Ints("axes"), null)
                : OnnxShapeOps.Slice(In(0), OnnxShapeOps.Int64s(In(1), "starts"), OnnxShapeOps.Int64s(In(2), "ends"),
                    Optional(3) is { } axes ? OnnxShapeOps.Int64s(axes, "axes") : null, Optional(4) is { } steps ? OnnxShapeOps.Int64s(steps, "steps") : null)],
            "Concat" => [OnnxShapeOps.Concat(node.Inputs.Select(n => values[n]).ToList(), node.Int("axis")!.Value)],
            "Gather" => [OnnxShapeOps.Gather(In(0), In(1), node.Int("axis") ?? 0)],
            "Shape" => [OnnxShapeOps.Shape(In(0), node.Int("start"), node.Int("end"))],
            "Reshape" => [OnnxShapeOps.Reshape(In(0), OnnxShapeOps.Int64s(In(1), "shape"), node.Int("allowzero") == 1)],
            "ConstantOfShape" => [OnnxShapeOps.ConstantOfShape(In(0), node.Constant ?? new NdArray(new float[1], [1]))],
            _ => RunRnn(node, values),
        };
    }

    private static NdArray[] RunRnn(OnnxGraphNode node, Dictionary<string, NdArray> values)
    {
        var byRole = new Dictionary<string, NdArray>(StringComparer.Ordinal);
        for (int i = 0; i < node.Inputs.Length && i < OnnxRnnTensors.InputRoles.Count; i++)
            if (node.Inputs[i].Length > 0)
                byRole[OnnxRnnTensors.InputRoles[i]] = values[node.Inputs[i]];
        var result = new OnnxRnnOperator(node.Rnn!, OnnxRnnTensors.FromRoles(byRole)).Forward();
        return OnnxRnnTensors.OutputRoles.Select(role => result.TryGetValue(role, out var v) ? v : new NdArray(new float[1], [1])).ToArray();
    }
}

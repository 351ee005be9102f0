using LstmNative.Formats;
using LstmNative.Layers;
using LstmNative.Model;
using LstmNative.Onnx;

namespace LstmNative.Cpu;

/// <summary>From a model file to a packed model (and from there to a zero-allocation <see cref="CpuRnnSession"/>) in one call.</summary>
public sealed partial class CpuRnnModel
{
    /// <summary>Packs the layers of a multi-layer model (e.g. from <see cref="PyTorchStateDict"/>) in <paramref name="precision"/>.</summary>
    public CpuRnnModel(RnnModel<float> model, CpuPrecision precision = CpuPrecision.Fp32)
        : this((model ?? throw new ArgumentNullException(nameof(model))).Layers, CpuRnnOptions.Default, precision)
    {
    }

    /// <summary>
    /// Loads a model file and packs it once for inference in <paramref name="precision"/>:
    /// <list type="bullet">
    /// <item><c>.safetensors</c>: a PyTorch <c>nn.LSTM</c>/<c>nn.GRU</c> state dict, any number of layers and directions
    /// (<see cref="PyTorchStateDict"/>; <paramref name="prefix"/> picks the module when the file holds several);</item>
    /// <item>ONNX with one LSTM/GRU node (its W, R, B and P initializers);</item>
    /// <item>ONNX stacks (our <see cref="OnnxExporter"/>'s or <c>torch.onnx.export</c>'s): the LSTM/GRU nodes in graph order,
    /// one layer each, their weights folded from initializers and constant shape operators.</item>
    /// </list>
    /// Then <c>model.CreateSession(maxBatch, maxSteps)</c> runs it without allocating. Sessions are time-major
    /// (<c>x[T, B, I]</c>, <c>y[T, D, B, H]</c>) whatever layout the file's graph used; states are stacked per layer.
    /// </summary>
    /// <exception cref="ModelFormatException">The file is not one of the formats above, or its weights are not constants.</exception>
    /// <exception cref="NotSupportedException">The model uses something the CPU engine does not run (LSTM projections).</exception>
    public static CpuRnnModel Load(string path, CpuPrecision precision = CpuPrecision.Fp32, string? prefix = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new CpuRnnModel(LoadLayers(path, prefix), CpuRnnOptions.Default, precision);
    }

    /// <summary>The float32 layers of a model file, as <see cref="Load"/> reads them (exposed for callers that pack them themselves).</summary>
    public static IReadOnlyList<LayerWeights<float>> LoadLayers(string path, string? prefix = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            return PyTorchStateDict.Load<float>(SafetensorsReader.Read(path), prefix).Layers;
        if (prefix is not null)
            throw new ArgumentException("a prefix selects a module of a safetensors state dict; an ONNX model has none", nameof(prefix));
        byte[] bytes = InputFile.ReadAllBytes(path);
        var proto = OnnxModelProtos.Parse(bytes, path);
        if (proto.Graph is { } g && g.Node.Count > 1)
            return FromGraph(OnnxGraphReader.FromModelProto(proto, path), path);
        var node = OnnxModelReader.FromModelProto(proto, path);
        var weights = new Dictionary<string, NdArray>(StringComparer.Ordinal);
        foreach (var (role, which) in new[] { ("W", OnnxRnnInput.W), ("R", OnnxRnnInput.R), ("B", OnnxRnnInput.B), ("P", OnnxRnnInput.P) })
        {
            string name = node.Input(which);
            if (name.Length == 0)
                continue;
            if (!node.Initializers.TryGetValue(name, out var value))
                throw ModelFormatException.For(path, $"{node.OpType} node '{node.NodeName}': {role} ('{name}') is a graph input, not an initializer: a packed model needs constant weights");
            weights[role] = value;
        }
        return [ToLayer(node.Attributes, weights, $"{path}: {node.OpType} node '{node.NodeName}'")];
    }

    private static LayerWeights<float>[] FromGraph(OnnxGraph graph, string path)
    {
        var nodes = graph.ConstantRnnNodes();
        if (nodes.Count == 0)
            throw ModelFormatException.For(path, "the graph has no LSTM or GRU node");
        return nodes.Select(n => ToLayer(n.Attributes, n.Weights, n.Where)).ToArray();
    }

    private static LayerWeights<float> ToLayer(OnnxRnnAttributes attributes, IReadOnlyDictionary<string, NdArray> weights, string where)
    {
        try
        {
            var w = weights["W"];
            var r = weights["R"];
            if (w.Rank != 3 || r.Rank != 3)
                throw new ArgumentException($"W and R must have rank 3, got {NdArray.FormatShape(w.Shape)} and {NdArray.FormatShape(r.Shape)}");
            var options = attributes.ToLayerOptions(w.Shape[2], r.Shape[2], weights.ContainsKey("P"));
            int d = options.DirectionCount, gh = options.GateCount * options.HiddenSize;
            Expect("W", w, [d, gh, options.InputSize]);
            Expect("R", r, [d, gh, options.HiddenSize]);
            float[] b = [], p = [];
            if (weights.TryGetValue("B", out var bias))
            {
                Expect("B", bias, [d, 2 * gh]);
                b = bias.ToFloats();
            }
            if (weights.TryGetValue("P", out var peep))
            {
                Expect("P", peep, [d, 3 * options.HiddenSize]);
                p = peep.ToFloats();
            }
            return GateOrder.FromOnnx<float>(options, w.ToFloats(), r.ToFloats(), b, p);
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException($"{where}: {e.Message}");
        }
    }

    private static void Expect(string role, NdArray value, int[] shape)
    {
        if (value.DType is not (DType.Float32 or DType.Float64))
            throw new ArgumentException($"{role}: expected float32, got {value.DType.ToString().ToLowerInvariant()}");
        if (!value.Shape.SequenceEqual(shape))
            throw new ArgumentException($"{role} has shape {NdArray.FormatShape(value.Shape)}: expected {NdArray.FormatShape(shape)}");
    }
}

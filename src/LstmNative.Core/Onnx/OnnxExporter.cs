using System.Numerics;
using Google.Protobuf;
using LstmNative.Layers;
using LstmNative.Formats;
using LstmNative.Model;
using Onnx;

namespace LstmNative.Onnx;

/// <summary>What <see cref="OnnxExporter"/> writes besides the weights.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>Adds graph inputs <c>h0</c> (and <c>c0</c> for LSTM), <c>[L*D, batch, H]</c>, sliced per layer; without them the states start at zero.</summary>
    public bool IncludeInitialStates { get; init; }

    /// <summary>The default-domain operator set the model imports (at least 14, for Reshape and the LSTM as used here).</summary>
    public long Opset { get; init; } = 17;

    /// <summary>The name of the input sequence.</summary>
    public string InputName { get; init; } = "input";

    /// <summary>Recorded as the model's producer.</summary>
    public string ProducerName { get; init; } = "LstmNative";
}

/// <summary>
/// Writes a multi-layer LSTM/GRU (<see cref="RnnModel{T}"/>) as an ONNX model laid out the way PyTorch's
/// <c>torch.onnx.export</c> lays out an <c>nn.LSTM</c>: a Transpose for batch-first input, one LSTM/GRU node per
/// layer with its weights as float32 initializers in ONNX gate order (i, o, f, c / z, r, h; through
/// <see cref="GateOrder"/>), Squeeze or Transpose+Reshape from ONNX's <c>[T, D, B, H]</c> to <c>[T, B, D*H]</c> between
/// layers, and Concat of every layer's final states. Outputs are named like PyTorch's results: <c>output</c>,
/// <c>h_n</c> and (LSTM) <c>c_n</c>. ONNX's LSTM has no projection, so a model with one is refused.
/// </summary>
public static class OnnxExporter
{
    /// <summary>Builds the ONNX model.</summary>
    /// <exception cref="NotSupportedException">The model has projections (proj_size), which ONNX's LSTM cannot express.</exception>
    public static ModelProto ToModelProto<T>(RnnModel<T> model, OnnxExportOptions? options = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new OnnxExportOptions();
        if (options.Opset < 14)
            throw new ArgumentException($"opset {options.Opset} is too old: the export needs 14 or later");
        var o = model.Options;
        if (o.ProjectionSize > 0)
            throw new NotSupportedException($"ONNX LSTM has no projection: a model with proj_size {o.ProjectionSize} cannot be exported to ONNX");
        int dirs = o.DirectionCount, h = o.HiddenSize, g = o.Cell.GateCount(), layers = o.NumLayers;
        string op = o.Cell == RnnCellType.Lstm ? "LSTM" : "GRU";
        bool lstm = o.Cell == RnnCellType.Lstm;

        var graph = new GraphProto { Name = $"{op.ToLowerInvariant()}_{layers}layer{(dirs == 2 ? "_bidirectional" : "")}" };
        string input = options.InputName;
        graph.Input.Add(Value(input, o.BatchFirst ? ["batch", "seq"] : ["seq", "batch"], o.InputSize));
        if (options.IncludeInitialStates)
        {
            graph.Input.Add(Value("h0", [layers * dirs, "batch"], h));
            if (lstm)
                graph.Input.Add(Value("c0", [layers * dirs, "batch"], h));
        }
        graph.Output.Add(Value("output", o.BatchFirst ? ["batch", "seq"] : ["seq", "batch"], dirs * h));
        graph.Output.Add(Value("h_n", [layers * dirs, "batch"], h));
        if (lstm)
            graph.Output.Add(Value("c_n", [layers * dirs, "batch"], h));

        string x = input;
        if (o.BatchFirst)
        {
            // [B, T, I] -> [T, B, I]: ONNX's RNN operators are used with layout 0, as PyTorch's exporter does.
            graph.Node.Add(Node("Transpose", "/Transpose", [input], ["/Transpose_output_0"], Ints("perm", 1, 0, 2)));
            x = "/Transpose_output_0";
        }
        graph.Initializer.Add(Int64s("/reshape_shape", 0, 0, -1));
        graph.Initializer.Add(Int64s("/squeeze_axes", 1));

        var hOuts = new List<string>();
        var cOuts = new List<string>();
        for (int l = 0; l < layers; l++)
        {
            var layer = model.Layers[l];
            int inSize = layer.Options.InputSize;
            var w = new T[dirs * g * h * inSize];
            var r = new T[dirs * g * h * h];
            var b = new T[dirs * 2 * g * h];
            GateOrder.ToOnnx<T>(layer, w, r, b, []);
            string prefix = $"/{op.ToLowerInvariant()}_l{l}";
            graph.Initializer.Add(Floats($"{prefix}/W", w, dirs, g * h, inSize));
            graph.Initializer.Add(Floats($"{prefix}/R", r, dirs, g * h, h));
            if (o.Bias)
                graph.Initializer.Add(Floats($"{prefix}/B", b, dirs, 2 * g * h));

            string h0 = "", c0 = "";
            if (options.IncludeInitialStates)
            {
                graph.Initializer.Add(Int64s($"{prefix}/starts", l * dirs));
                graph.Initializer.Add(Int64s($"{prefix}/ends", (l + 1) * dirs));
                graph.Initializer.Add(Int64s($"{prefix}/axes", 0));
                h0 = $"{prefix}/h0";
                graph.Node.Add(Node("Slice", $"{prefix}/Slice_h0", ["h0", $"{prefix}/starts", $"{prefix}/ends", $"{prefix}/axes"], [h0]));
                if (lstm)
                {
                    c0 = $"{prefix}/c0";
                    graph.Node.Add(Node("Slice", $"{prefix}/Slice_c0", ["c0", $"{prefix}/starts", $"{prefix}/ends", $"{prefix}/axes"], [c0]));
                }
            }
            bool last = l == layers - 1;
            string y = $"{prefix}/Y", yh = layers == 1 ? "h_n" : $"{prefix}/Y_h", yc = layers == 1 ? "c_n" : $"{prefix}/Y_c";
            string[] inputs = lstm
                ? [x, $"{prefix}/W", $"{prefix}/R", o.Bias ? $"{prefix}/B" : "", "", h0, c0]
                : [x, $"{prefix}/W", $"{prefix}/R", o.Bias ? $"{prefix}/B" : "", "", h0];
            var rnn = Node(op, $"{prefix}/{op}", TrimOptional(inputs), lstm ? [y, yh, yc] : [y, yh],
                new AttributeProto { Name = "hidden_size", Type = AttributeProto.Types.AttributeType.Int, I = h },
                new AttributeProto { Name = "direction", Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(dirs == 2 ? "bidirectional" : "forward") });
            if (!lstm)
                rnn.Attribute.Add(new AttributeProto { Name = "linear_before_reset", Type = AttributeProto.Types.AttributeType.Int, I = 1 }); // PyTorch's GRU
            graph.Node.Add(rnn);
            hOuts.Add(yh);
            cOuts.Add(yc);

            // [T, D, B, H] -> [T, B, D*H]: the next layer's input, or the model's output.
            string next = last && !o.BatchFirst ? "output" : $"{prefix}/output";
            if (dirs == 1)
            {
                graph.Node.Add(Node("Squeeze", $"{prefix}/Squeeze", [y, "/squeeze_axes"], [next]));
            }
            else
            {
                graph.Node.Add(Node("Transpose", $"{prefix}/Transpose", [y], [$"{prefix}/Y_t"], Ints("perm", 0, 2, 1, 3)));
                graph.Node.Add(Node("Reshape", $"{prefix}/Reshape", [$"{prefix}/Y_t", "/reshape_shape"], [next]));
            }
            x = next;
        }
        if (o.BatchFirst)
            graph.Node.Add(Node("Transpose", "/Transpose_output", [x], ["output"], Ints("perm", 1, 0, 2)));
        if (layers > 1)
        {
            graph.Node.Add(Node("Concat", "/Concat_h_n", hOuts.ToArray(), ["h_n"], new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 }));
            if (lstm)
                graph.Node.Add(Node("Concat", "/Concat_c_n", cOuts.ToArray(), ["c_n"], new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 }));
        }

        var proto = new ModelProto { IrVersion = 8, ProducerName = options.ProducerName, Graph = graph };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = options.Opset });
        return proto;
    }

    /// <summary>Writes the ONNX model to <paramref name="path"/>, atomically (see <see cref="AtomicFile"/>).</summary>
    /// <exception cref="NotSupportedException">The model has projections.</exception>
    public static void Save<T>(string path, RnnModel<T> model, OnnxExportOptions? options = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var proto = ToModelProto(model, options);
        AtomicFile.Write(path, proto.WriteTo);
    }

    // Trailing optional inputs are left out rather than given as "" (both mean absent in ONNX).
    private static string[] TrimOptional(string[] inputs)
    {
        int n = inputs.Length;
        while (n > 0 && inputs[n - 1].Length == 0)
            n--;
        return inputs[..n];
    }

    private static NodeProto Node(string op, string name, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    private static TensorProto Int64s(string name, params long[] values) => OnnxTensors.ToTensorProto(name, new NdArray(values, [values.Length]));

    private static TensorProto Floats<T>(string name, T[] values, params int[] shape) where T : unmanaged, IFloatingPointIeee754<T> =>
        OnnxTensors.ToTensorProto(name, new NdArray(Array.ConvertAll(values, float.CreateChecked), shape));

    /// <summary>A float tensor value with leading dims (numbers or symbolic names) and a last numeric dim.</summary>
    private static ValueInfoProto Value(string name, object[] leading, int last)
    {
        var shape = new TensorShapeProto();
        foreach (object d in leading)
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = (int)d });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = last });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}

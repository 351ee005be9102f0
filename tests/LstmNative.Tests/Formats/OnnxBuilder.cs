using Google.Protobuf;
using LstmNative.Formats;
using LstmNative.Model;
using LstmNative.Onnx;
using Onnx;
using AttributeType = Onnx.AttributeProto.Types.AttributeType;

namespace LstmNative.Tests.Formats;

/// <summary>Builds ONNX models with the generated protobuf classes, for tests that need models the conformance set lacks.</summary>
internal static class OnnxBuilder
{
    public static ModelProto Model(GraphProto? graph, long irVersion = 10, long opset = 22)
    {
        var model = new ModelProto { IrVersion = irVersion, ProducerName = "LstmNative.Tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    public static GraphProto Graph(IEnumerable<NodeProto> nodes, IEnumerable<ValueInfoProto> inputs, IEnumerable<string> outputs, IEnumerable<TensorProto>? initializers = null)
    {
        var graph = new GraphProto { Name = "g" };
        graph.Node.AddRange(nodes);
        graph.Input.AddRange(inputs);
        graph.Output.AddRange(outputs.Select(o => new ValueInfoProto { Name = o }));
        if (initializers is not null)
            graph.Initializer.AddRange(initializers);
        return graph;
    }

    public static NodeProto Node(string op, string name, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    /// <summary>A tensor graph input; dims are numbers (long/int) or symbolic names (string).</summary>
    public static ValueInfoProto Input(string name, DType type, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (object d in dims)
        {
            shape.Dim.Add(d switch
            {
                string s => new TensorShapeProto.Types.Dimension { DimParam = s },
                _ => new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture) },
            });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)OnnxTensors.OnnxDataType(type), Shape = shape } },
        };
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeType.Float, F = value };

    public static AttributeProto Text(string name, string value) => new() { Name = name, Type = AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Texts(string name, params string[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeType.Strings };
        a.Strings.AddRange(values.Select(ByteString.CopyFromUtf8));
        return a;
    }

    public static AttributeProto Floats(string name, params float[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeType.Floats };
        a.Floats.AddRange(values);
        return a;
    }

    /// <summary>
    /// A bidirectional, batch-major LSTM with every attribute and peepholes, weights as initializers:
    /// X[B, T, 3] (symbolic B and T), hidden size 2.
    /// </summary>
    /// <param name="rng">Source of the weights.</param>
    /// <param name="weights">The initializers.</param>
    /// <param name="finite">Uniform weights in [-1, 1] that the model can run on, instead of random bit patterns.</param>
    public static ModelProto FullLstm(Random rng, out Dictionary<string, NdArray> weights, bool finite = false)
    {
        const int d = 2, h = 2, i = 3, g = 4;
        NdArray Values(int[] shape) => finite ? FormatTestData.UniformFloats(rng, shape) : FormatTestData.RandomArray(rng, DType.Float32, shape);
        weights = new Dictionary<string, NdArray>
        {
            ["W"] = Values([d, g * h, i]),
            ["R"] = Values([d, g * h, h]),
            ["B"] = Values([d, 2 * g * h]),
            ["P"] = Values([d, 3 * h]),
        };
        var node = Node("LSTM", "lstm", ["X", "W", "R", "B", "", "h0", "", "P"], ["Y", "Y_h", "Y_c"],
            Int("hidden_size", h),
            Text("direction", "bidirectional"),
            Int("layout", 1),
            Float("clip", 3.5f),
            Int("input_forget", 1),
            Texts("activations", "Sigmoid", "Tanh", "Tanh", "HardSigmoid", "Tanh", "Tanh"),
            Floats("activation_alpha", 0.2f),
            Floats("activation_beta", 0.5f));
        var graph = Graph([node],
            [Input("X", DType.Float32, "batch", "time", i), Input("h0", DType.Float32, "batch", d, h)],
            ["Y", "Y_h"],
            weights.Select(kv => OnnxTensors.ToTensorProto(kv.Key, kv.Value)));
        return Model(graph);
    }

    /// <summary>A forward GRU (linear_before_reset=1) whose weights are graph inputs with numeric dims: X[T, B, 4], hidden 5.</summary>
    public static ModelProto SimpleGru(params AttributeProto[] extraAttributes)
    {
        var node = Node("GRU", "gru", ["X", "W", "R"], ["", "Y_h"], [Int("hidden_size", 5), Int("linear_before_reset", 1), .. extraAttributes]);
        return Model(Graph([node],
            [Input("X", DType.Float32, "T", 1, 4), Input("W", DType.Float32, 1, 15, 4), Input("R", DType.Float32, 1, 15, 5)],
            ["Y_h"]));
    }
}

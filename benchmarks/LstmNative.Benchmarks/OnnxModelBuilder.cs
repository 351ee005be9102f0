using Google.Protobuf;
using LstmNative.Model;
using Onnx;

namespace LstmNative.Benchmarks;

/// <summary>
/// Writes a stack of forward LSTM/GRU layers as an ONNX model (opset 14) from the engine's weights, so ONNX Runtime runs
/// exactly the network LstmNative runs: X[T, B, I] → LSTM/GRU → Squeeze(axis 1) → ... → Y[T, 1, B, H].
/// </summary>
internal static class OnnxModelBuilder
{
    public static byte[] Build(IReadOnlyList<LayerWeights<float>> layers)
    {
        var graph = new GraphProto { Name = "rnn_stack" };
        graph.Input.Add(TensorInfo("X", ("T", 0), ("B", 0), (null, layers[0].Options.InputSize)));
        if (layers.Count > 1)
            graph.Initializer.Add(new TensorProto { Name = "axis1", DataType = (int)TensorProto.Types.DataType.Int64, Dims = { 1 }, Int64Data = { 1 } });
        string input = "X";
        for (int l = 0; l < layers.Count; l++)
        {
            var o = layers[l].Options;
            if (o.Direction != RnnDirection.Forward)
                throw new NotSupportedException("the benchmark model builder writes forward layers only");
            int g = o.GateCount, h = o.HiddenSize, i = o.InputSize;
            var w = new float[g * h * i];
            var r = new float[g * h * h];
            var b = new float[2 * g * h];
            GateOrder.ToOnnx(layers[l], w, r, b, []);
            graph.Initializer.Add(FloatTensor($"W{l}", w, 1, g * h, i));
            graph.Initializer.Add(FloatTensor($"R{l}", r, 1, g * h, h));
            graph.Initializer.Add(FloatTensor($"B{l}", b, 1, 2 * g * h));
            var node = new NodeProto { Name = $"rnn{l}", OpType = o.Cell == RnnCellType.Lstm ? "LSTM" : "GRU" };
            node.Input.Add(input);
            node.Input.Add($"W{l}");
            node.Input.Add($"R{l}");
            node.Input.Add($"B{l}");
            node.Output.Add($"Y{l}");
            node.Attribute.Add(new AttributeProto { Name = "hidden_size", Type = AttributeProto.Types.AttributeType.Int, I = h });
            if (o.Cell == RnnCellType.Gru && o.LinearBeforeReset)
                node.Attribute.Add(new AttributeProto { Name = "linear_before_reset", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
            graph.Node.Add(node);
            input = $"Y{l}";
            if (l + 1 < layers.Count)
            {
                var squeeze = new NodeProto { Name = $"squeeze{l}", OpType = "Squeeze" };
                squeeze.Input.Add($"Y{l}");
                squeeze.Input.Add("axis1");
                squeeze.Output.Add($"X{l + 1}");
                graph.Node.Add(squeeze);
                input = $"X{l + 1}";
            }
        }
        graph.Output.Add(TensorInfo(input, ("T", 0), (null, 1), ("B", 0), (null, layers[^1].Options.HiddenSize)));
        var model = new ModelProto { IrVersion = 8, ProducerName = "LstmNative.Benchmarks", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 14 });
        return model.ToByteArray();
    }

    /// <summary>
    /// One forward LSTM layer as ONNX Runtime's com.microsoft <c>DynamicQuantizeLSTM</c>: int8 W and R transposed to
    /// <c>[1, K, 4H]</c>, per-tensor scales (max|w| / 127), zero points 0; X[T, B, I] → Y[T, 1, B, H].
    /// </summary>
    public static byte[] BuildDynamicQuantizeLstm(LayerWeights<float> layer)
    {
        var o = layer.Options;
        int h = o.HiddenSize, i = o.InputSize, g = 4;
        var w = new float[g * h * i];
        var r = new float[g * h * h];
        var b = new float[2 * g * h];
        GateOrder.ToOnnx(layer, w, r, b, []);
        var graph = new GraphProto { Name = "dq_lstm" };
        graph.Input.Add(TensorInfo("X", ("T", 0), ("B", 0), (null, i)));
        void AddQuantized(string name, float[] m, int rows, int cols) // m is [rows = 4H, cols = K] -> int8 [1, K, 4H]
        {
            float max = m.Max(v => Math.Abs(v));
            float scale = max / 127f;
            var q = new byte[m.Length];
            for (int row = 0; row < rows; row++)
                for (int k = 0; k < cols; k++)
                    q[k * rows + row] = (byte)(sbyte)Math.Clamp(MathF.Round(m[row * cols + k] / scale), -127, 127);
            var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int8, Dims = { 1, cols, rows }, RawData = ByteString.CopyFrom(q) };
            graph.Initializer.Add(t);
            graph.Initializer.Add(FloatTensor(name + "_scale", [scale], 1));
            graph.Initializer.Add(new TensorProto { Name = name + "_zp", DataType = (int)TensorProto.Types.DataType.Int8, Dims = { 1 }, RawData = ByteString.CopyFrom(new byte[1]) });
        }
        AddQuantized("W", w, g * h, i);
        AddQuantized("R", r, g * h, h);
        graph.Initializer.Add(FloatTensor("B", b, 1, 2 * g * h));
        var node = new NodeProto { Name = "dqlstm", OpType = "DynamicQuantizeLSTM", Domain = "com.microsoft" };
        foreach (var name in new[] { "X", "W", "R", "B", "", "", "", "", "W_scale", "W_zp", "R_scale", "R_zp" })
            node.Input.Add(name);
        node.Output.Add("Y");
        node.Attribute.Add(new AttributeProto { Name = "hidden_size", Type = AttributeProto.Types.AttributeType.Int, I = h });
        graph.Node.Add(node);
        graph.Output.Add(TensorInfo("Y", ("T", 0), (null, 1), ("B", 0), (null, h)));
        var model = new ModelProto { IrVersion = 8, ProducerName = "LstmNative.Benchmarks", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 14 });
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        return model.ToByteArray();
    }

    private static TensorProto FloatTensor(string name, float[] data, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        var bytes = new byte[data.Length * sizeof(float)];
        Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
        t.RawData = ByteString.CopyFrom(bytes);
        return t;
    }

    private static ValueInfoProto TensorInfo(string name, params (string? param, long value)[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var (param, value) in dims)
            shape.Dim.Add(param is null ? new TensorShapeProto.Types.Dimension { DimValue = value } : new TensorShapeProto.Types.Dimension { DimParam = param });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}

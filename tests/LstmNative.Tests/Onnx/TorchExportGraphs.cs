using LstmNative.Formats;
using LstmNative.Model;
using Onnx;
using LstmNative.Tests.Formats;
using LstmNative.Onnx;
using static LstmNative.Tests.Formats.OnnxBuilder;

namespace LstmNative.Tests.Onnx;

/// <summary>
/// ONNX graphs shaped like what <c>torch.onnx.export</c> emits for an <c>nn.LSTM</c>/<c>nn.GRU</c> module called
/// without initial states: zero states built from the input's shape (Shape, Gather, Unsqueeze, Concat,
/// ConstantOfShape), a Slice of them per layer, a Transpose for batch_first, one RNN node per layer with initializers
/// already in ONNX gate order, Squeeze (unidirectional) or Transpose+Reshape (bidirectional) between layers, and Concat
/// of the final states. Opset 11 passes Squeeze/Unsqueeze axes as attributes, opset 13+ as inputs. The gate reordering
/// here is written out independently of the engine's GateOrder, from PyTorch's documented layouts.
/// </summary>
internal static class TorchExportGraphs
{
    public static ModelProto Build(RnnCellType cell, IReadOnlyDictionary<string, NdArray> stateDict, int layers, bool bidirectional, bool batchFirst, int hidden, long opset)
    {
        bool lstm = cell == RnnCellType.Lstm;
        string op = lstm ? "LSTM" : "GRU";
        int dirs = bidirectional ? 2 : 1, gates = lstm ? 4 : 3;
        // PyTorch blocks (i, f, g, o) / (r, z, n) placed in ONNX order (i, o, f, c) / (z, r, h).
        int[] torchBlockOfOnnxBlock = lstm ? [0, 3, 1, 2] : [1, 0, 2];
        var nodes = new List<NodeProto>();
        var inits = new List<TensorProto>();
        bool axesAsInputs = opset >= 13;

        NdArray Reorder(NdArray torch, int rowLength)
        {
            var src = torch.ToFloats();
            var dst = new float[src.Length];
            int block = hidden * rowLength;
            for (int k = 0; k < gates; k++)
                Array.Copy(src, torchBlockOfOnnxBlock[k] * block, dst, k * block, block);
            return new NdArray(dst, torch.Shape);
        }
        NdArray Stack(IEnumerable<NdArray> parts, params int[] innerShape)
        {
            var data = parts.SelectMany(p => p.ToFloats()).ToArray();
            return new NdArray(data, [dirs, .. innerShape]);
        }
        void Const(string name, long[] values, bool scalar = false)
        {
            var t = OnnxTensors.ToTensorProto("", new NdArray(values, scalar ? [] : [values.Length]));
            nodes.Add(Node("Constant", name, [], [name + "_output_0"], new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = t }));
        }
        NodeProto Unsqueeze(string name, string input, long axis)
        {
            if (!axesAsInputs)
                return Node("Unsqueeze", name, [input], [name + "_output_0"], Ints("axes", axis));
            Const(name + "_axes", [axis]);
            return Node("Unsqueeze", name, [input, name + "_axes_output_0"], [name + "_output_0"]);
        }

        string x = "input";
        if (batchFirst)
        {
            nodes.Add(Node("Transpose", "/rnn/Transpose", ["input"], ["/rnn/Transpose_output_0"], Ints("perm", 1, 0, 2)));
            x = "/rnn/Transpose_output_0";
        }
        // h0 = zeros(num_layers * num_directions, batch, hidden), batch taken from the input's shape at run time.
        nodes.Add(Node("Shape", "/rnn/Shape", ["input"], ["/rnn/Shape_output_0"]));
        Const("/rnn/Constant", [batchFirst ? 0 : 1], scalar: true);
        nodes.Add(Node("Gather", "/rnn/Gather", ["/rnn/Shape_output_0", "/rnn/Constant_output_0"], ["/rnn/Gather_output_0"], Int("axis", 0)));
        nodes.Add(Unsqueeze("/rnn/Unsqueeze", "/rnn/Gather_output_0", 0));
        Const("/rnn/Constant_1", [layers * dirs]);
        Const("/rnn/Constant_2", [hidden]);
        nodes.Add(Node("Concat", "/rnn/Concat", ["/rnn/Constant_1_output_0", "/rnn/Unsqueeze_output_0", "/rnn/Constant_2_output_0"], ["/rnn/Concat_output_0"], Int("axis", 0)));
        var zero = OnnxTensors.ToTensorProto("", NdArray.FromFloats([0f], 1));
        nodes.Add(Node("ConstantOfShape", "/rnn/ConstantOfShape", ["/rnn/Concat_output_0"], ["/rnn/zeros"], new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = zero }));
        nodes.Add(Node("Identity", "/rnn/Identity", ["/rnn/zeros"], ["/rnn/zeros_c"]));

        var hOuts = new List<string>();
        var cOuts = new List<string>();
        for (int l = 0; l < layers; l++)
        {
            string[] suffixes = bidirectional ? [$"_l{l}", $"_l{l}_reverse"] : [$"_l{l}"];
            int inSize = stateDict[$"weight_ih{suffixes[0]}"].Shape[1];
            string w = $"onnx::{op}_{100 + 3 * l}", r = $"onnx::{op}_{101 + 3 * l}", b = $"onnx::{op}_{102 + 3 * l}";
            inits.Add(OnnxTensors.ToTensorProto(w, Stack(suffixes.Select(s => Reorder(stateDict[$"weight_ih{s}"], inSize)), gates * hidden, inSize)));
            inits.Add(OnnxTensors.ToTensorProto(r, Stack(suffixes.Select(s => Reorder(stateDict[$"weight_hh{s}"], hidden)), gates * hidden, hidden)));
            inits.Add(OnnxTensors.ToTensorProto(b, Stack(suffixes.Select(s => new NdArray(
                Reorder(stateDict[$"bias_ih{s}"], 1).ToFloats().Concat(Reorder(stateDict[$"bias_hh{s}"], 1).ToFloats()).ToArray(), [2 * gates * hidden])), 2 * gates * hidden)));

            string p = $"/rnn/l{l}";
            Const($"{p}/starts", [l * dirs]);
            Const($"{p}/ends", [(l + 1) * dirs]);
            Const($"{p}/axes", [0]);
            nodes.Add(Node("Slice", $"{p}/Slice", ["/rnn/zeros", $"{p}/starts_output_0", $"{p}/ends_output_0", $"{p}/axes_output_0"], [$"{p}/h0"]));
            if (lstm)
                nodes.Add(Node("Slice", $"{p}/Slice_1", ["/rnn/zeros_c", $"{p}/starts_output_0", $"{p}/ends_output_0", $"{p}/axes_output_0"], [$"{p}/c0"]));
            var attributes = new List<AttributeProto> { Int("hidden_size", hidden) };
            if (bidirectional)
                attributes.Add(Text("direction", "bidirectional"));
            if (!lstm)
                attributes.Add(Int("linear_before_reset", 1));
            nodes.Add(Node(op, $"{p}/{op}", lstm ? [x, w, r, b, "", $"{p}/h0", $"{p}/c0"] : [x, w, r, b, "", $"{p}/h0"],
                lstm ? [$"{p}/Y", $"{p}/Y_h", $"{p}/Y_c"] : [$"{p}/Y", $"{p}/Y_h"], [.. attributes]));
            hOuts.Add($"{p}/Y_h");
            cOuts.Add($"{p}/Y_c");
            if (bidirectional)
            {
                nodes.Add(Node("Transpose", $"{p}/Transpose", [$"{p}/Y"], [$"{p}/Y_t"], Ints("perm", 0, 2, 1, 3)));
                Const($"{p}/shape", [0, 0, -1]);
                nodes.Add(Node("Reshape", $"{p}/Reshape", [$"{p}/Y_t", $"{p}/shape_output_0"], [$"{p}/out"]));
            }
            else if (axesAsInputs)
            {
                Const($"{p}/squeeze_axes", [1]);
                nodes.Add(Node("Squeeze", $"{p}/Squeeze", [$"{p}/Y", $"{p}/squeeze_axes_output_0"], [$"{p}/out"]));
            }
            else
            {
                nodes.Add(Node("Squeeze", $"{p}/Squeeze", [$"{p}/Y"], [$"{p}/out"], Ints("axes", 1)));
            }
            x = $"{p}/out";
        }
        nodes.Add(batchFirst
            ? Node("Transpose", "/rnn/Transpose_out", [x], ["output"], Ints("perm", 1, 0, 2))
            : Node("Identity", "/rnn/Identity_out", [x], ["output"]));
        nodes.Add(Node("Concat", "/rnn/Concat_h", [.. hOuts], ["hn"], Int("axis", 0)));
        var outputs = new List<string> { "output", "hn" };
        if (lstm)
        {
            nodes.Add(Node("Concat", "/rnn/Concat_c", [.. cOuts], ["cn"], Int("axis", 0)));
            outputs.Add("cn");
        }
        int input0 = stateDict["weight_ih_l0"].Shape[1];
        var graph = Graph(nodes, [Input("input", DType.Float32, batchFirst ? "batch" : "seq", batchFirst ? "seq" : "batch", input0)], outputs, inits);
        return OnnxBuilder.Model(graph, irVersion: 7, opset: opset);
    }

    private static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }
}

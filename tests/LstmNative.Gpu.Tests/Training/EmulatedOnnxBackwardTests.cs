using LstmNative.Gpu.Tests.Emulation;
using LstmNative.Gpu.Training;
using LstmNative.Model;
using LstmNative.Onnx;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Training;

/// <summary>The CLI's GPU backward path (ONNX node -> GpuRnnStack -> ONNX gradients) against OnnxRnnOperator.Backward.</summary>
public class EmulatedOnnxBackwardTests
{
    [TestCase("LSTM", "bidirectional", 0, true)]
    [TestCase("LSTM", "reverse", 1, false)]
    [TestCase("GRU", "forward", 0, true)]
    [TestCase("GRU", "bidirectional", 1, false)]
    public void MatchesTheCpuOperator(string op, string direction, int layout, bool linearBeforeReset)
    {
        var (attributes, inputs) = OnnxCase(op, direction, layout, linearBeforeReset);
        var tensors = OnnxRnnTensors.FromRoles(inputs);
        var cpuOp = new OnnxRnnOperator(attributes, tensors);
        var forward = cpuOp.Forward();
        var rng = new Random(4);
        var upstream = forward.ToDictionary(kv => kv.Key, kv => NdArray.FromFloats(StackCases.Random(rng, kv.Value.Length, 1), kv.Value.Shape.ToArray()));
        var expected = cpuOp.Backward(upstream);
        using var device = new EmulatedBackend().CreateArena();
        var actual = GpuOnnxBackward.Run(device, new OnnxRnnOperator(attributes, tensors), inputs, upstream);
        Assert.That(actual.Keys, Is.EquivalentTo(expected.Keys));
        Assert.Multiple(() =>
        {
            foreach (var (role, want) in expected)
            {
                Assert.That(actual[role].Shape, Is.EqualTo(want.Shape), role);
                StackCases.Compare(actual[role].ToFloats(), want.ToDoubles(), 1e-5, role);
            }
        });
    }

    private static (OnnxRnnAttributes, Dictionary<string, NdArray>) OnnxCase(string op, string direction, int layout, bool lbr)
    {
        const int steps = 4, batch = 3, input = 2, hidden = 3;
        int dirs = direction == "bidirectional" ? 2 : 1, gates = op == "LSTM" ? 4 : 3;
        var attributes = new OnnxRnnAttributes
        {
            Cell = op == "LSTM" ? RnnCellType.Lstm : RnnCellType.Gru,
            HiddenSize = hidden,
            Direction = direction,
            Layout = layout,
            LinearBeforeReset = op == "GRU" && lbr ? 1 : 0,
        };
        var rng = new Random(17);
        NdArray R(params int[] shape) => NdArray.FromFloats(StackCases.Random(rng, shape.Aggregate(1, (a, b) => a * b), 0.6), shape);
        var inputs = new Dictionary<string, NdArray>
        {
            ["X"] = layout == 0 ? R(steps, batch, input) : R(batch, steps, input),
            ["W"] = R(dirs, gates * hidden, input),
            ["R"] = R(dirs, gates * hidden, hidden),
            ["B"] = R(dirs, 2 * gates * hidden),
            ["sequence_lens"] = new NdArray(new[] { 4, 2, 3 }, [batch]),
            ["initial_h"] = layout == 0 ? R(dirs, batch, hidden) : R(batch, dirs, hidden),
        };
        if (op == "LSTM")
        {
            inputs["initial_c"] = layout == 0 ? R(dirs, batch, hidden) : R(batch, dirs, hidden);
            inputs["P"] = R(dirs, 3 * hidden);
        }
        return (attributes, inputs);
    }
}

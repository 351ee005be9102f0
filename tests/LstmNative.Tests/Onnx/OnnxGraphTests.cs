using Google.Protobuf;
using LstmNative.Formats;
using LstmNative.Layers;
using LstmNative.Model;
using LstmNative.Tests.Formats;
using LstmNative.Onnx;
using NUnit.Framework;
using static LstmNative.Tests.Formats.OnnxBuilder;

namespace LstmNative.Tests.Onnx;

/// <summary>Multi-node ONNX graphs as PyTorch exports them: run by our graph runner, checked against the reference and ONNX Runtime.</summary>
public class OnnxGraphTests
{
    public static IEnumerable<TestCaseData> TorchGraphs()
    {
        yield return new TestCaseData(RnnCellType.Lstm, 2, true, true, 17L).SetArgDisplayNames("LSTM 2 layers bidirectional batch_first opset 17");
        yield return new TestCaseData(RnnCellType.Lstm, 1, false, false, 11L).SetArgDisplayNames("LSTM 1 layer opset 11");
        yield return new TestCaseData(RnnCellType.Lstm, 3, false, true, 13L).SetArgDisplayNames("LSTM 3 layers batch_first opset 13");
        yield return new TestCaseData(RnnCellType.Gru, 2, true, false, 14L).SetArgDisplayNames("GRU 2 layers bidirectional opset 14");
        yield return new TestCaseData(RnnCellType.Gru, 2, false, true, 11L).SetArgDisplayNames("GRU 2 layers batch_first opset 11");
    }

    [TestCaseSource(nameof(TorchGraphs))]
    public void TorchStyleExportRunsLikeThePyTorchModule(RnnCellType cell, int layers, bool bidirectional, bool batchFirst, long opset)
    {
        var rng = FormatTestData.Rng();
        const int input = 3, hidden = 4, steps = 4, batch = 3;
        var stateDict = PyTorchStateDictTests.StateDict(cell, input, hidden, layers, bidirectional, seed: rng.Next());
        var proto = TorchExportGraphs.Build(cell, stateDict, layers, bidirectional, batchFirst, hidden, opset);
        var graph = OnnxGraphReader.Load(proto.ToByteArray(), "torch_export.onnx");
        var x = FormatTestData.UniformFloats(rng, batchFirst ? [batch, steps, input] : [steps, batch, input]);
        var feeds = new Dictionary<string, NdArray> { ["input"] = x };
        var ours = graph.Run(feeds);
        var ort = OrtRunner.Run(proto, feeds);
        // The PyTorch module itself: the same state dict through the reference stack.
        var model = PyTorchStateDict.ToModel<double>(stateDict, batchFirst: batchFirst);
        var expected = ReferenceStack.Forward<double>(model, x.ToDoubles(), steps, batch, [], []);
        Assert.That(ours["output"].Shape, Is.EqualTo(ort["output"].Shape));
        Assert.That(ours["output"].ToDoubles(), Is.EqualTo(expected.Output).Within(1e-5));
        Assert.That(ort["output"].ToDoubles(), Is.EqualTo(expected.Output).Within(1e-5), "the hand-built graph is what ONNX Runtime runs too");
        Assert.That(ours["hn"].ToDoubles(), Is.EqualTo(expected.Hn).Within(1e-5));
        Assert.That(ort["hn"].ToDoubles(), Is.EqualTo(expected.Hn).Within(1e-5));
        if (cell == RnnCellType.Lstm)
            Assert.That(ours["cn"].ToDoubles(), Is.EqualTo(expected.Cn).Within(1e-5));
    }

    [Test]
    public void UnsupportedOperatorsAreRefusedByName()
    {
        var proto = TorchExportGraphs.Build(RnnCellType.Lstm, PyTorchStateDictTests.StateDict(RnnCellType.Lstm, 3, 4, 1, false), 1, false, false, 4, 17);
        proto.Graph.Node.Add(Node("MatMul", "/fc/MatMul", ["output", "output"], ["logits"]));
        var ex = Assert.Throws<ModelFormatException>(() => OnnxGraphReader.FromModelProto(proto, "m.onnx"));
        Assert.That(ex!.Message, Does.StartWith("m.onnx: unsupported ONNX operator 'MatMul' (node '/fc/MatMul'): supported operators are LSTM, GRU, Transpose"));
    }

    public static IEnumerable<TestCaseData> BrokenGraphs()
    {
        TestCaseData Case(string name, Action<global::Onnx.ModelProto> change, string message) => new TestCaseData(change, message).SetArgDisplayNames(name);
        yield return Case("undefined input", m => m.Graph.Node[0].Input[0] = "nowhere", "reads 'nowhere', which no earlier node, graph input or initializer defines");
        yield return Case("out of order", m => { var n = m.Graph.Node[0]; m.Graph.Node.RemoveAt(0); m.Graph.Node.Add(n); }, "which no earlier node");
        yield return Case("redefined value", m => m.Graph.Node[1].Output[0] = "input", "writes 'input', which is already defined");
        yield return Case("unknown attribute", m => m.Graph.Node[0].Attribute.Add(Int("bogus", 1)), "Shape node '/rnn/Shape' has unsupported attribute 'bogus'");
        yield return Case("wrong attribute type", m => m.Graph.Node.First(n => n.OpType == "Gather").Attribute[0].Type = global::Onnx.AttributeProto.Types.AttributeType.Float,
            "Gather node '/rnn/Gather' attribute 'axis' must be INT, found FLOAT");
        yield return Case("concat without axis", m => m.Graph.Node.First(n => n.OpType == "Concat").Attribute.Clear(), "Concat node '/rnn/Concat' has no 'axis' attribute");
        yield return Case("missing graph output", m => m.Graph.Output.Add(new global::Onnx.ValueInfoProto { Name = "ghost" }), "graph output 'ghost' is not produced");
        yield return Case("bad LSTM attribute", m => m.Graph.Node.First(n => n.OpType == "LSTM").Attribute.Add(Int("layout", 7)), "attribute 'layout' is 7: expected 0 or 1");
        yield return Case("foreign domain", m => m.Graph.Node[0].Domain = "com.microsoft", "unsupported ONNX operator 'com.microsoft.Shape'");
    }

    [TestCaseSource(nameof(BrokenGraphs))]
    public void BrokenGraphsAreRefusedBeforeRunning(Action<global::Onnx.ModelProto> change, string message)
    {
        var proto = TorchExportGraphs.Build(RnnCellType.Lstm, PyTorchStateDictTests.StateDict(RnnCellType.Lstm, 3, 4, 1, false), 1, false, false, 4, 17);
        change(proto);
        var ex = Assert.Throws<ModelFormatException>(() => OnnxGraphReader.FromModelProto(proto, "m.onnx"));
        Assert.That(ex!.Message, Does.Contain(message));
    }

    [Test]
    public void RunTimeErrorsNameTheNode()
    {
        var graph = OnnxGraphReader.FromModelProto(
            TorchExportGraphs.Build(RnnCellType.Gru, PyTorchStateDictTests.StateDict(RnnCellType.Gru, 3, 4, 1, false), 1, false, false, 4, 17), "m.onnx");
        var ex = Assert.Throws<ArgumentException>(() => graph.Run(new Dictionary<string, NdArray> { ["input"] = FormatTestData.UniformFloats(new Random(1), [2, 2, 5]) }));
        Assert.That(ex!.Message, Does.Contain("input 'input': expected shape [?, ?, 3], got [2, 2, 5]"));
        Assert.Throws<ArgumentException>(() => graph.Run(new Dictionary<string, NdArray>()));
    }

    [Test]
    public void SingleNodeModelsStillLoadThroughTheGraphReader()
    {
        var proto = FullLstm(new Random(5), out _, finite: true);
        var graph = OnnxGraphReader.FromModelProto(proto, "full.onnx");
        Assert.That(graph.Operators, Is.EqualTo(new[] { "LSTM" }));
        // ... and the single-node reader keeps refusing graphs, with its own message.
        var torch = TorchExportGraphs.Build(RnnCellType.Lstm, PyTorchStateDictTests.StateDict(RnnCellType.Lstm, 3, 4, 1, false), 1, false, false, 4, 17);
        Assert.That(Assert.Throws<ModelFormatException>(() => OnnxModelReader.FromModelProto(torch, "t.onnx"))!.Message, Does.Contain("only a single LSTM or GRU node is supported"));
    }
}

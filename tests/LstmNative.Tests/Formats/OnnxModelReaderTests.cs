using Google.Protobuf;
using LstmNative.Formats;
using LstmNative.Model;
using LstmNative.Onnx;
using NUnit.Framework;
using Onnx;
using static LstmNative.Tests.Formats.OnnxBuilder;

namespace LstmNative.Tests.Formats;

public class OnnxModelReaderTests
{
    private const string Source = "built.onnx";
    private const string OnlyRnn = "only a single LSTM or GRU node is supported";

    private static OnnxRnnModel LoadBytes(ModelProto model) => OnnxModelReader.Load(model.ToByteArray(), Source);

    private static string Refusal(ModelProto model)
    {
        var e = Assert.Throws<ModelFormatException>(() => LoadBytes(model));
        Assert.That(e.Message, Does.StartWith(Source + ": ").And.Not.Contain('\n'));
        return e.Message;
    }

    [Test]
    public void LoadsEveryPartOfAFullLstm()
    {
        var model = LoadBytes(FullLstm(FormatTestData.Rng(), out var weights));
        var a = model.Attributes;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(model.OpType, Is.EqualTo("LSTM"));
            Assert.That(model.Cell, Is.EqualTo(RnnCellType.Lstm));
            Assert.That(model.NodeName, Is.EqualTo("lstm"));
            Assert.That(model.Source, Is.EqualTo(Source));
            Assert.That(model.OpsetVersion, Is.EqualTo(22));
            Assert.That(model.NodeInputs, Is.EqualTo(new[] { "X", "W", "R", "B", "", "h0", "", "P" }));
            Assert.That(model.NodeOutputs, Is.EqualTo(new[] { "Y", "Y_h", "Y_c" }));
            Assert.That(model.Input(OnnxRnnInput.InitialH), Is.EqualTo("h0"));
            Assert.That(model.Input(OnnxRnnInput.SequenceLens), Is.Empty);
            Assert.That(model.Output(OnnxRnnOutput.YC), Is.EqualTo("Y_c"));
            Assert.That(a.HiddenSize, Is.EqualTo(2));
            Assert.That(a.Direction, Is.EqualTo("bidirectional"));
            Assert.That(a.Layout, Is.EqualTo(1));
            Assert.That(a.Clip, Is.EqualTo(3.5f));
            Assert.That(a.InputForget, Is.EqualTo(1));
            Assert.That(a.LinearBeforeReset, Is.Zero);
            Assert.That(a.Activations, Is.EqualTo(new[] { "Sigmoid", "Tanh", "Tanh", "HardSigmoid", "Tanh", "Tanh" }));
            Assert.That(a.ActivationAlpha, Is.EqualTo(new[] { 0.2f }));
            Assert.That(a.ActivationBeta, Is.EqualTo(new[] { 0.5f }));
            Assert.That(model.Initializers.Keys, Is.EquivalentTo(weights.Keys));
            foreach (var (name, expected) in weights)
            {
                Assert.That(model.Initializers[name].Shape, Is.EqualTo(expected.Shape), name);
                Assert.That(FormatTestData.Bytes(model.Initializers[name].Data).ToArray(), Is.EqualTo(FormatTestData.Bytes(expected.Data).ToArray()), name);
            }
            Assert.That(model.GraphInputs.Select(i => i.Name), Is.EqualTo(new[] { "X", "h0" }));
            Assert.That(model.GraphInputs[0].ElementType, Is.EqualTo(DType.Float32));
            Assert.That(model.GraphInputs[0].Dims, Is.EqualTo(new int?[] { null, null, 3 }));
            Assert.That(model.GraphInputs[0].IsStatic, Is.False);
            Assert.That(model.GraphOutputs, Is.EqualTo(new[] { "Y", "Y_h" }));
        }
    }

    [Test]
    public void BuildsLayerOptionsFromAttributesAndWeightShapes()
    {
        var (options, layout) = LoadBytes(FullLstm(FormatTestData.Rng(), out _)).ToLayerOptions();
        var expected = new RnnLayerOptions(RnnCellType.Lstm, 3, 2, RnnDirection.Bidirectional)
        {
            Clip = 3.5,
            InputForget = true,
            HasPeepholes = true,
            // The model names its activations; the reverse direction's f is HardSigmoid with alpha 0.2f, beta 0.5f (float attributes).
            Activations = [Activation.Sigmoid, Activation.Tanh, Activation.Tanh, Activation.Parse("HardSigmoid", 0.2f, 0.5f), Activation.Tanh, Activation.Tanh],
        };
        using (Assert.EnterMultipleScope())
        {
            Assert.That(options, Is.EqualTo(expected));
            Assert.That(layout, Is.EqualTo(SequenceLayout.BatchMajor));
        }
    }

    [Test]
    public void GruLayerOptionsComeFromStaticGraphInputs()
    {
        var model = LoadBytes(SimpleGru());
        var (options, layout) = model.ToLayerOptions();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(model.NodeInputs, Is.EqualTo(new[] { "X", "W", "R", "", "", "", "", "" }));
            Assert.That(model.NodeOutputs, Is.EqualTo(new[] { "", "Y_h", "" }));
            Assert.That(model.Attributes.Direction, Is.EqualTo("forward"));
            Assert.That(model.Attributes.Clip, Is.Null);
            Assert.That(model.Attributes.Activations, Is.Null);
            Assert.That(options, Is.EqualTo(new RnnLayerOptions(RnnCellType.Gru, 4, 5) { LinearBeforeReset = true }));
            Assert.That(layout, Is.EqualTo(SequenceLayout.TimeMajor));
            Assert.That(model.GraphInputs[1].IsStatic, Is.True);
        }
    }

    [Test]
    public void HiddenSizeComesFromRWhenTheAttributeIsOmitted()
    {
        var proto = SimpleGru();
        proto.Graph.Node[0].Attribute.RemoveAt(0);
        var model = LoadBytes(proto);
        Assert.That(model.Attributes.HiddenSize, Is.Null);
        Assert.That(model.ToLayerOptions().Options.HiddenSize, Is.EqualTo(5));
    }

    [Test]
    public void ExplicitShapesServeSymbolicWeights()
    {
        var proto = SimpleGru();
        proto.Graph.Input[1] = Input("W", DType.Float32, "D", 15, 4);
        var model = LoadBytes(proto);
        var e = Assert.Throws<ModelFormatException>(() => model.ToLayerOptions());
        Assert.That(e.Message, Does.Contain("the shape of W ('W') is not known before run time"));
        Assert.That(model.ToLayerOptions([1, 15, 4], null).Options.InputSize, Is.EqualTo(4));
    }

    [Test]
    public void WeightShapesThatContradictTheAttributesAreRefused()
    {
        var model = LoadBytes(SimpleGru());
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Assert.Throws<ModelFormatException>(() => model.ToLayerOptions([1, 12, 4], null))!.Message,
                Is.EqualTo("built.onnx: GRU node 'gru': W has shape [1, 12, 4]: expected [1, 15, input_size] for hidden_size 5"));
            Assert.That(Assert.Throws<ModelFormatException>(() => model.ToLayerOptions([2, 15, 4], null))!.Message,
                Does.Contain("W has shape [2, 15, 4]: expected [1, 3*hidden_size, input_size] for a forward GRU"));
            Assert.That(Assert.Throws<ModelFormatException>(() => model.ToLayerOptions([1, 15, 4], [1, 15, 4]))!.Message,
                Does.Contain("R has shape [1, 15, 4]: expected [1, 15, 5]"));
            Assert.That(Assert.Throws<ModelFormatException>(() => model.ToLayerOptions([1, 15, 0], null))!.Message,
                Does.Contain("input size must be positive"));
        }
    }

    [Test]
    public void BiasOfTheWrongShapeIsRefused()
    {
        var proto = FullLstm(FormatTestData.Rng(), out _);
        var b = proto.Graph.Initializer.Single(t => t.Name == "B");
        proto.Graph.Initializer.Remove(b);
        proto.Graph.Initializer.Add(OnnxTensors.ToTensorProto("B", new NdArray(new float[16], [2, 8])));
        var e = Assert.Throws<ModelFormatException>(() => LoadBytes(proto).ToLayerOptions());
        Assert.That(e.Message, Does.Contain("B ('B') has shape [2, 8]: expected [2, 16]"));
    }

    [Test]
    public void NonRnnNodeIsRefusedByName()
    {
        var proto = SimpleGru();
        proto.Graph.Node.Add(Node("Relu", "n1", ["Y_h"], ["Z"]));
        Assert.That(Refusal(proto), Is.EqualTo($"{Source}: unsupported ONNX operator 'Relu' (node 'n1'): {OnlyRnn}"));
    }

    [Test]
    public void SingleNonRnnNodeIsRefusedByName()
    {
        var proto = OnnxBuilder.Model(Graph([Node("MatMul", "", ["A", "B"], ["C"])], [Input("A", DType.Float32, 2, 2), Input("B", DType.Float32, 2, 2)], ["C"]));
        Assert.That(Refusal(proto), Is.EqualTo($"{Source}: unsupported ONNX operator 'MatMul' (node '#0'): {OnlyRnn}"));
    }

    [Test]
    public void TwoRnnNodesAreRefused()
    {
        var proto = SimpleGru();
        proto.Graph.Node.Add(Node("LSTM", "second", ["X", "W", "R"], ["Y2"], Int("hidden_size", 5)));
        Assert.That(Refusal(proto), Is.EqualTo($"{Source}: graph has 2 nodes (GRU 'gru', LSTM 'second'): {OnlyRnn}"));
    }

    [Test]
    public void RnnFromAnotherDomainIsRefused()
    {
        var proto = SimpleGru();
        proto.Graph.Node[0].Domain = "com.microsoft";
        Assert.That(Refusal(proto), Does.Contain("unsupported ONNX operator 'com.microsoft.GRU' (node 'gru')"));
    }

    private static IEnumerable<TestCaseData> MalformedModels()
    {
        TestCaseData Case(string name, Func<ModelProto> build, string fragment) => new TestCaseData(build, fragment).SetName("{m}(" + name + ")");
        ModelProto Gru(Action<ModelProto> change)
        {
            var m = SimpleGru();
            change(m);
            return m;
        }
        ModelProto Lstm(Action<ModelProto> change)
        {
            var m = FullLstm(new Random(1), out _);
            change(m);
            return m;
        }
        NodeProto N(ModelProto m) => m.Graph.Node[0];

        yield return Case("no graph", () => OnnxBuilder.Model(null), "ONNX model has no graph");
        yield return Case("no ir_version", () => Gru(m => m.IrVersion = 0), "ir_version 0");
        yield return Case("no default opset", () => Gru(m => m.OpsetImport.Clear()), "imports no default (ai.onnx) operator set");
        yield return Case("no nodes", () => Gru(m => m.Graph.Node.Clear()), $"graph has no nodes: {OnlyRnn}");
        yield return Case("hidden_size as float", () => Gru(m => N(m).Attribute[0] = Float("hidden_size", 5f)),
            "GRU node 'gru' attribute 'hidden_size' must be INT, found FLOAT");
        yield return Case("clip as int", () => SimpleGru(Int("clip", 2)), "attribute 'clip' must be FLOAT, found INT");
        yield return Case("direction as int", () => SimpleGru(Int("direction", 1)), "attribute 'direction' must be STRING, found INT");
        yield return Case("activations as one string", () => SimpleGru(Text("activations", "Sigmoid")), "attribute 'activations' must be STRINGS, found STRING");
        yield return Case("activation_alpha as float", () => SimpleGru(Float("activation_alpha", 1f)), "attribute 'activation_alpha' must be FLOATS, found FLOAT");
        yield return Case("unknown direction", () => SimpleGru(Text("direction", "sideways")), "attribute 'direction' is 'sideways': expected one of 'forward', 'reverse', 'bidirectional'");
        yield return Case("layout 2", () => SimpleGru(Int("layout", 2)), "attribute 'layout' is 2: expected 0 or 1");
        yield return Case("negative clip", () => SimpleGru(Float("clip", -1f)), "attribute 'clip' is -1: expected a positive number");
        yield return Case("zero hidden_size", () => Gru(m => N(m).Attribute[0] = Int("hidden_size", 0)), "attribute 'hidden_size' is 0: expected a positive integer");
        yield return Case("input_forget on GRU", () => SimpleGru(Int("input_forget", 1)), "GRU node 'gru' has unsupported attribute 'input_forget'");
        yield return Case("linear_before_reset on LSTM", () => Lstm(m => N(m).Attribute.Add(Int("linear_before_reset", 1))), "LSTM node 'lstm' has unsupported attribute 'linear_before_reset'");
        yield return Case("opset 1 output_sequence", () => SimpleGru(Int("output_sequence", 1)), "unsupported attribute 'output_sequence'");
        yield return Case("attribute twice", () => SimpleGru(Int("layout", 0), Int("layout", 1)), "sets attribute 'layout' twice");
        yield return Case("two inputs", () => Gru(m => N(m).Input.RemoveAt(2)), "has 2 inputs: expected 3 to 6 (X, W, R required)");
        yield return Case("GRU with initial_c", () => Gru(m => N(m).Input.Add(["", "", "", "c0"])), "has 7 inputs: expected 3 to 6");
        yield return Case("LSTM with four outputs", () => Lstm(m => N(m).Output.Add("extra")), "has 4 outputs: expected at most 3");
        yield return Case("empty W", () => Gru(m => N(m).Input[1] = ""), "leaves required input W empty");
        yield return Case("unwired input", () => Gru(m => N(m).Input.Add("bias")), "reads 'bias', which is neither a graph input nor an initializer");
        yield return Case("graph output from nowhere", () => Gru(m => m.Graph.Output.Add(new ValueInfoProto { Name = "Z" })), "graph output 'Z' is not an output of GRU node 'gru'");
        yield return Case("float16 input", () => Gru(m => m.Graph.Input[0].Type.TensorType.ElemType = 10), "graph input 'X' has element type 10 (float16)");
        yield return Case("non-tensor input", () => Gru(m => m.Graph.Input[0].Type = new TypeProto { SequenceType = new TypeProto.Types.Sequence() }), "graph input 'X' is not a tensor");
        yield return Case("duplicate initializer", () => Lstm(m => m.Graph.Initializer.Add(m.Graph.Initializer[0].Clone())), "two initializers named 'W'");
        yield return Case("initializer too short", () => Lstm(m => m.Graph.Initializer[0].RawData = ByteString.CopyFrom(new byte[7])),
            "built.onnx: initializer 'W': tensor 'W' of shape [2, 8, 3] (1 (float)) needs 192 bytes of raw_data, found 7");
        yield return Case("attribute not UTF-8", () => Gru(m => N(m).Attribute.Add(new AttributeProto
        {
            Name = "direction",
            Type = AttributeProto.Types.AttributeType.String,
            S = ByteString.CopyFrom(0xFF, 0xFE),
        })), "attribute 'direction' is not valid UTF-8");
    }

    [TestCaseSource(nameof(MalformedModels))]
    public void MalformedModelsAreRefusedWithOneClearLine(Func<ModelProto> build, string fragment)
    {
        Assert.That(Refusal(build()), Does.Contain(fragment));
    }

    [Test]
    public void InitializersListedAsGraphInputsAreNotRunTimeInputs()
    {
        // IR version 3 models list every initializer among the graph inputs as well.
        var proto = FullLstm(FormatTestData.Rng(), out _);
        proto.IrVersion = 3;
        proto.Graph.Input.Add(Input("W", DType.Float32, 2, 8, 3));
        var model = LoadBytes(proto);
        Assert.That(model.GraphInputs.Select(i => i.Name), Is.EqualTo(new[] { "X", "h0" }));
    }

    [Test]
    public void EveryTruncationIsRefused()
    {
        byte[] bytes = FullLstm(FormatTestData.Rng(), out _).ToByteArray();
        for (int length = 0; length < bytes.Length; length++)
        {
            int n = length;
            Assert.Throws<ModelFormatException>(() => OnnxModelReader.Load(bytes.AsSpan(0, n), Source), $"prefix of {n} of {bytes.Length} bytes");
        }
    }

    [Test]
    public void GarbageIsRefused()
    {
        var rng = FormatTestData.Rng();
        byte[] junk = new byte[256];
        for (int i = 0; i < 200; i++)
        {
            rng.NextBytes(junk);
            Assert.Throws<ModelFormatException>(() => OnnxModelReader.Load(junk, Source));
        }
        var e = Assert.Throws<ModelFormatException>(() => OnnxModelReader.Load("not a model at all"u8, Source));
        Assert.That(e.Message, Does.StartWith(Source + ": ").And.Not.Contain('\n'));
    }

    [Test]
    public void CorruptedModelsLoadOrFailCleanly()
    {
        // Flipped bytes must never surface as anything but a ModelFormatException, or a NotSupportedException naming an
        // activation a flipped byte turned into an unknown one (no crash, no huge allocation).
        var rng = FormatTestData.Rng();
        byte[] original = FullLstm(rng, out _).ToByteArray();
        int refused = 0;
        for (int trial = 0; trial < 2000; trial++)
        {
            byte[] bytes = (byte[])original.Clone();
            for (int k = rng.Next(1, 4); k > 0; k--)
                bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
            try
            {
                OnnxModelReader.Load(bytes, Source).ToLayerOptions();
            }
            catch (ModelFormatException)
            {
                refused++;
            }
            catch (NotSupportedException e) when (e.Message.StartsWith("activation '", StringComparison.Ordinal))
            {
                refused++;
            }
        }
        Assert.That(refused, Is.Positive);
    }

    [Test]
    public void LoadsFromAFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"lstmnative-{Guid.NewGuid():N}.onnx");
        try
        {
            AtomicFile.WriteAllBytes(path, SimpleGru().ToByteArray());
            var model = OnnxModelReader.Load(path);
            Assert.That(model.Source, Is.EqualTo(path));
            File.WriteAllBytes(path, [0x08]);
            Assert.That(Assert.Throws<ModelFormatException>(() => OnnxModelReader.Load(path))!.Message, Does.StartWith(path + ": "));
        }
        finally
        {
            File.Delete(path);
        }
    }
}

using Google.Protobuf;
using LstmNative.Cpu;
using LstmNative.Engines;
using LstmNative.Formats;
using LstmNative.Layers;
using LstmNative.Model;
using LstmNative.Onnx;
using LstmNative.Tests.Formats;
using LstmNative.Tests.Onnx;
using NUnit.Framework;

namespace LstmNative.Tests.Cpu;

/// <summary><see cref="CpuRnnModel.Load"/>: every supported file reaches a session that agrees with the float64 reference.</summary>
public class CpuRnnModelLoadTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "lstmnative-load-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    /// <summary>Runs the packed model on time-major x and returns y reordered to PyTorch's [T, B, D·H], and h_n.</summary>
    private static (float[] Output, float[] Hn) RunTorchLayout(CpuRnnModel model, float[] x, int steps, int batch)
    {
        using var session = model.CreateSession(batch, steps);
        int d = model.OutputDirections, h = model.OutputSize;
        var y = new float[steps * d * batch * h];
        var hn = new float[model.Layers.Sum(l => l.DirectionCount * l.HiddenSize) * batch];
        session.Run(x, steps, batch, y, hn);
        var output = new float[y.Length];
        for (int t = 0; t < steps; t++)
            for (int dir = 0; dir < d; dir++)
                for (int b = 0; b < batch; b++)
                    Array.Copy(y, ((t * d + dir) * batch + b) * h, output, ((t * batch + b) * d + dir) * h, h);
        return (output, hn);
    }

    [TestCase(RnnCellType.Lstm, false)]
    [TestCase(RnnCellType.Gru, true)]
    public void SafetensorsStateDictMatchesTheReference(RnnCellType cell, bool bidirectional)
    {
        var dict = PyTorchStateDictTests.StateDict(cell, 5, 6, 3, bidirectional, prefix: "enc.rnn.", seed: 7);
        dict["head.weight"] = NdArray.FromFloats(new float[4], 1, 4);
        SafetensorsWriter.Write(PathOf("m.safetensors"), dict);
        var model = CpuRnnModel.Load(PathOf("m.safetensors"), prefix: "enc.rnn");
        Assert.That(model.Layers, Has.Count.EqualTo(3));
        var x = FormatTestData.UniformFloats(new Random(3), [7, 2, 5]).ToFloats();
        var (output, hn) = RunTorchLayout(model, x, 7, 2);
        var expected = ReferenceStack.Forward<double>(PyTorchStateDict.ToModel<double>(dict, "enc.rnn"), Array.ConvertAll(x, v => (double)v), 7, 2, [], []);
        Assert.That(output, Is.EqualTo(expected.Output).Within(1e-5));
        Assert.That(hn, Is.EqualTo(expected.Hn).Within(1e-5));
    }

    [TestCase(CpuPrecision.Fp32, 1e-5)]
    [TestCase(CpuPrecision.Bf16, 1e-2)]
    [TestCase(CpuPrecision.Int8, 2e-2)]
    public void SingleNodeOnnxMatchesTheOperator(CpuPrecision precision, double tolerance)
    {
        var proto = OnnxBuilder.FullLstm(new Random(5), out var weights, finite: true);
        File.WriteAllBytes(PathOf("m.onnx"), proto.ToByteArray());
        var model = CpuRnnModel.Load(PathOf("m.onnx"), precision);
        Assert.That(model.Precision, Is.EqualTo(precision));
        // The file is batch-major (layout 1); the session is time-major: x [T=4, B=3, I=3].
        var xt = FormatTestData.UniformFloats(new Random(6), [4, 3, 3]);
        using var session = model.CreateSession(3, 4);
        var y = new float[4 * 2 * 3 * 2];
        session.Run(xt.ToFloats(), 4, 3, y);
        var xb = new float[xt.Length];
        var xs = xt.ToFloats();
        for (int t = 0; t < 4; t++)
            for (int b = 0; b < 3; b++)
                Array.Copy(xs, (t * 3 + b) * 3, xb, (b * 4 + t) * 3, 3);
        var attributes = OnnxModelReader.Load(PathOf("m.onnx")).Attributes;
        var expected = new OnnxRnnOperator(attributes, new OnnxRnnTensors
        {
            X = new NdArray(xb, [3, 4, 3]), W = weights["W"], R = weights["R"], B = weights["B"], P = weights["P"],
        }, ReferenceLayerEngine<double>.Default).Forward()["Y"].ToFloats(); // [B, T, D, H]
        for (int t = 0; t < 4; t++)
            for (int d = 0; d < 2; d++)
                for (int b = 0; b < 3; b++)
                    for (int h = 0; h < 2; h++)
                        Assert.That(y[((t * 2 + d) * 3 + b) * 2 + h], Is.EqualTo(expected[((b * 4 + t) * 2 + d) * 2 + h]).Within(tolerance));
    }

    [Test]
    public void TorchExportedStackMatchesTheReference()
    {
        var dict = PyTorchStateDictTests.StateDict(RnnCellType.Lstm, 3, 4, 2, false, seed: 4);
        File.WriteAllBytes(PathOf("torch.onnx"), TorchExportGraphs.Build(RnnCellType.Lstm, dict, 2, false, false, 4, 17).ToByteArray());
        var model = CpuRnnModel.Load(PathOf("torch.onnx"));
        Assert.That(model.Layers, Has.Count.EqualTo(2));
        var x = FormatTestData.UniformFloats(new Random(2), [3, 2, 3]).ToFloats();
        var (output, hn) = RunTorchLayout(model, x, 3, 2);
        var expected = ReferenceStack.Forward<double>(PyTorchStateDict.ToModel<double>(dict), Array.ConvertAll(x, v => (double)v), 3, 2, [], []);
        Assert.That(output, Is.EqualTo(expected.Output).Within(1e-5));
        Assert.That(hn, Is.EqualTo(expected.Hn).Within(1e-5));
    }

    [Test]
    public void OwnExportedStackMatchesTheStateDict()
    {
        var stack = new RnnModel<float>(new RnnOptions(RnnCellType.Gru, 4, 5, NumLayers: 2, Bidirectional: true)).InitializeUniform(9);
        OnnxExporter.Save(PathOf("m.onnx"), stack);
        var fromFile = CpuRnnModel.Load(PathOf("m.onnx"));
        var direct = new CpuRnnModel(stack);
        var x = FormatTestData.UniformFloats(new Random(1), [5, 2, 4]).ToFloats();
        var (a, ah) = RunTorchLayout(fromFile, x, 5, 2);
        var (b, bh) = RunTorchLayout(direct, x, 5, 2);
        Assert.That(a, Is.EqualTo(b));
        Assert.That(ah, Is.EqualTo(bh));
    }

    [Test]
    public void WeightsThatAreGraphInputsAreRejected()
    {
        File.WriteAllBytes(PathOf("m.onnx"), OnnxBuilder.SimpleGru().ToByteArray());
        var e = Assert.Throws<ModelFormatException>(() => CpuRnnModel.Load(PathOf("m.onnx")));
        Assert.That(e!.Message, Does.Contain("is a graph input, not an initializer"));
    }

    [Test]
    public void ProjectionsAreNotSupported()
    {
        SafetensorsWriter.Write(PathOf("p.safetensors"), PyTorchStateDictTests.StateDict(RnnCellType.Lstm, 3, 5, 1, false, proj: 2));
        Assert.Throws<NotSupportedException>(() => CpuRnnModel.Load(PathOf("p.safetensors")));
    }
}

using LstmNative.Cpu;
using LstmNative.Engines;
using LstmNative.Model;
using LstmNative.Onnx;
using NUnit.Framework;
using static LstmNative.Tests.Cpu.CpuTestSupport;

namespace LstmNative.Tests.Onnx;

/// <summary>The ONNX operator on the one engine seam: any engine instance runs the node, with the same results.</summary>
public class OnnxEngineSeamTests
{
    private static OnnxRnnTensors Tensors(Random rng, int steps, int batch, int input, int hidden) => new()
    {
        X = new NdArray(RandomFloats(rng, steps * batch * input, 1), [steps, batch, input]),
        W = new NdArray(RandomFloats(rng, 8 * hidden * input, 0.3), [2, 4 * hidden, input]),
        R = new NdArray(RandomFloats(rng, 8 * hidden * hidden, 0.3), [2, 4 * hidden, hidden]),
        B = new NdArray(RandomFloats(rng, 16 * hidden, 0.3), [2, 8 * hidden]),
    };

    private static readonly OnnxRnnAttributes Attributes = new() { Cell = RnnCellType.Lstm, HiddenSize = 5, Direction = "bidirectional" };

    [TestCase(1, 1, 1)]
    [TestCase(7, 3, 2)]
    public void EveryEngineGivesTheReferenceResults(int steps, int batch, int input)
    {
        var tensors = Tensors(new Random(9100 + steps * 10 + batch), steps, batch, input, 5);
        var expected = new OnnxRnnOperator(Attributes, tensors, new ReferenceLayerEngine<double>(shards: 1)).Forward();
        var engines = new (string Name, IReadOnlyDictionary<string, NdArray> Result)[]
        {
            ("default (packed CPU)", new OnnxRnnOperator(Attributes, tensors).Forward()),
            ("CpuLayerEngine", new OnnxRnnOperator(Attributes, tensors, new CpuLayerEngine()).Forward()),
            ("sharded reference", new OnnxRnnOperator(Attributes, tensors, new ReferenceLayerEngine<double>(shards: 3)).Forward()),
            ("float reference", new OnnxRnnOperator(Attributes, tensors, ReferenceLayerEngine<float>.Default).Forward()),
        };
        foreach (var (name, result) in engines)
            foreach (var role in new[] { "Y", "Y_h", "Y_c" })
                Assert.That(result[role].ToFloats(), Is.EqualTo(expected[role].ToFloats()).Within(1e-5), $"{name} {role}");
    }

    [Test]
    public void ReducedPrecisionNeedsTheCpuEngineAndPackedEnginesRefuseBackward()
    {
        var tensors = Tensors(new Random(9123), 4, 2, 3, 5);
        var op = new OnnxRnnOperator(Attributes, tensors, ReferenceLayerEngine<double>.Default) { Precision = CpuPrecision.Bf16 };
        var ex = Assert.Throws<InvalidOperationException>(() => op.Forward());
        Assert.That(ex!.Message, Does.Contain("reference"));

        using var packed = new CpuPackedLayerEngine(CpuPrecision.Fp32);
        var weights = op.Weights.Convert<float>();
        var unknown = Assert.Throws<InvalidOperationException>(() => packed.Forward(weights, new float[4 * 2 * 3], 4, 2, [], [], []));
        Assert.That(unknown!.Message, Does.Contain("not packed"));
        packed.Add(weights);
        var pass = packed.Forward(weights, new float[4 * 2 * 3], 4, 2, [], [], []);
        Assert.Throws<NotSupportedException>(() => pass.Backward([], [], []));
        Assert.Throws<InvalidOperationException>(() => new OnnxRnnOperator(Attributes, tensors, packed).Backward(new Dictionary<string, NdArray>()));
    }

    [Test]
    public void CalibratedRangesNeedInt8WeightsAndFixTheScales()
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var tensors = Tensors(rng, 6, 2, 3, 5);
        var plain = new OnnxRnnOperator(Attributes, tensors);
        using var calibrator = new Int8Calibrator([plain.Weights.Convert<float>()], 2, 6);
        calibrator.Observe(tensors.X!.ToFloats(), 6, 2); // this node is time-major
        var ranges = calibrator.ToCalibration().Layers[0];

        var bf16 = new OnnxRnnOperator(Attributes, tensors) { Precision = CpuPrecision.Bf16, CalibratedRanges = ranges };
        Assert.That(Assert.Throws<InvalidOperationException>(() => bf16.Forward())!.Message, Does.Contain("int8"));

        var fixedScales = new OnnxRnnOperator(Attributes, tensors) { Precision = CpuPrecision.Int8, CalibratedRanges = ranges }.Forward();
        var model = new CpuRnnModel([plain.Weights.Convert<float>()], new Int8Calibration([ranges]));
        using var session = model.CreateSession(2, 6);
        var y = new float[6 * 2 * 2 * 5]; // [T, D, B, H]
        session.Run(tensors.X!.ToFloats(), 6, 2, y);
        Assert.That(fixedScales["Y"].ToFloats(), Is.EqualTo(y), "the packed static-int8 model's result");
        var reference = plain.Forward();
        Assert.That(fixedScales["Y"].ToFloats(), Is.EqualTo(reference["Y"].ToFloats()).Within(2e-2));
    }

    [TestCase(int.MaxValue)]
    [TestCase(1 << 29)]
    [TestCase(4)]
    public void AHiddenSizeAttributeThatDisagreesWithRIsRefusedWithoutOverflow(int hiddenSize)
    {
        // Found by the CLI audit: hidden_size = 2^31 - 1 made the expected shape read "4*hidden_size=-4".
        var tensors = Tensors(new Random(9131), 2, 1, 3, 5);
        var e = Assert.Throws<ArgumentException>(() => new OnnxRnnOperator(Attributes with { HiddenSize = hiddenSize }, tensors));
        Assert.That(e!.Message, Does.Contain($"the hidden_size attribute is {hiddenSize} but R's last dimension is 5").And.Not.Contain("=-"));
    }
}

using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using LstmNative.Cpu;
using LstmNative.Cpu.Kernels;
using LstmNative.Engines;
using LstmNative.Model;
using LstmNative.Reference;
using NUnit.Framework;
using static LstmNative.Tests.Cpu.CpuTestSupport;

namespace LstmNative.Tests.Cpu;

/// <summary>Bad input fails before any work with the reference's messages; NaN propagates; the width switch is honoured.</summary>
public class CpuInputTests
{
    private static readonly RnnLayerOptions Lstm = new(RnnCellType.Lstm, 3, 4, RnnDirection.Bidirectional);

    public static IEnumerable<TestCaseData> BadCalls()
    {
        yield return new TestCaseData(Lstm, 7, 2, 1, Array.Empty<int>(), 0, 0).SetArgDisplayNames("x length");
        yield return new TestCaseData(Lstm, 0, 0, 1, Array.Empty<int>(), 0, 0).SetArgDisplayNames("zero steps");
        yield return new TestCaseData(Lstm, 0, 2, 0, Array.Empty<int>(), 0, 0).SetArgDisplayNames("zero batch");
        yield return new TestCaseData(Lstm, 12, 2, 2, new[] { 1 }, 0, 0).SetArgDisplayNames("lengths count");
        yield return new TestCaseData(Lstm, 12, 2, 2, new[] { 1, 3 }, 0, 0).SetArgDisplayNames("length too long");
        yield return new TestCaseData(Lstm, 12, 2, 2, new[] { -1, 2 }, 0, 0).SetArgDisplayNames("negative length");
        yield return new TestCaseData(Lstm, 12, 2, 2, Array.Empty<int>(), 5, 0).SetArgDisplayNames("initial_h size");
        yield return new TestCaseData(Lstm, 12, 2, 2, Array.Empty<int>(), 0, 5).SetArgDisplayNames("initial_c size");
        yield return new TestCaseData(new RnnLayerOptions(RnnCellType.Gru, 3, 4), 6, 2, 1, Array.Empty<int>(), 0, 4).SetArgDisplayNames("GRU with initial_c");
    }

    [TestCaseSource(nameof(BadCalls))]
    public void BadShapesFailLikeTheReference(RnnLayerOptions options, int xLength, int steps, int batch, int[] lengths, int hLength, int cLength)
    {
        var wf = new LayerWeights<float>(options);
        var ex = Assert.Throws<ArgumentException>(() => ReferenceRnn.Forward<double>(wf.Convert<double>(), new double[xLength], steps, batch, lengths, new double[hLength], new double[cLength]))!;
        Assert.That(() => CpuRnn.Forward(wf, new float[xLength], steps, batch, lengths, new float[hLength], new float[cLength]),
            Throws.ArgumentException.With.Message.EqualTo(ex.Message));
    }

    [Test]
    public void BadUpstreamGradientsFailLikeTheReference()
    {
        var wf = new LayerWeights<float>(Lstm);
        var trace = CpuRnn.Forward(wf, new float[2 * 3], 2, 1, [], [], []);
        var reference = ReferenceRnn.Forward<double>(wf.Convert<double>(), new double[2 * 3], 2, 1, [], [], []);
        var ex = Assert.Throws<ArgumentException>(() => ReferenceRnn.Backward<double>(reference, new double[5], [], []))!;
        Assert.That(() => CpuRnn.Backward(trace, new float[5], [], []), Throws.ArgumentException.With.Message.EqualTo(ex.Message));
    }

    [TestCase(RnnCellType.Lstm, 1)]
    [TestCase(RnnCellType.Lstm, 2)]
    [TestCase(RnnCellType.Gru, 2)]
    public void NanInTheInputPropagatesAsNaNToItsRowOnly(RnnCellType cell, int threads)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var o = new RnnLayerOptions(cell, 5, 40);
        var wf = new LayerWeights<float>(o).Randomize(rng, 0.3);
        const int steps = 4, batch = 3;
        var x = RandomFloats(rng, steps * batch * 5, 1);
        x[(1 * batch + 1) * 5 + 2] = float.NaN; // t = 1, row 1
        var trace = CpuRnn.Forward(wf, x, steps, batch, [], [], [], Options(CpuKernels.Detected, threads));
        for (int t = 0; t < steps; t++)
            for (int b = 0; b < batch; b++)
            {
                var row = trace.Y.AsSpan((t * batch + b) * 40, 40).ToArray();
                bool expectNaN = b == 1 && t >= 1;
                Assert.That(row.All(float.IsNaN), Is.EqualTo(expectNaN), $"t={t} b={b}");
                if (!expectNaN)
                    Assert.That(row.All(float.IsFinite), $"t={t} b={b}");
            }
        var grads = CpuRnn.Backward(trace, new float[trace.Y.Length], trace.Yh, []);
        Assert.That(grads.DX.AsSpan(0, 5).ToArray().Any(float.IsNaN), Is.False, "row 0's gradient stays finite");

        using var session = new CpuRnnModel([wf]).CreateSession(batch, steps, threads);
        var y = new float[trace.Y.Length];
        session.Run(x, steps, batch, y);
        Assert.That(y.AsSpan((3 * batch + 1) * 40, 40).ToArray().All(float.IsNaN));
        Assert.That(y.AsSpan((3 * batch + 2) * 40, 40).ToArray().All(float.IsFinite));
    }

    [Test]
    public void DetectedWidthFollowsTheRuntimeSwitches()
    {
        bool Off(string name) => Environment.GetEnvironmentVariable("DOTNET_" + name) == "0";
        if (Off("EnableAVX2") || Off("EnableAVX") || Off("EnableFMA") || Off("EnableHWIntrinsic"))
            Assert.That(CpuKernels.Detected, Is.EqualTo(KernelWidth.Scalar));
        else if (Off("EnableAVX512"))
        {
            // The switch must really hide AVX-512 (the old EnableAVX512F knob is ignored by .NET 10), and the
            // Vector256 path must then run wherever the hardware has AVX2.
            Assert.That(Vector512.IsHardwareAccelerated, Is.False, "DOTNET_EnableAVX512=0 did not hide AVX-512");
            Assert.That(CpuKernels.Detected, Is.EqualTo(Avx2.IsSupported && Fma.IsSupported ? KernelWidth.Vector256 : KernelWidth.Scalar));
        }
        TestContext.Out.WriteLine($"detected kernel width: {CpuKernels.Detected}");
        Assert.That(CpuRnn.ActiveWidth, Is.EqualTo(CpuKernels.Detected));
    }

    [TestCase(0)]
    [TestCase(-3)]
    public void ThreadCountBelowOneIsRefusedWhereItIsGiven(int threads)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _ = new CpuRnnOptions { Threads = threads });
        Assert.That(e!.Message, Does.Contain($"threads must be at least 1, got {threads}"));
        Assert.That(new CpuRnnOptions { Threads = 1 }.Threads, Is.EqualTo(1));
    }

    /// <summary>
    /// LayerWeights.Directions is writable: a direction of another shape put into it is refused where the weights are
    /// packed (it was read out of range when smaller, and packed with the wrong strides when larger).
    /// </summary>
    [TestCase(true)]
    [TestCase(false)]
    public void LayerWeightsWithADirectionOfAnotherShapeAreRefusedBeforePacking(bool smaller)
    {
        var layer = new LayerWeights<float>(new RnnLayerOptions(RnnCellType.Lstm, 5, 8, RnnDirection.Bidirectional)).Randomize(new Random(1), 0.3);
        layer.Directions[1] = smaller ? new DirectionWeights<float>(4, 3, 6, false) : new DirectionWeights<float>(4, 9, 16, false);
        string expected = $"direction 1's W must hold [4*hidden_size, input_size] = [32, 5] = 160 elements for the layer's options, got {(smaller ? 72 : 576)}";
        Assert.Multiple(() =>
        {
            Assert.That(() => layer.Validate(), Throws.ArgumentException.With.Message.EqualTo(expected));
            Assert.That(() => new CpuRnnModel([layer]), Throws.ArgumentException.With.Message.EqualTo(expected));
            Assert.That(() => CpuRnn.Forward(layer, new float[2 * 5], 2, 1, [], [], []), Throws.ArgumentException.With.Message.EqualTo(expected));
            using var engine = new CpuPackedLayerEngine(CpuPrecision.Int8);
            Assert.That(() => engine.Add(layer), Throws.ArgumentException.With.Message.EqualTo(expected));
        });
    }

    [Test]
    public void LayerWeightsValidateEveryArrayOfEveryDirection()
    {
        var options = new RnnLayerOptions(RnnCellType.Lstm, 3, 4) { HasPeepholes = true };
        var layer = new LayerWeights<float>(options);
        Assert.DoesNotThrow(layer.Validate);
        // Same W and R, but no peepholes where the options have them.
        layer.Directions[0] = new DirectionWeights<float>(4, 3, 4, peepholes: false);
        Assert.That(layer.Validate, Throws.ArgumentException.With.Message.Contains("direction 0 has no peepholes P"));
        // Peepholes where the options have none: the CPU engine would apply them.
        var plain = new LayerWeights<float>(new RnnLayerOptions(RnnCellType.Lstm, 3, 4));
        plain.Directions[0] = new DirectionWeights<float>(4, 3, 4, peepholes: true);
        Assert.That(() => new CpuRnnModel([plain]), Throws.ArgumentException.With.Message.Contains("peepholes P of 12 elements"));
        // GRU gates: an LSTM-shaped direction (4 gates) in a GRU layer (3 gates).
        var gru = new LayerWeights<float>(new RnnLayerOptions(RnnCellType.Gru, 3, 4));
        gru.Directions[0] = new DirectionWeights<float>(4, 3, 4, false);
        Assert.That(() => new CpuRnnModel([gru]), Throws.ArgumentException.With.Message.EqualTo(
            "direction 0's W must hold [3*hidden_size, input_size] = [12, 3] = 36 elements for the layer's options, got 48"));
        gru.Directions[0] = null!;
        Assert.That(gru.Validate, Throws.ArgumentException.With.Message.EqualTo("direction 0 of the layer has no weights (null)"));
    }
}

using LstmNative.Cpu;
using LstmNative.Cpu.Kernels;
using LstmNative.Model;
using NUnit.Framework;
using static LstmNative.Tests.Cpu.CpuTestSupport;

namespace LstmNative.Tests.Cpu;

/// <summary>
/// The fused int8 forward (batch 1, one worker: the input projection of the next block of steps runs inside each step's
/// recurrent product, LayerExecutor.Fused.cs) gives the unfused forward's results bit for bit, LSTM and GRU (both
/// linear_before_reset settings), on odd sizes, both directions, short sequences, dynamic and static scales, runs and
/// streaming steps.
/// </summary>
[NonParallelizable] // switches LayerExecutor.FusedInt8Enabled
public class FusedInt8Tests
{
    [TearDown]
    public void Restore() => LayerExecutor.FusedInt8Enabled = true;

    private static void RequireFused()
    {
        if (!NativeCpu.Int8Fused)
            Assert.Ignore($"the fused native int8 product is not active here: {NativeCpu.Status}");
    }

    public static IEnumerable<TestCaseData> Layers()
    {
        foreach (var c in Cells(RnnCellType.Lstm))
            yield return c;
        foreach (var c in Cells(RnnCellType.Gru))
            yield return c;
    }

    private static IEnumerable<TestCaseData> Cells(RnnCellType cell)
    {
        string name = cell.ToString().ToUpperInvariant();
        foreach (var c in Shapes())
            yield return new TestCaseData([cell, .. c.Arguments]).SetArgDisplayNames($"{name} {c.TestName}");
    }

    private static IEnumerable<TestCaseData> Shapes()
    {
        // (input, hidden, steps, direction, peepholes, static): steps around the block of 8, W longer and shorter than R.
        // peepholes: LSTM peepholes; GRU linear_before_reset = 0 (two-phase: the n product runs on r ⊙ h).
        yield return new TestCaseData(1, 1, 1, RnnDirection.Forward, false, false) { TestName = "I=1 H=1 T=1" };
        yield return new TestCaseData(7, 5, 9, RnnDirection.Forward, false, false) { TestName = "I=7 H=5 T=9" };
        yield return new TestCaseData(130, 33, 8, RnnDirection.Reverse, true, false) { TestName = "I=130 H=33 T=8 reverse, peepholes / two-phase" };
        yield return new TestCaseData(64, 100, 30, RnnDirection.Bidirectional, false, false) { TestName = "I=64 H=100 T=30 bidirectional" };
        yield return new TestCaseData(19, 64, 17, RnnDirection.Forward, false, true) { TestName = "I=19 H=64 T=17 static" };
        yield return new TestCaseData(256, 257, 25, RnnDirection.Bidirectional, true, true) { TestName = "I=256 H=257 T=25 bidirectional static, peepholes / two-phase" };
    }

    [TestCaseSource(nameof(Layers))]
    public void FusedForwardEqualsTheUnfusedOneBitForBit(RnnCellType cell, int input, int hidden, int steps, RnnDirection direction, bool peepholes, bool isStatic)
    {
        RequireFused();
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var options = cell == RnnCellType.Lstm
            ? new RnnLayerOptions(cell, input, hidden, direction) { HasPeepholes = peepholes, Clip = 4f }
            : new RnnLayerOptions(cell, input, hidden, direction) { LinearBeforeReset = !peepholes, Clip = 4f };
        var layer = new LayerWeights<float>(options).Randomize(rng, 1.0 / Math.Sqrt(hidden));
        var x = RandomFloats(rng, steps * input, 1);
        var model = isStatic ? new CpuRnnModel([layer], Calibrate(layer, rng, steps)) : new CpuRnnModel([layer], CpuPrecision.Int8);
        foreach (int length in new[] { steps, Math.Max(0, steps - rng.Next(1, 10)) })
        {
            var (y, hn, cn) = Run(model, x, steps, length, fused: true, out long walks);
            Assert.That(walks, Is.EqualTo(length == 0 ? 0 : layer.Options.DirectionCount), "every direction's walk took the fused forward");
            var (y0, hn0, cn0) = Run(model, x, steps, length, fused: false, out long unfusedWalks);
            Assert.That(unfusedWalks, Is.Zero);
            Assert.That(y, Is.EqualTo(y0), $"Y, length {length}");
            Assert.That(hn, Is.EqualTo(hn0), $"Y_h, length {length}");
            Assert.That(cn, Is.EqualTo(cn0), $"Y_c, length {length}");
        }
    }

    [Test]
    public void StreamingStepsAndBatchesOfTwoAreUnchanged()
    {
        RequireFused();
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var layer = new LayerWeights<float>(new RnnLayerOptions(RnnCellType.Lstm, 40, 72)).Randomize(rng, 0.15);
        var model = new CpuRnnModel([layer], CpuPrecision.Int8);
        var x = RandomFloats(rng, 12 * 2 * 40, 1);
        (float[] Batch, float[] Steps) Results(bool fused)
        {
            LayerExecutor.FusedInt8Enabled = fused;
            using var session = model.CreateSession(2, 12, threads: 1);
            var y = new float[12 * 2 * 72];
            session.Run(x, 12, 2, y); // batch 2: not fused
            using var stream = model.CreateSession(1, 1, threads: 1);
            var steps = new float[3 * 72];
            for (int t = 0; t < 3; t++)
                stream.Step(x.AsSpan(t * 40, 40), 1, steps.AsSpan(t * 72, 72)); // one step a call: the first block only
            return (y, steps);
        }
        var (batch, steps) = Results(fused: true);
        var (batch0, steps0) = Results(fused: false);
        Assert.That(batch, Is.EqualTo(batch0), "batch of two");
        Assert.That(steps, Is.EqualTo(steps0), "streaming steps");
    }

    private static (float[] Y, float[] Hn, float[] Cn) Run(CpuRnnModel model, float[] x, int steps, int length, bool fused, out long walks)
    {
        LayerExecutor.FusedInt8Enabled = fused;
        var o = model.Plans[0].Options;
        using var session = model.CreateSession(1, steps, threads: 1);
        var y = new float[steps * o.DirectionCount * o.HiddenSize];
        var hn = new float[o.DirectionCount * o.HiddenSize];
        var cn = new float[o.Cell == RnnCellType.Lstm ? hn.Length : 0];
        long before = Interlocked.Read(ref LayerExecutor.FusedWalks);
        session.Run(x, steps, 1, y, hn, cn, [length]);
        walks = Interlocked.Read(ref LayerExecutor.FusedWalks) - before;
        return (y, hn, cn);
    }

    private static Int8Calibration Calibrate(LayerWeights<float> layer, Random rng, int steps)
    {
        using var calibrator = new Int8Calibrator([layer], 3, steps);
        calibrator.Observe(RandomFloats(rng, steps * 3 * layer.Options.InputSize, 1), steps, 3);
        return calibrator.ToCalibration();
    }
}

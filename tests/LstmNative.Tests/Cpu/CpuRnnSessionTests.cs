using LstmNative.Cpu;
using LstmNative.Model;
using LstmNative.Reference;
using NUnit.Framework;
using static LstmNative.Tests.Cpu.CpuTestSupport;

namespace LstmNative.Tests.Cpu;

/// <summary>The inference session: stacked layers against the reference, streaming, zero allocation, concurrency.</summary>
public class CpuRnnSessionTests
{
    private static List<LayerWeights<float>> RandomStack(Random rng, RnnCellType cell, int layers, int inSize, int hidden, RnnDirection dir, bool variant)
    {
        var result = new List<LayerWeights<float>>();
        int input = inSize;
        for (int l = 0; l < layers; l++)
        {
            var o = new RnnLayerOptions(cell, input, hidden, dir)
            {
                HasPeepholes = cell == RnnCellType.Lstm && variant,
                LinearBeforeReset = cell == RnnCellType.Gru && variant,
            };
            result.Add(new LayerWeights<float>(o).Randomize(rng, 1.5 / Math.Sqrt(input + hidden)));
            input = o.DirectionCount * hidden;
        }
        return result;
    }

    /// <summary>The reference run through a stack: Y of layer l, re-laid out [T, B, D·H], feeds layer l + 1.</summary>
    private static (double[] y, double[] yh, double[] yc) ReferenceStack(List<LayerWeights<float>> layers, float[] x, int steps, int batch, int[] lengths)
    {
        double[] input = ToDoubles(x);
        var yh = new List<double>();
        var yc = new List<double>();
        double[] y = [];
        foreach (var lw in layers)
        {
            var tr = ReferenceRnn.Forward<double>(lw.Convert<double>(), input, steps, batch, lengths, [], []);
            int dirs = lw.Options.DirectionCount, h = lw.Options.HiddenSize;
            yh.AddRange(tr.Yh);
            yc.AddRange(lw.Options.Cell == RnnCellType.Lstm ? tr.Yc : new double[dirs * batch * h]);
            y = tr.Y;
            input = new double[steps * batch * dirs * h];
            for (int t = 0; t < steps; t++)
                for (int d = 0; d < dirs; d++)
                    for (int b = 0; b < batch; b++)
                        Array.Copy(tr.Y, ((t * dirs + d) * batch + b) * h, input, (t * batch + b) * dirs * h + d * h, h);
        }
        return (y, yh.ToArray(), yc.ToArray());
    }

    [TestCase(RnnCellType.Lstm, 1, RnnDirection.Forward, 1)]
    [TestCase(RnnCellType.Lstm, 2, RnnDirection.Bidirectional, 2)]
    [TestCase(RnnCellType.Gru, 2, RnnDirection.Forward, 2)]
    [TestCase(RnnCellType.Gru, 2, RnnDirection.Reverse, 1)]
    public void RunMatchesReferenceStack(RnnCellType cell, int layers, RnnDirection dir, int threads)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        int inSize = rng.Next(1, 40), hidden = new[] { 1, 7, 17, 33, 64 }[rng.Next(5)], steps = rng.Next(1, 7), batch = rng.Next(1, 9);
        var stack = RandomStack(rng, cell, layers, inSize, hidden, dir, rng.Next(2) == 0);
        var x = RandomFloats(rng, steps * batch * inSize, 1);
        var lengths = Enumerable.Range(0, batch).Select(_ => rng.Next(0, steps + 1)).ToArray();
        var model = new CpuRnnModel(stack);
        using var session = model.CreateSession(batch + 3, steps + 2, threads);
        int dirs = stack[^1].Options.DirectionCount;
        var y = new float[steps * dirs * batch * hidden];
        int state = layers * dirs * batch * hidden;
        var yh = new float[state];
        var yc = new float[state];
        session.Run(x, steps, batch, y, yh, cell == RnnCellType.Lstm ? yc : default, lengths);
        var (ey, eyh, eyc) = ReferenceStack(stack, x, steps, batch, lengths);
        var failures = Compare("Y", y, ey, RelativeTolerance, out _);
        failures.AddRange(Compare("Yh", yh, eyh, RelativeTolerance, out _));
        if (cell == RnnCellType.Lstm)
            failures.AddRange(Compare("Yc", yc, eyc, RelativeTolerance, out _));
        Assert.That(failures, Is.Empty, $"I={inSize} H={hidden} T={steps} B={batch}");
    }

    [TestCase(RnnCellType.Lstm, 1)]
    [TestCase(RnnCellType.Gru, 2)]
    public void StepContinuesLikeRun(RnnCellType cell, int threads)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        int inSize = 13, hidden = 33, steps = 6, batch = 3;
        var stack = RandomStack(rng, cell, 2, inSize, hidden, RnnDirection.Forward, true);
        var x = RandomFloats(rng, steps * batch * inSize, 1);
        var model = new CpuRnnModel(stack);
        using var session = model.CreateSession(batch, steps, threads);
        var y = new float[steps * batch * hidden];
        session.Run(x, steps, batch, y);
        var (ey, _, _) = ReferenceStack(stack, x, steps, batch, []);

        // Stream the same sequence: Run(prefix) then Step the rest, and Step from a reset state.
        var streamed = new float[steps * batch * hidden];
        session.Run(x.AsSpan(0, 2 * batch * inSize), 2, batch, streamed.AsSpan(0, 2 * batch * hidden));
        for (int t = 2; t < steps; t++)
            session.Step(x.AsSpan(t * batch * inSize, batch * inSize), batch, streamed.AsSpan(t * batch * hidden, batch * hidden));
        Assert.That(Compare("Run+Step", streamed, ey, RelativeTolerance, out _), Is.Empty);

        session.Reset();
        for (int t = 0; t < steps; t++)
            session.Step(x.AsSpan(t * batch * inSize, batch * inSize), batch, streamed.AsSpan(t * batch * hidden, batch * hidden));
        Assert.That(Compare("Reset+Step", streamed, ey, RelativeTolerance, out _), Is.Empty);
    }

    [TestCase(1)]
    [TestCase(2)]
    public void RunAndStepAllocateNothingInSteadyState(int threads)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var stack = RandomStack(rng, RnnCellType.Lstm, 2, 32, 64, RnnDirection.Forward, false);
        var model = new CpuRnnModel(stack);
        using var session = model.CreateSession(4, 10, threads);
        var x = RandomFloats(rng, 10 * 4 * 32, 1);
        var y = new float[10 * 4 * 64];
        var yh = new float[2 * 4 * 64];
        var yc = new float[2 * 4 * 64];
        int[] lengths = [10, 3, 7, 0];
        var step = new float[4 * 64];
        // The calling thread's counter: the process-wide one also counts the test platform's own background threads.
        // The pool's workers run preallocated jobs and allocate nothing per call by construction.
        long allocated = SteadyStateAllocation(() =>
        {
            for (int i = 0; i < 20; i++)
            {
                session.Run(x, 10, 4, y, yh, yc, lengths);
                session.Step(x.AsSpan(0, 4 * 32), 4, step);
                session.Reset();
            }
        });
        Assert.That(allocated, Is.Zero, "bytes allocated by 20 x (Run + Step + Reset)");
    }

    [Test]
    public void SteadyStateAllocationSeesAnAllocationThatRepeats()
    {
        // The allocation tests take the fewest bytes of several runs; an allocation in every run must still show.
        var keep = new List<byte[]>();
        Assert.That(SteadyStateAllocation(() => keep.Add(new byte[100])), Is.GreaterThanOrEqualTo(100));
        Assert.That(SteadyStateAllocation(() => { }), Is.Zero);
    }

    [Test]
    public void SessionsOnOneModelRunConcurrently()
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var stack = RandomStack(rng, RnnCellType.Gru, 2, 24, 40, RnnDirection.Bidirectional, true);
        var model = new CpuRnnModel(stack);
        const int steps = 8, batch = 5;
        var inputs = Enumerable.Range(0, 4).Select(_ => RandomFloats(rng, steps * batch * 24, 1)).ToArray();
        var expected = inputs.Select(x =>
        {
            using var s = model.CreateSession(batch, steps);
            var y = new float[steps * 2 * batch * 40];
            s.Run(x, steps, batch, y);
            return y;
        }).ToArray();
        var results = new float[inputs.Length][];
        Parallel.For(0, inputs.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            using var s = model.CreateSession(batch, steps, threads: 1 + i % 2);
            var y = new float[steps * 2 * batch * 40];
            for (int rep = 0; rep < 10; rep++)
                s.Run(inputs[i], steps, batch, y);
            results[i] = y;
        });
        for (int i = 0; i < inputs.Length; i++)
            Assert.That(Compare($"session {i}", results[i], ToDoubles(expected[i]), 1e-6, out _), Is.Empty);
    }

    [Test]
    public void StepRejectsReverseModelsAndLimitsAreChecked()
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var model = new CpuRnnModel(RandomStack(rng, RnnCellType.Lstm, 1, 3, 4, RnnDirection.Bidirectional, false));
        using var session = model.CreateSession(2, 5);
        Assert.That(() => session.Step(new float[3], 1, new float[4]), Throws.InvalidOperationException.With.Message.Contains("forward-only"));
        Assert.That(() => session.Run(new float[6 * 1 * 3], 6, 1, default), Throws.ArgumentException.With.Message.Contains("maximum sequence length 5"));
        Assert.That(() => session.Run(new float[1 * 3 * 3], 1, 3, default), Throws.ArgumentException.With.Message.Contains("maximum batch 2"));
        Assert.That(() => session.Run(new float[7], 1, 2, default), Throws.ArgumentException.With.Message.EqualTo("input must hold [T=1, B=2, I=3] = 6 elements, got 7"));
        Assert.That(() => new CpuRnnModel([new LayerWeights<float>(new RnnLayerOptions(RnnCellType.Gru, 3, 4)), new LayerWeights<float>(new RnnLayerOptions(RnnCellType.Gru, 5, 4))]),
            Throws.ArgumentException.With.Message.Contains("layer 1 has input size 5"));
    }
}

using LstmNative.Cpu;
using LstmNative.Cpu.Kernels;
using LstmNative.Model;
using LstmNative.Reference;
using NUnit.Framework;
using static LstmNative.Tests.Cpu.CpuTestSupport;

namespace LstmNative.Tests.Cpu;

/// <summary>
/// The CPU engine against the float64 reference, forward and backward, for every cell variant, direction, width
/// (scalar, Vector256, Vector512) and 1 or 2 threads, on random shapes that include sizes that are not multiples of
/// any vector width.
/// </summary>
public class CpuEngineTests
{
    public enum Variant { Plain, Peepholes, InputForgetClip, LinearBeforeReset, Clip, Activations }

    private static readonly int[] OddSizes = [1, 7, 17, 31, 33];

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var width in Widths())
            foreach (var cell in new[] { RnnCellType.Lstm, RnnCellType.Gru })
                foreach (var dir in new[] { RnnDirection.Forward, RnnDirection.Reverse, RnnDirection.Bidirectional })
                    foreach (var variant in cell == RnnCellType.Lstm
                        ? new[] { Variant.Plain, Variant.Peepholes, Variant.InputForgetClip, Variant.Activations }
                        : new[] { Variant.Plain, Variant.LinearBeforeReset, Variant.Clip, Variant.Activations })
                        foreach (var (threads, split) in new[] { (1, Split.Units), (2, Split.Units), (2, Split.UnitsStatic), (2, Split.Rows) })
                            yield return new TestCaseData(width, cell, dir, variant, threads, split)
                                .SetArgDisplayNames($"{width} {cell} {dir} {variant} threads={threads}{(threads > 1 ? $" by {split}" : "")}");
    }

    /// <summary>
    /// How two workers share the recurrence: unit blocks (small batches; the forward claims chunks of them), unit blocks
    /// split once per call (the static split the forward used before claims, still the backward's), or batch rows.
    /// </summary>
    public enum Split { Units, Rows, UnitsStatic }

    [TestCaseSource(nameof(Cases))]
    public void ForwardAndBackwardMatchReference(KernelWidth width, RnnCellType cell, RnnDirection dir, Variant variant, int threads, Split split)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        bool slow = width == KernelWidth.Vector512 && CpuKernels.Detected < KernelWidth.Vector512;
        int inSize = OddSizes[rng.Next(OddSizes.Length)], hidden = OddSizes[rng.Next(OddSizes.Length)];
        int steps = rng.Next(1, slow ? 4 : 6), batch = rng.Next(split == Split.Rows ? 2 : 1, slow ? 4 : 8);
        using (SplitBy(split))
            RunCase(rng, width, cell, dir, variant, threads, inSize, hidden, steps, batch, seqLens: rng.Next(2) == 0, init: rng.Next(2) == 0);
    }

    /// <summary>Makes two workers split small batches by rows (production sizes do from 16 rows per worker).</summary>
    internal static IDisposable SplitBy(Split split)
    {
        var saved = (LayerExecutor.MinRowsPerWorkerForBatchSplit, LayerExecutor.ClaimedForwardEnabled);
        LayerExecutor.MinRowsPerWorkerForBatchSplit = split == Split.Rows ? 1 : int.MaxValue;
        LayerExecutor.ClaimedForwardEnabled = split != Split.UnitsStatic;
        return new Restore(() => (LayerExecutor.MinRowsPerWorkerForBatchSplit, LayerExecutor.ClaimedForwardEnabled) = saved);
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }

    public static IEnumerable<TestCaseData> LargeCases()
    {
        foreach (var width in Widths().Where(w => w <= CpuKernels.Detected))
            foreach (var cell in new[] { RnnCellType.Lstm, RnnCellType.Gru })
                foreach (int hidden in new[] { 255, 257 })
                    // Bidirectional on two workers runs one direction per worker; unidirectional splits units or rows.
                    foreach (var (dir, split) in new[] { (RnnDirection.Bidirectional, Split.Units), (RnnDirection.Forward, Split.Units), (RnnDirection.Forward, Split.Rows) })
                        yield return new TestCaseData(width, cell, hidden, dir, split).SetArgDisplayNames($"{width} {cell} H={hidden} {dir} by {split}");
    }

    [TestCaseSource(nameof(LargeCases))]
    public void LargeHiddenSizesMatchReference(KernelWidth width, RnnCellType cell, int hidden, RnnDirection dir, Split split)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var variant = cell == RnnCellType.Lstm ? Variant.Peepholes : Variant.Plain;
        using (SplitBy(split))
            RunCase(rng, width, cell, dir, variant, 2, inSize: rng.Next(1, 40), hidden, steps: 3, batch: 9, seqLens: true, init: true);
    }

    internal static void RunCase(Random rng, KernelWidth width, RnnCellType cell, RnnDirection dir, Variant variant, int threads,
        int inSize, int hidden, int steps, int batch, bool seqLens, bool init)
    {
        var options = new RnnLayerOptions(cell, inSize, hidden, dir)
        {
            HasPeepholes = variant is Variant.Peepholes,
            InputForget = variant == Variant.InputForgetClip,
            LinearBeforeReset = variant == Variant.LinearBeforeReset || (variant == Variant.Clip && rng.Next(2) == 0),
            Clip = variant is Variant.InputForgetClip or Variant.Clip ? 0.6 : null,
        };
        if (variant == Variant.Activations)
        {
            var acts = new List<Activation>();
            for (int d = 0; d < options.DirectionCount; d++)
                acts.AddRange(cell == RnnCellType.Lstm
                    ? [Activation.Parse("HardSigmoid", 0.3, 0.4), Activation.Parse("ScaledTanh", 1.3, 0.7), Activation.Parse("Softsign")]
                    : [Activation.Parse("Sigmoid"), Activation.Parse("Elu", 0.9)]);
            options = options with { Activations = acts };
        }
        // Clip and piecewise activations have kinks where the derivative jumps. A float32 pre-activation within rounding
        // distance of a kink can land on the other side than the float64 reference's, and that element's gradient then
        // differs by design, not by a bug: such draws are redrawn (a handful of tries; the test fails if none is clean).
        double[] kinks = KinkPoints(options);
        LayerWeights<float> wf = null!;
        float[] x = [], h0 = [], c0 = [], dy = [], dyh = [], dyc = [];
        int[] lengths = [];
        LayerTrace<double> expected = null!;
        int dirs = options.DirectionCount;
        for (int attempt = 0; ; attempt++)
        {
            double scale = 1.0 / Math.Sqrt(hidden + inSize) * 2;
            wf = new LayerWeights<float>(options).Randomize(rng, scale);
            var wd = wf.Convert<double>();
            x = RandomFloats(rng, steps * batch * inSize, 1.0);
            lengths = seqLens ? Enumerable.Range(0, batch).Select(_ => rng.Next(0, steps + 1)).ToArray() : [];
            if (seqLens)
                lengths[0] = steps;
            h0 = init ? RandomFloats(rng, dirs * batch * hidden, 1) : [];
            c0 = init && cell == RnnCellType.Lstm ? RandomFloats(rng, dirs * batch * hidden, 1) : [];
            dy = RandomFloats(rng, steps * dirs * batch * hidden, 1);
            dyh = RandomFloats(rng, dirs * batch * hidden, 1);
            dyc = cell == RnnCellType.Lstm ? RandomFloats(rng, dirs * batch * hidden, 1) : [];
            expected = ReferenceRnn.Forward<double>(wd, ToDoubles(x), steps, batch, lengths, ToDoubles(h0), ToDoubles(c0));
            // Exact zeros are the slots of steps past a row's end, which no step computed.
            if (kinks.Length == 0 || !expected.PreActivations.Any(a => a != 0 && kinks.Any(k => Math.Abs(a - k) < 1e-4 * Math.Max(1, Math.Abs(k)))))
                break;
            Assert.That(attempt, Is.LessThan(20), "no random case without a pre-activation at a kink");
        }
        var expectedGrads = ReferenceRnn.Backward<double>(expected, ToDoubles(dy), ToDoubles(dyh), ToDoubles(dyc));
        var trace = CpuRnn.Forward(wf, x, steps, batch, lengths, h0, c0, Options(width, threads));
        var grads = CpuRnn.Backward(trace, dy, dyh, dyc);

        var failures = new List<string>();
        double worst = 0;
        void Check(string name, float[] a, double[] e)
        {
            failures.AddRange(Compare(name, a, e, RelativeTolerance, out double w));
            worst = Math.Max(worst, w);
        }
        Check("Y", trace.Y, expected.Y);
        Check("Yh", trace.Yh, expected.Yh);
        Check("Yc", trace.Yc, expected.Yc);
        Check("dX", grads.DX, expectedGrads.DX);
        Check("dH0", grads.DH0, expectedGrads.DH0);
        Check("dC0", grads.DC0, expectedGrads.DC0);
        string[] names = ["W", "R", "Bw", "Br", "P"];
        for (int d = 0; d < dirs; d++)
        {
            var a = grads.Weights.Directions[d].Parameters().ToArray();
            var e = expectedGrads.Weights.Directions[d].Parameters().ToArray();
            for (int p = 0; p < a.Length; p++)
                Check($"d{names[p]}[{d}]", a[p], e[p]);
        }
        TestContext.Out.WriteLine($"I={inSize} H={hidden} T={steps} B={batch} lens=[{string.Join(",", lengths)}] worst rel err {worst:E2}");
        Assert.That(failures, Is.Empty, $"I={inSize} H={hidden} T={steps} B={batch} lens=[{string.Join(",", lengths)}]");
    }

    /// <summary>Pre-activation values where the layer's derivative jumps: ±clip, and the corners of piecewise activations.</summary>
    private static double[] KinkPoints(RnnLayerOptions o)
    {
        var points = new List<double>();
        if (o.Clip is { } c)
            points.AddRange([c, -c]);
        for (int d = 0; d < o.DirectionCount; d++)
            for (int k = 0; k < o.ActivationsPerDirection; k++)
            {
                var a = o.GetActivation(d, k);
                switch (a.Kind)
                {
                    case ActivationKind.HardSigmoid:
                        points.AddRange([-a.Beta / a.Alpha, (1 - a.Beta) / a.Alpha]);
                        break;
                    case ActivationKind.Relu or ActivationKind.LeakyRelu or ActivationKind.Elu:
                        points.Add(0);
                        break;
                    case ActivationKind.ThresholdedRelu:
                        points.Add(a.Alpha);
                        break;
                }
            }
        return points.ToArray();
    }
}

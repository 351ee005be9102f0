using LstmNative.Model;
using LstmNative.Reference;
using NUnit.Framework;

namespace LstmNative.Tests.Reference;

/// <summary>
/// Finite-difference checks (float64, central differences) of the reference backward pass: every gradient the
/// engine returns (inputs, initial states, W, R, both biases, peepholes) against the numerical derivative of a
/// random linear functional of all outputs.
/// </summary>
public class GradientCheckTests
{
    private const double Eps = 1e-6;
    private const double Tolerance = 1e-6;

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var cell in new[] { RnnCellType.Lstm, RnnCellType.Gru })
            foreach (var dir in new[] { RnnDirection.Forward, RnnDirection.Reverse, RnnDirection.Bidirectional })
                foreach (bool seqLens in new[] { false, true })
                    foreach (bool init in new[] { false, true })
                    {
                        if (cell == RnnCellType.Lstm)
                        {
                            yield return new TestCaseData(cell, dir, seqLens, init, Variant.Plain).SetArgDisplayNames($"{cell} {dir} lens={seqLens} init={init}");
                            yield return new TestCaseData(cell, dir, seqLens, init, Variant.Peepholes).SetArgDisplayNames($"{cell} {dir} lens={seqLens} init={init} peepholes");
                            yield return new TestCaseData(cell, dir, seqLens, init, Variant.Projection).SetArgDisplayNames($"{cell} {dir} lens={seqLens} init={init} projection");
                        }
                        else
                        {
                            yield return new TestCaseData(cell, dir, seqLens, init, Variant.Plain).SetArgDisplayNames($"{cell} {dir} lens={seqLens} init={init} lbr=0");
                            yield return new TestCaseData(cell, dir, seqLens, init, Variant.LinearBeforeReset).SetArgDisplayNames($"{cell} {dir} lens={seqLens} init={init} lbr=1");
                        }
                    }
        yield return new TestCaseData(RnnCellType.Lstm, RnnDirection.Bidirectional, true, true, Variant.InputForgetPeepholesClip).SetArgDisplayNames("Lstm input_forget + peepholes + clip");
        yield return new TestCaseData(RnnCellType.Gru, RnnDirection.Bidirectional, true, true, Variant.Clip).SetArgDisplayNames("Gru clip");
        yield return new TestCaseData(RnnCellType.Lstm, RnnDirection.Bidirectional, true, true, Variant.ProjectionPeepholesClip).SetArgDisplayNames("Lstm projection + peepholes + clip");
        yield return new TestCaseData(RnnCellType.Lstm, RnnDirection.Forward, false, true, Variant.SmoothActivations).SetArgDisplayNames("Lstm softsign/scaledtanh/elu activations");
        yield return new TestCaseData(RnnCellType.Gru, RnnDirection.Reverse, false, true, Variant.SmoothActivations).SetArgDisplayNames("Gru hardsigmoid/softplus activations");
    }

    public enum Variant { Plain, Peepholes, LinearBeforeReset, InputForgetPeepholesClip, Clip, SmoothActivations, Projection, ProjectionPeepholesClip }

    [TestCaseSource(nameof(Cases))]
    public void BackwardMatchesFiniteDifferences(RnnCellType cell, RnnDirection dir, bool seqLens, bool init, Variant variant)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        int inSize = rng.Next(1, 4), hidden = rng.Next(1, 4), steps = rng.Next(1, 5), batch = rng.Next(1, 4);
        bool projection = variant is Variant.Projection or Variant.ProjectionPeepholesClip;
        if (projection)
            hidden = rng.Next(2, 5); // the projection must be smaller than the hidden size
        var options = new RnnLayerOptions(cell, inSize, hidden, dir)
        {
            HasPeepholes = variant is Variant.Peepholes or Variant.InputForgetPeepholesClip or Variant.ProjectionPeepholesClip,
            InputForget = variant == Variant.InputForgetPeepholesClip,
            LinearBeforeReset = variant == Variant.LinearBeforeReset,
            Clip = variant is Variant.InputForgetPeepholesClip or Variant.Clip or Variant.ProjectionPeepholesClip ? 0.7 : null,
            ProjectionSize = projection ? rng.Next(1, hidden) : 0,
        };
        int outSize = options.OutputSize;
        if (variant == Variant.SmoothActivations)
        {
            int dirs = options.DirectionCount;
            var acts = new List<Activation>();
            for (int d = 0; d < dirs; d++)
                acts.AddRange(cell == RnnCellType.Lstm
                    ? [Activation.Parse("Softsign"), Activation.Parse("ScaledTanh", 1.3, 0.7), Activation.Parse("Elu", 0.9)]
                    : [Activation.Parse("HardSigmoid", 0.3, 0.4), Activation.Parse("Softplus")]);
            options = options with { Activations = acts };
        }
        var weights = new LayerWeights<double>(options).Randomize(rng, 0.9);
        int dirCount = options.DirectionCount;
        double[] x = RandomArray(rng, steps * batch * inSize, 1.5);
        int[] lengths = seqLens ? Enumerable.Range(0, batch).Select(_ => rng.Next(0, steps + 1)).ToArray() : [];
        if (seqLens)
            lengths[0] = steps; // keep at least one full-length row
        double[] h0 = init ? RandomArray(rng, dirCount * batch * outSize, 1) : [];
        double[] c0 = init && cell == RnnCellType.Lstm ? RandomArray(rng, dirCount * batch * hidden, 1) : [];

        // L = <wy, Y> + <wh, Y_h> + <wc, Y_c>: a random linear functional of every output.
        double[] wy = RandomArray(rng, steps * dirCount * batch * outSize, 1);
        double[] wh = RandomArray(rng, dirCount * batch * outSize, 1);
        double[] wc = cell == RnnCellType.Lstm ? RandomArray(rng, dirCount * batch * hidden, 1) : [];
        double Loss()
        {
            var tr = ReferenceRnn.Forward<double>(weights, x, steps, batch, lengths, h0, c0);
            return Dot(tr.Y, wy) + Dot(tr.Yh, wh) + Dot(tr.Yc, wc);
        }

        var trace = ReferenceRnn.Forward<double>(weights, x, steps, batch, lengths, h0, c0);
        var grads = ReferenceRnn.Backward<double>(trace, wy, wh, wc);

        var failures = new List<string>();
        CheckArray("X", x, grads.DX);
        if (init)
        {
            CheckArray("initial_h", h0, grads.DH0);
            if (cell == RnnCellType.Lstm)
                CheckArray("initial_c", c0, grads.DC0);
        }
        for (int d = 0; d < dirCount; d++)
        {
            var names = new List<string> { "W", "R", "Bw", "Br" };
            if (options.HasPeepholes)
                names.Add("P");
            if (projection)
                names.Add("Whr");
            var ps = weights.Directions[d].Parameters().ToArray();
            var gs = grads.Weights.Directions[d].Parameters().ToArray();
            for (int p = 0; p < ps.Length; p++)
                CheckArray($"{names[p]}[dir {d}]", ps[p], gs[p]);
        }
        Assert.That(failures, Is.Empty, $"I={inSize} H={hidden} P={options.ProjectionSize} T={steps} B={batch} lens=[{string.Join(",", lengths)}]");

        void CheckArray(string name, double[] values, double[] analytic)
        {
            Assert.That(analytic, Has.Length.EqualTo(values.Length), name);
            for (int i = 0; i < values.Length; i++)
            {
                double saved = values[i];
                values[i] = saved + Eps;
                double up = Loss();
                values[i] = saved - Eps;
                double down = Loss();
                values[i] = saved;
                double numeric = (up - down) / (2 * Eps);
                double err = Math.Abs(numeric - analytic[i]) / Math.Max(1.0, Math.Abs(numeric) + Math.Abs(analytic[i]));
                if (err > Tolerance)
                    failures.Add($"{name}[{i}]: analytic {analytic[i]:G9}, numeric {numeric:G9}");
            }
        }
    }

    [Test]
    public void GradientCheckCanFail()
    {
        // Guards the check itself: a gradient with one wrong element must be detected by the same comparison.
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var weights = new LayerWeights<double>(new RnnLayerOptions(RnnCellType.Lstm, 2, 2)).Randomize(rng, 0.5);
        double[] x = RandomArray(rng, 3 * 1 * 2, 1);
        var trace = ReferenceRnn.Forward<double>(weights, x, 3, 1, [], [], []);
        double[] wy = RandomArray(rng, trace.Y.Length, 1);
        var grads = ReferenceRnn.Backward<double>(trace, wy, [], []);
        double saved = weights.Directions[0].R[1];
        weights.Directions[0].R[1] = saved + Eps;
        double up = Dot(ReferenceRnn.Forward<double>(weights, x, 3, 1, [], [], []).Y, wy);
        weights.Directions[0].R[1] = saved - Eps;
        double down = Dot(ReferenceRnn.Forward<double>(weights, x, 3, 1, [], [], []).Y, wy);
        double numeric = (up - down) / (2 * Eps);
        Assert.That(grads.Weights.Directions[0].R[1], Is.EqualTo(numeric).Within(1e-6));
        Assert.That(grads.Weights.Directions[0].R[1] * 1.01 + 1e-3, Is.Not.EqualTo(numeric).Within(1e-6));
    }

    internal static double[] RandomArray(Random rng, int n, double scale) =>
        Enumerable.Range(0, n).Select(_ => (rng.NextDouble() * 2 - 1) * scale).ToArray();

    private static double Dot(double[] a, double[] b)
    {
        if (b.Length == 0)
            return 0;
        double s = 0;
        for (int i = 0; i < a.Length; i++)
            s += a[i] * b[i];
        return s;
    }
}

using LstmNative.Training;
using LstmNative.Training.Losses;
using NUnit.Framework;
using static LstmNative.Tests.Training.GradientCheck;

namespace LstmNative.Tests.Training;

public class LossTests
{
    private static IEnumerable<TestCaseData> PointwiseLosses()
    {
        foreach (var r in new[] { Reduction.Mean, Reduction.Sum })
        {
            yield return new TestCaseData(new MseLoss<double>(r), r).SetArgDisplayNames("MSE", r.ToString());
            yield return new TestCaseData(new L1Loss<double>(r), r).SetArgDisplayNames("L1", r.ToString());
            yield return new TestCaseData(new HuberLoss<double>(0.3, r), r).SetArgDisplayNames("Huber 0.3", r.ToString());
        }
    }

    [TestCaseSource(nameof(PointwiseLosses))]
    public void PointwiseGradientsMatchFiniteDifferences(ILoss<double> loss, Reduction reduction)
    {
        var rng = NewRandom(out int seed);
        int n = rng.Next(1, 5), k = rng.Next(1, 5);
        var prediction = RandomTensor(rng, n, k);
        var target = RandomTensor(rng, n * k);
        // Keep residuals off the kinks (0 for L1, ±delta for Huber).
        for (int i = 0; i < prediction.Length; i++)
        {
            double d = prediction.Data[i] - target.Data[i];
            if (Math.Abs(d) < 0.01 || Math.Abs(Math.Abs(d) - 0.3) < 0.01)
                prediction.Data[i] += 0.05;
        }
        CheckLoss(() => loss.Forward(prediction, target), loss.Backward, prediction, $"seed {seed} {reduction}");
    }

    [TestCase(Reduction.Mean)]
    [TestCase(Reduction.Sum)]
    public void CrossEntropyGradientMatchesFiniteDifferences(Reduction reduction)
    {
        var rng = NewRandom(out int seed);
        int n = rng.Next(1, 5), c = rng.Next(1, 5);
        var logits = RandomTensor(rng, n, c);
        var targets = Enumerable.Range(0, n).Select(_ => rng.Next(c)).ToArray();
        var loss = new CrossEntropyLoss<double>(reduction);
        CheckLoss(() => loss.Forward(logits, targets), loss.Backward, logits, $"seed {seed}");
    }

    [TestCase(Reduction.Mean, 0.1)]
    [TestCase(Reduction.Sum, 0.3)]
    [TestCase(Reduction.Mean, 1.0)]
    public void CrossEntropyWithLabelSmoothingAndIgnoredTargetsMatchesFiniteDifferences(Reduction reduction, double smoothing)
    {
        var rng = NewRandom(out int seed);
        int n = rng.Next(2, 7), c = rng.Next(2, 6);
        var logits = RandomTensor(rng, n, c);
        var targets = Enumerable.Range(0, n).Select(_ => rng.Next(c)).ToArray();
        targets[rng.Next(n)] = 0;
        targets[0] = targets[0] == 0 ? 1 : targets[0]; // at least one counted sample
        var loss = new CrossEntropyLoss<double>(reduction, ignoreIndex: 0, labelSmoothing: smoothing);
        CheckLoss(() => loss.Forward(logits, targets), loss.Backward, logits, $"seed {seed} targets [{string.Join(',', targets)}]");
        loss.Forward(logits, targets);
        var grad = loss.Backward();
        for (int s = 0; s < n; s++)
            if (targets[s] == 0)
                Assert.That(grad.Data.Skip(s * c).Take(c), Is.All.Zero, "an ignored sample has no gradient");
    }

    [Test]
    public void CrossEntropyLabelSmoothingAndIgnoreIndexKnownValue()
    {
        // Sample 0: p = [0.25, 0.75], target 0, ε = 0.2: 0.8·(−ln 0.25) + 0.1·(−ln 0.25 − ln 0.75). Sample 1 is ignored,
        // so the mean is over one sample (PyTorch's ignore_index semantics).
        var logits = new Tensor<double>([0, Math.Log(3), 5, -5], 2, 2);
        var loss = new CrossEntropyLoss<double>(Reduction.Mean, ignoreIndex: -1, labelSmoothing: 0.2);
        double expected = 0.8 * -Math.Log(0.25) + 0.1 * (-Math.Log(0.25) - Math.Log(0.75));
        Assert.That(loss.Forward(logits, [0, -1]), Is.EqualTo(expected).Within(1e-12));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new CrossEntropyLoss<double>(labelSmoothing: 1.5));
        Assert.That(new CrossEntropyLoss<double>().Forward(logits, [0, 1]), Is.EqualTo((-Math.Log(0.25) + 10 + Math.Log(1 + Math.Exp(-10))) / 2).Within(1e-12));
    }

    [Test]
    public void KnownValues()
    {
        var zero = new Tensor<double>(2);
        var p = new Tensor<double>([1.0, 2.0], 2);
        var h = new Tensor<double>([0.5, -3.0], 2);
        Assert.Multiple(() =>
        {
            Assert.That(new MseLoss<double>().Forward(p, zero), Is.EqualTo(2.5));
            Assert.That(new MseLoss<double>(Reduction.Sum).Forward(p, zero), Is.EqualTo(5.0));
            Assert.That(new L1Loss<double>().Forward(h, zero), Is.EqualTo(1.75));
            // 0.5 * 0.25 = 0.125 (quadratic) and 1 * (3 - 0.5) = 2.5 (linear), mean 1.3125.
            Assert.That(new HuberLoss<double>(1.0).Forward(h, zero), Is.EqualTo(1.3125));
            Assert.That(new CrossEntropyLoss<double>().Forward(new Tensor<double>(1, 2), [0]), Is.EqualTo(Math.Log(2)).Within(1e-15));
            // Stable for large logits: log(1 + e^-1000) ~ 0.
            Assert.That(new CrossEntropyLoss<double>().Forward(new Tensor<double>([1000.0, 0.0], 1, 2), [0]), Is.EqualTo(0.0).Within(1e-300));
        });
    }

    [Test]
    public void CrossEntropyAcceptsIntegerValuedTargetTensorsAndRejectsBadTargets()
    {
        var loss = new CrossEntropyLoss<double>();
        var logits = new Tensor<double>([1.0, 2.0, 3.0, 0.5, 0.1, -1.0], 2, 3);
        double viaInts = loss.Forward(logits, [2, 0]);
        Assert.Multiple(() =>
        {
            Assert.That(loss.Forward(logits, new Tensor<double>([2.0, 0.0], 2)), Is.EqualTo(viaInts));
            Assert.Throws<ArgumentException>(() => loss.Forward(logits, [3, 0]));
            Assert.Throws<ArgumentException>(() => loss.Forward(logits, new Tensor<double>([1.5, 0.0], 2)));
        });
    }

    /// <summary>Label-smoothed cross-entropy of one row, written out plainly: −Σ_k q_k log softmax(z)_k.</summary>
    private static double NaiveRow(ReadOnlySpan<double> z, int target, double eps, Span<double> grad, double scale)
    {
        double max = double.NegativeInfinity;
        foreach (var v in z)
            max = Math.Max(max, v);
        double sum = 0;
        foreach (var v in z)
            sum += Math.Exp(v - max);
        double loss = 0;
        for (int k = 0; k < z.Length; k++)
        {
            double q = eps / z.Length + (k == target ? 1 - eps : 0);
            double logP = z[k] - max - Math.Log(sum);
            loss -= q * logP;
            grad[k] = scale * (Math.Exp(logP) - q);
        }
        return loss;
    }

    // The fused, pooled path (the translation model's loss on [tokens × vocabulary] logits) against the plain row formula:
    // sizes from 1 row / 1 class up to past the parallel threshold, float and double, ignored rows, both reductions.
    [TestCase(1, 1, Reduction.Mean, 0.0)]
    [TestCase(1, 7, Reduction.Sum, 0.1)]
    [TestCase(5, 3, Reduction.Mean, 0.2)]
    [TestCase(37, 1999, Reduction.Mean, 0.1)]
    [TestCase(97, 1031, Reduction.Sum, 0.0)]
    public void FusedForwardBackwardMatchesThePlainFormula(int n, int c, Reduction reduction, double eps)
    {
        var rng = NewRandom(out int seed);
        var logits = new double[n * c];
        for (int i = 0; i < logits.Length; i++)
            logits[i] = rng.NextDouble() * 8 - 4;
        const int ignore = -1;
        var targets = Enumerable.Range(0, n).Select(_ => rng.Next(4) == 0 && n > 1 ? ignore : rng.Next(c)).ToArray();
        int counted = targets.Count(t => t != ignore);
        double scale = reduction == Reduction.Mean ? 1.0 / counted : 1;
        var expectedGrad = new double[n * c];
        double expected = 0;
        for (int s = 0; s < n; s++)
            if (targets[s] != ignore)
                expected += NaiveRow(logits.AsSpan(s * c, c), targets[s], eps, expectedGrad.AsSpan(s * c, c), scale);
        expected *= reduction == Reduction.Mean ? 1.0 / counted : 1;

        var d = new CrossEntropyLoss<double>(reduction, ignore, eps);
        var grad = Enumerable.Repeat(double.NaN, n * c).ToArray(); // every value must be overwritten, ignored rows with 0
        double loss = d.ForwardBackward(logits, targets, grad, c, out int count);
        Assert.That(count, Is.EqualTo(counted), $"seed {seed}");
        Assert.That(loss, Is.EqualTo(expected).Within(1e-12 * Math.Max(1, Math.Abs(expected))), $"seed {seed}");
        for (int i = 0; i < grad.Length; i++)
            Assert.That(grad[i], Is.EqualTo(expectedGrad[i]).Within(1e-14), $"seed {seed}: gradient {i}");

        var f = new CrossEntropyLoss<float>(reduction, ignore, eps);
        var gradF = new float[n * c];
        double lossF = f.ForwardBackward([.. logits.Select(v => (float)v)], targets, gradF, c, out _);
        Assert.That(lossF, Is.EqualTo(expected).Within(1e-5 * Math.Max(1, Math.Abs(expected))), $"seed {seed}: float");
        for (int i = 0; i < gradF.Length; i++)
            Assert.That(gradF[i], Is.EqualTo(expectedGrad[i]).Within(1e-6), $"seed {seed}: float gradient {i}");

        // the Tensor API runs the same kernel and agrees
        Assert.That(d.Forward(new Tensor<double>(logits, n, c), targets), Is.EqualTo(loss));
        Assert.That(d.Backward().Data, Is.EqualTo(grad));
    }

    [Test]
    public void FusedForwardBackwardRejectsShortBuffersAndBadTargetsAndCountsNothingForAllIgnored()
    {
        var loss = new CrossEntropyLoss<float>(Reduction.Mean, ignoreIndex: 0, labelSmoothing: 0.1);
        Assert.Throws<ArgumentException>(() => loss.ForwardBackward(new float[5], [1, 2], new float[6], 3, out _));
        Assert.Throws<ArgumentException>(() => loss.ForwardBackward(new float[6], [1, 2], new float[5], 3, out _));
        Assert.Throws<ArgumentException>(() => loss.ForwardBackward(new float[6], [1, 3], new float[6], 3, out _));
        var grad = new float[] { 9, 9, 9, 9, 9, 9 };
        Assert.That(loss.ForwardBackward(new float[6], [0, 0], grad, 3, out int counted), Is.NaN, "PyTorch: the mean over no samples");
        Assert.That(counted, Is.Zero);
        Assert.That(grad, Is.All.Zero);
    }

    [Test]
    public void MismatchedSizesAreRejected() =>
        Assert.Throws<ArgumentException>(() => new MseLoss<double>().Forward(new Tensor<double>(2, 3), new Tensor<double>(5)));

    private static void CheckLoss(Func<double> forward, Func<Tensor<double>> backward, Tensor<double> prediction, string context)
    {
        forward();
        var grad = backward().Clone();
        for (int i = 0; i < prediction.Length; i++)
        {
            double orig = prediction.Data[i];
            prediction.Data[i] = orig + Eps;
            double plus = forward();
            prediction.Data[i] = orig - Eps;
            double minus = forward();
            prediction.Data[i] = orig;
            double numeric = (plus - minus) / (2 * Eps);
            Assert.That(RelativeError(grad.Data[i], numeric), Is.LessThan(Tolerance), $"{context}: element {i}, analytic {grad.Data[i]}, numeric {numeric}");
        }
    }
}

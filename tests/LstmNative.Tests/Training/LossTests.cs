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

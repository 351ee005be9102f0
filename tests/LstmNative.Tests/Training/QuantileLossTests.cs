using LstmNative.Training;
using LstmNative.Training.Layers;
using LstmNative.Training.Losses;
using LstmNative.Training.Optimizers;
using NUnit.Framework;

namespace LstmNative.Tests.Training;

/// <summary>The pinball loss: its value and gradient, and that heads trained with it cover at their nominal rates.</summary>
public class QuantileLossTests
{
    [Test]
    public void ValueAndGradientFollowTheDefinition()
    {
        var loss = new QuantileLoss<double>([0.1, 0.9]);
        // Target 1: prediction 0 (u = 1) and 3 (u = −2).
        double value = loss.Forward(Tensor<double>.FromDoubles([0, 3], 1, 2), Tensor<double>.FromDoubles([1], 1));
        Assert.That(value, Is.EqualTo((0.1 * 1 + (0.9 - 1) * -2) / 2).Within(1e-15));
        Assert.That(loss.Backward().Data, Is.EqualTo(new[] { -0.1 / 2, (1 - 0.9) / 2 }).Within(1e-15));
    }

    [Test]
    public void GradientMatchesFiniteDifferences()
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var loss = new QuantileLoss<double>([0.1, 0.5, 0.9], Reduction.Sum);
        var p = new Tensor<double>(4, 6);
        var t = new Tensor<double>(4, 2);
        for (int i = 0; i < p.Length; i++)
            p.Data[i] = rng.NextDouble() * 2 - 1;
        for (int i = 0; i < t.Length; i++)
            t.Data[i] = rng.NextDouble() * 2 - 1;
        loss.Forward(p, t);
        var g = loss.Backward().Clone();
        const double h = 1e-7;
        for (int i = 0; i < p.Length; i++)
        {
            double saved = p.Data[i];
            p.Data[i] = saved + h;
            double plus = loss.Forward(p, t);
            p.Data[i] = saved - h;
            double minus = loss.Forward(p, t);
            p.Data[i] = saved;
            Assert.That(g.Data[i], Is.EqualTo((plus - minus) / (2 * h)).Within(1e-6), $"element {i}");
        }
    }

    [Test]
    public void TrainedHeadsCoverAKnownDistributionAtTheirNominalRates()
    {
        // y = 2x + ε, ε ~ N(0, 0.5²): the τ-quantile of y given x is 2x + 0.5·z_τ, so heads at 10/50/90 % should
        // leave 10 %, 50 % and 90 % of fresh targets below them, and the 10–90 % band should hold 80 %.
        var rng = new Random(3);
        double[] taus = [0.1, 0.5, 0.9];
        var model = new Linear<double>(1, taus.Length, rng);
        var loss = new QuantileLoss<double>(taus);
        var optimizer = new Adam<double>(model.Parameters(), learningRate: 0.02);
        (Tensor<double> X, Tensor<double> Y) Sample(int n)
        {
            var x = new Tensor<double>(n, 1);
            var y = new Tensor<double>(n, 1);
            for (int i = 0; i < n; i++)
            {
                x.Data[i] = rng.NextDouble() * 2 - 1;
                double z = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                y.Data[i] = 2 * x.Data[i] + 0.5 * z;
            }
            return (x, y);
        }
        for (int step = 0; step < 3000; step++)
        {
            var (x, y) = Sample(64);
            optimizer.ZeroGrad();
            loss.Forward(model.Forward(x), y);
            model.Backward(loss.Backward());
            optimizer.Step();
        }
        var (xt, yt) = Sample(20000);
        var pred = model.Predict(xt);
        var below = new int[taus.Length];
        var lower = new double[yt.Length];
        var upper = new double[yt.Length];
        for (int i = 0; i < yt.Length; i++)
        {
            for (int k = 0; k < taus.Length; k++)
                if (yt.Data[i] < pred.Data[i * taus.Length + k])
                    below[k]++;
            lower[i] = pred.Data[i * taus.Length];
            upper[i] = pred.Data[i * taus.Length + 2];
        }
        for (int k = 0; k < taus.Length; k++)
            Assert.That((double)below[k] / yt.Length, Is.EqualTo(taus[k]).Within(0.03), $"share below the {taus[k]:P0} head");
        var (coverage, width) = QuantileLoss<double>.Interval(lower, upper, yt.ToDoubles());
        Assert.That(coverage, Is.EqualTo(0.8).Within(0.03));
        Assert.That(width, Is.EqualTo(2 * 1.2816 * 0.5).Within(0.15), "the 10-90 % width of N(0, 0.5²) is 1.28");
    }
}

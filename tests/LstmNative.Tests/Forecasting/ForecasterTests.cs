using LstmNative.Tests.Training;
using LstmNative.Training;
using LstmNative.Forecasting;
using LstmNative.Training.Optimizers;
using NUnit.Framework;
using static LstmNative.Tests.Training.GradientCheck;

namespace LstmNative.Tests.Forecasting;

/// <summary>The LSTM forecaster module: gradients (float64), the persistence start, cell-state tracing, layer grouping.</summary>
public class ForecasterTests
{
    [TestCase(true, 1, false, false)]
    [TestCase(true, 2, false, false)]
    [TestCase(false, 3, false, false)]
    [TestCase(true, 2, true, false)]
    [TestCase(false, 1, true, false)]
    [TestCase(true, 1, false, true)]
    [TestCase(false, 2, false, true)]
    [TestCase(true, 3, true, true)]
    public void GradientsMatchFiniteDifferences(bool highway, int patch, bool quantiles, bool instanceScale)
    {
        var rng = NewRandom(out int seed);
        int b = rng.Next(1, 4), f = rng.Next(1, 3), w = patch * rng.Next(1, 4), h = rng.Next(1, 4);
        // Quantile heads: Q outputs per lead step, every one carrying the persistence skip.
        double[]? levels = quantiles ? [0.1, 0.5, 0.9] : null;
        var shape = new ForecasterShape(f, rng.Next(f), w, h, Hidden: 3, Layers: 2, Patch: patch, Highway: highway, Quantiles: levels,
            InstanceScale: instanceScale);
        var model = new LstmForecaster<double>(shape, rng);
        // Move the zero-initialised head and highway off zero so every path carries gradient.
        foreach (var p in model.Parameters().Where(p => !p.Name.StartsWith("lstm", StringComparison.Ordinal)))
            for (int i = 0; i < p.Value.Length; i++)
                p.Value.Data[i] = rng.NextDouble() - 0.5;
        GradientCheck.Check(model, RandomTensor(rng, b, w, f), rng, $"forecaster seed {seed} {shape}");
    }

    [Test]
    public void AnUntrainedForecasterPredictsPersistence()
    {
        var rng = new Random(5);
        var model = new LstmForecaster<float>(new ForecasterShape(2, 1, 48, 6, Hidden: 4, Patch: 24), rng);
        var x = new Tensor<float>(3, 48, 2);
        for (int i = 0; i < x.Length; i++)
            x.Data[i] = (float)rng.NextDouble();
        var y = model.Forward(x);
        for (int n = 0; n < 3; n++)
            Assert.That(y.Data.AsSpan(n * 6, 6).ToArray(), Is.All.EqualTo(x.Data[(n * 48 + 47) * 2 + 1]));
    }

    [Test]
    public void InstanceScaleMakesTheForecastFollowTheWindowsAmplitude()
    {
        // With per-window scaling the network sees (x − last) / std, so scaling every window about its last value by a
        // scales every forecast's distance from that value by a (up to the epsilon under the square root: relative
        // error about eps / variance, here below 1e-3); without scaling the network sees a different input.
        var rng = NewRandom(out int seed);
        int f = rng.Next(1, 4), w = 6 * rng.Next(1, 4), h = rng.Next(1, 5);
        var shape = new ForecasterShape(f, rng.Next(f), w, h, Hidden: 4, Layers: 1, Patch: 6, InstanceScale: true);
        var model = new LstmForecaster<double>(shape, rng);
        foreach (var p in model.Parameters().Where(p => !p.Name.StartsWith("lstm", StringComparison.Ordinal)))
            for (int i = 0; i < p.Value.Length; i++)
                p.Value.Data[i] = rng.NextDouble() - 0.5;
        var x = RandomTensor(rng, 2, w, f);
        double a = 0.25 + 4 * rng.NextDouble();
        var scaled = new Tensor<double>(2, w, f);
        for (int n = 0; n < 2; n++)
            for (int t = 0; t < w; t++)
                for (int c = 0; c < f; c++)
                {
                    double last = x.Data[(n * w + w - 1) * f + c];
                    scaled.Data[(n * w + t) * f + c] = last + a * (x.Data[(n * w + t) * f + c] - last);
                }
        double[] y = model.Forward(x).Data.ToArray(), ys = model.Forward(scaled).Data.ToArray();
        for (int n = 0; n < 2; n++)
        {
            double last = x.Data[(n * w + w - 1) * f + shape.TargetFeature];
            for (int o = 0; o < h; o++)
                Assert.That(ys[n * h + o] - last, Is.EqualTo(a * (y[n * h + o] - last)).Within(1e-3 * (1 + Math.Abs(y[n * h + o] - last))),
                    $"seed {seed}, a = {a}, window {n}, lead {o}");
        }
    }

    [Test]
    public void AConstantWindowUnderInstanceScaleForecastsFiniteValues()
    {
        // std 0: the epsilon keeps the division finite; the relative window is all zeros, so the forecast is last + scale · head(LSTM(0)).
        var model = new LstmForecaster<float>(new ForecasterShape(2, 0, 24, 3, Hidden: 4, Patch: 24, InstanceScale: true), new Random(3));
        var x = new Tensor<float>(1, 24, 2);
        x.Data.AsSpan().Fill(1.5f);
        var y = model.Forward(x).Data;
        Assert.That(y, Is.All.EqualTo(1.5f), "the untrained head and highway are zero: persistence, not NaN");
    }

    [Test]
    public void CellStatesMatchTheFinalStateOfAFullPass()
    {
        var rng = new Random(9);
        var shape = new ForecasterShape(1, 0, 12, 2, Hidden: 3, Layers: 2, Patch: 3);
        var model = new LstmForecaster<double>(shape, rng);
        var x = RandomTensor(rng, 1, 12, 1);
        var cells = model.CellStates(x);
        Assert.That(cells, Has.Length.EqualTo(2));
        Assert.That(cells[0], Has.Length.EqualTo(4));
        Assert.That(cells[1][3], Has.Length.EqualTo(3));
        model.Forward(x);
        var final = model.Lstm.FinalCell!.Data;
        Assert.That(cells[1][3], Is.EqualTo(final.AsSpan(3, 3).ToArray()).Within(1e-12));
        Assert.That(model.Lstm.Stateful, Is.False, "tracing leaves the layer as it was");
    }

    [Test]
    public void ShapeIsValidated()
    {
        Assert.That(() => new ForecasterShape(1, 0, 10, 2, Patch: 3).Validate(), Throws.ArgumentException.With.Message.Contains("multiple of the patch"));
        Assert.That(() => new ForecasterShape(2, 2, 10, 2).Validate(), Throws.ArgumentException.With.Message.Contains("target feature"));
    }

    [TestCase("lstm.weight_ih_l0", "lstm.layer0")]
    [TestCase("lstm.bias_hh_l1_reverse", "lstm.layer1_reverse")]
    [TestCase("0.weight_hh_l0", "0.layer0")]
    [TestCase("head.weight", "head")]
    [TestCase("weight_hh_l2", "layer2")]
    public void GradientFlowGroupsRecurrentParametersPerLayer(string parameter, string layer) =>
        Assert.That(GradientNorms.LayerOf(parameter), Is.EqualTo(layer));
}

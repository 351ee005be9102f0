using LstmNative.Forecasting;
using LstmNative.Training;
using NUnit.Framework;

namespace LstmNative.Tests.Forecasting;

/// <summary>
/// The forecaster's highway fitted in closed form (<c>--highway-init ridge</c>): the weights equal a ridge solve built
/// independently from the model's own inputs, the reported validation MSE is the model's, and training keeps the
/// fitted model as "epoch 0" when no epoch beats it.
/// </summary>
public class HighwayRidgeTests
{
    // Two columns: an AR(2) target with a wandering level (so the window's last value matters) and a noisy driver.
    private static ForecastData Series(int seed, int window, int horizon, int rows = 900) =>
        ForecastData.Chronological(ForecastTestSeries.Ar2(seed, rows), "ar2", "y", window, horizon);

    private static ForecasterShape Shape(ForecastData d, bool scale, IReadOnlyList<double>? levels = null) =>
        new(d.Features, d.TargetColumn, d.Window, d.Horizon, Hidden: 3, Layers: 1, Patch: 1, Quantiles: levels, InstanceScale: scale);

    [TestCase(false, 7, 3, 5)]
    [TestCase(true, 7, 3, 6)]
    [TestCase(false, 1, 1, 7)]
    [TestCase(true, 12, 5, 8)]
    public void FittedWeightsEqualARidgeSolveOfTheModelsOwnInputs(bool scale, int window, int horizon, int seed)
    {
        var data = Series(seed, window, horizon);
        var shape = Shape(data, scale);
        var model = new LstmForecaster<float>(shape, new Random(seed));
        var fit = HighwayRidge.Fit(model, data);
        Assert.That(HighwayRidge.Grid, Does.Contain(fit.Penalty));
        Assert.That(fit.TrainingWindows, Is.EqualTo(data.TrainOrigins.Length));

        // Reference: the design written out row by row (the scaled relative window and the scale for the bias, the
        // change from the last value as the target), its normal equations solved by Gaussian elimination.
        int w = window, f = shape.Features, p = w + 1, n = data.TrainOrigins.Length;
        var x = new Tensor<float>(n, w, f);
        var y = new Tensor<float>(n, horizon);
        data.Fill<float>(data.TrainOrigins, x, y);
        var rows = new double[n, p];
        var targets = new double[n, horizon];
        var relative = new float[w * f];
        var targetWindow = new float[w];
        var scales = new float[f];
        for (int j = 0; j < n; j++)
        {
            float last = shape.MakeRelative<float>(x.Data.AsSpan(j * w * f, w * f), relative, targetWindow, scales);
            double s = scales[shape.TargetFeature];
            for (int t = 0; t < w; t++)
                rows[j, t] = targetWindow[t] * s;
            rows[j, w] = s;
            for (int h = 0; h < horizon; h++)
                targets[j, h] = y.Data[j * horizon + h] - last;
        }
        var gram = new double[p, p];
        for (int a = 0; a < p; a++)
            for (int b = 0; b < p; b++)
                for (int j = 0; j < n; j++)
                    gram[a, b] += rows[j, a] * rows[j, b];
        double meanDiagonal = Enumerable.Range(0, p).Sum(i => gram[i, i]) / p;
        for (int i = 0; i < w; i++)
            gram[i, i] += fit.Penalty * meanDiagonal;
        gram[w, w] += 1e-9 * meanDiagonal;
        var weight = model.Highway!.Weight.Value.Data;
        var bias = model.Highway.Bias!.Value.Data;
        for (int h = 0; h < horizon; h++)
        {
            var rhs = new double[p];
            for (int a = 0; a < p; a++)
                for (int j = 0; j < n; j++)
                    rhs[a] += rows[j, a] * targets[j, h];
            var solution = Gauss((double[,])gram.Clone(), rhs);
            for (int t = 0; t < w; t++)
                Assert.That(weight[h * w + t], Is.EqualTo(solution[t]).Within(1e-4 + 1e-4 * Math.Abs(solution[t])), $"step {h}, lag {t}");
            Assert.That(bias[h], Is.EqualTo(solution[w]).Within(1e-4 + 1e-4 * Math.Abs(solution[w])), $"step {h}, bias");
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public void ReportedValidationMseIsTheModelsAndBeatsPersistence(bool scale)
    {
        var data = Series(3, window: 9, horizon: 4);
        var model = new LstmForecaster<float>(Shape(data, scale), new Random(3));
        double persistence = ForecastTrainer.Evaluate(model, data, data.ValidationOrigins); // head and highway at zero
        var fit = HighwayRidge.Fit(model, data);
        double measured = ForecastTrainer.Evaluate(model, data, data.ValidationOrigins);
        Assert.That(fit.ValidationMse, Is.EqualTo(measured).Within(1e-4 * measured), "the Gram-matrix MSE equals the forecasts' MSE");
        Assert.That(fit.ValidationMse, Is.LessThan(persistence * 0.9), "on an AR(2) series the fitted linear model beats persistence");
    }

    [Test]
    public void TheFitsLinearModelForecastsExactlyAsTheFittedForecaster()
    {
        var data = Series(9, window: 10, horizon: 3);
        var shape = Shape(data, true);
        var model = new LstmForecaster<float>(shape, new Random(9));
        var fit = HighwayRidge.Fit(model, data);
        var fromFit = ForecastTrainer.Predict(fit.LinearModel(shape), data, data.TestOrigins);
        Assert.That(fromFit, Is.EqualTo(ForecastTrainer.Predict(model, data, data.TestOrigins)), "same highway, zero head: the same forecasts");
        Assert.That(() => fit.LinearModel(shape with { Window = 9 }), Throws.ArgumentException);
    }

    [Test]
    public void QuantileHeadsAllStartFromTheFit()
    {
        var data = Series(4, window: 6, horizon: 2);
        var model = new LstmForecaster<float>(Shape(data, false, [0.1, 0.5, 0.9]), new Random(4));
        HighwayRidge.Fit(model, data);
        var weight = model.Highway!.Weight.Value.Data;
        for (int h = 0; h < 2; h++)
            for (int q = 1; q < 3; q++)
                Assert.That(weight.AsSpan((h * 3 + q) * 6, 6).ToArray(), Is.EqualTo(weight.AsSpan(h * 3 * 6, 6).ToArray()));
    }

    [Test]
    public void TrainingKeepsTheFittedModelWhenNoEpochBeatsIt()
    {
        var data = Series(5, window: 8, horizon: 3);
        var model = new LstmForecaster<float>(Shape(data, false), new Random(5));
        // A rate far too large for one short epoch: the head's jump makes every epoch worse than the fit.
        var settings = new TrainingSettings(Epochs: 2, LearningRate: 0.5, WindowsPerEpoch: 128, Patience: 5, Seed: 5, HighwayInit: "ridge");
        var result = ForecastTrainer.Train(model, data, settings);
        Assert.That(result.Highway, Is.Not.Null);
        Assert.That(result.Initial!.Epoch, Is.Zero);
        Assert.That(result.Initial.ValidationLoss, Is.EqualTo(result.Highway!.ValidationMse).Within(1e-4 * result.Highway.ValidationMse));
        Assert.That(result.Epochs.Select(e => e.ValidationLoss), Has.All.GreaterThan(result.Initial.ValidationLoss), "the premise: every epoch is worse");
        Assert.That(result.BestEpoch, Is.Zero);
        Assert.That(result.Best, Is.SameAs(result.Initial));
        Assert.That(ForecastTrainer.Evaluate(model, data, data.ValidationOrigins), Is.EqualTo(result.Initial.ValidationLoss).Within(1e-12),
            "the model is restored to the fitted highway");
    }

    [Test]
    public void AFrozenHighwayStaysAsFittedWhileTheLstmTrains()
    {
        var (model, fitted, result) = TrainedOnTheFit(freeze: true, firstEpochs: 2);
        Assert.That(result.BestEpoch, Is.EqualTo(1));
        Assert.That(model.Highway!.Weight.Value.Data, Is.EqualTo(fitted.Highway!.Weight.Value.Data), "frozen: the fit's weights, bit for bit");
        Assert.That(model.Highway.Bias!.Value.Data, Is.EqualTo(fitted.Highway.Bias!.Value.Data));
        Assert.That(model.Head.Weight.Value.Data, Has.Some.Not.Zero, "the head trained");
    }

    [Test]
    public void AnUnfrozenHighwayMovesFromTheFit()
    {
        var (model, fitted, result) = TrainedOnTheFit(freeze: false, firstEpochs: 1);
        Assert.That(result.BestEpoch, Is.EqualTo(1));
        Assert.That(model.Highway!.Weight.Value.Data, Is.Not.EqualTo(fitted.Highway!.Weight.Value.Data), "trainable: the optimizer moved it");
    }

    // Trains from the fit, then continues one epoch without an epoch 0, so the model holds trained weights whatever
    // validation says; also returns a second model holding the fit alone.
    private static (LstmForecaster<float> Model, LstmForecaster<float> Fitted, TrainingResult Continued) TrainedOnTheFit(bool freeze, int firstEpochs)
    {
        var data = Series(6, window: 8, horizon: 3);
        var model = new LstmForecaster<float>(Shape(data, false), new Random(6));
        var fitted = new LstmForecaster<float>(Shape(data, false), new Random(6));
        HighwayRidge.Fit(fitted, data);
        var settings = new TrainingSettings(Epochs: firstEpochs, LearningRate: 1e-2, WindowsPerEpoch: 256, Patience: 5, Seed: 6, HighwayInit: "ridge",
            FreezeHighway: freeze);
        ForecastTrainer.Train(model, data, settings);
        var continued = ForecastTrainer.Train(model, data, settings with { HighwayInit = "zero", Epochs = 1 });
        return (model, fitted, continued);
    }

    [Test]
    public void RefusesAModelWithoutHighwayAndAnUnknownInitialisation()
    {
        var data = Series(7, window: 5, horizon: 2);
        var plain = new LstmForecaster<float>(Shape(data, false) with { Highway = false }, new Random(7));
        Assert.That(() => HighwayRidge.Fit(plain, data), Throws.ArgumentException.With.Message.Contains("no highway"));
        Assert.That(() => ForecastTrainer.Train(plain, data, new TrainingSettings(Epochs: 1, HighwayInit: "ridge")),
            Throws.ArgumentException.With.Message.Contains("need the highway"));
        Assert.That(() => new TrainingSettings(HighwayInit: "lasso").Validate(), Throws.ArgumentException.With.Message.Contains("zero or ridge"));
        var otherWindow = new LstmForecaster<float>(Shape(data, false) with { Window = 4 }, new Random(7));
        Assert.That(() => HighwayRidge.Fit(otherWindow, data), Throws.ArgumentException.With.Message.Contains("does not match the data"));
    }

    private static double[] Gauss(double[,] a, double[] b)
    {
        int n = b.Length;
        for (int c = 0; c < n; c++)
        {
            int pivot = c;
            for (int r = c + 1; r < n; r++)
                if (Math.Abs(a[r, c]) > Math.Abs(a[pivot, c]))
                    pivot = r;
            for (int k = 0; k < n; k++)
                (a[c, k], a[pivot, k]) = (a[pivot, k], a[c, k]);
            (b[c], b[pivot]) = (b[pivot], b[c]);
            for (int r = c + 1; r < n; r++)
            {
                double m = a[r, c] / a[c, c];
                for (int k = c; k < n; k++)
                    a[r, k] -= m * a[c, k];
                b[r] -= m * b[c];
            }
        }
        var x = new double[n];
        for (int r = n - 1; r >= 0; r--)
        {
            double sum = b[r];
            for (int k = r + 1; k < n; k++)
                sum -= a[r, k] * x[k];
            x[r] = sum / a[r, r];
        }
        return x;
    }
}

using LstmNative.Forecasting;
using LstmNative.Training;
using NUnit.Framework;

namespace LstmNative.Tests.Forecasting;

/// <summary>
/// <c>--epoch-choice one-se</c>: the trained LSTM replaces the fitted highway only when its validation gain exceeds one
/// standard error over non-overlapping time blocks.
/// </summary>
public class OneStandardErrorRuleTests
{
    private static ForecasterShape Shape(ForecastData d) => new(d.Features, d.TargetColumn, d.Window, d.Horizon, Hidden: 3, Layers: 1, Patch: 1);

    private static LstmForecaster<float> Fitted(ForecastData data, int seed)
    {
        var model = new LstmForecaster<float>(Shape(data), new Random(seed));
        HighwayRidge.Fit(model, data);
        return model;
    }

    [TestCase(1, 3)]
    [TestCase(2, 7)]
    [TestCase(3, 1)]
    public void TheGainAndItsStandardErrorAreTheBlockMeansOfThePerWindowErrors(int seed, int horizon)
    {
        var data = ForecastData.Chronological(ForecastTestSeries.Ar2(seed, 900), "ar2", "y", 6, horizon);
        var fit = Fitted(data, seed);
        var other = Fitted(data, seed);
        var rng = new Random(seed + 100);
        for (int i = 0; i < other.Head.Weight.Value.Length; i++)
            other.Head.Weight.Value.Data[i] = (float)(0.2 * (rng.NextDouble() - 0.5));
        var check = OneStandardErrorRule.Compare(fit, other, 4, data);

        // By hand: each window's MSE, grouped by which horizon-long stretch of origins it starts in; only whole blocks.
        var origins = data.ValidationOrigins;
        var a = ForecastTrainer.Predict(fit, data, origins);
        var b = ForecastTrainer.Predict(other, data, origins);
        var y = data.Actuals(origins);
        double WindowMse(double[] p, int n) => Enumerable.Range(n * horizon, horizon).Average(k => (p[k] - y[k]) * (p[k] - y[k]));
        var blocks = Enumerable.Range(0, origins.Length)
            .GroupBy(n => (origins[n] - origins[0]) / horizon)
            .Where(g => g.Count() == horizon)
            .Select(g => g.Average(n => WindowMse(a, n) - WindowMse(b, n)))
            .ToArray();
        double mean = blocks.Average();
        double se = Math.Sqrt(blocks.Sum(g => (g - mean) * (g - mean)) / (blocks.Length - 1) / blocks.Length);
        Assert.That(check.Blocks, Is.EqualTo(blocks.Length));
        Assert.That(check.Blocks, Is.EqualTo(origins.Length / horizon));
        Assert.That(check.StandardError, Is.EqualTo(se).Within(1e-12 + 1e-9 * se));
        Assert.That(check.FitMse, Is.EqualTo(Enumerable.Range(0, origins.Length).Average(n => WindowMse(a, n))).Within(1e-12));
        Assert.That(check.TrainedMse, Is.EqualTo(Enumerable.Range(0, origins.Length).Average(n => WindowMse(b, n))).Within(1e-12));
        Assert.That(check.TrainedEpoch, Is.EqualTo(4));
        Assert.That(check.KeptFit, Is.EqualTo(!(check.Gain > check.StandardError)));
    }

    [Test]
    public void AClearGainIsAcceptedNoGainIsNotAndTooFewBlocksKeepTheFit()
    {
        var data = ForecastData.Chronological(ForecastTestSeries.Ar2(4, 900), "ar2", "y", 6, 3);
        // Persistence (head and highway at zero) against the ridge fit: on an AR(2) the fit is far better.
        var persistence = new LstmForecaster<float>(Shape(data), new Random(4));
        var fit = Fitted(data, 4);
        var clear = OneStandardErrorRule.Compare(persistence, fit, 1, data);
        Assert.That(clear.Gain, Is.GreaterThan(clear.StandardError).And.GreaterThan(0.1));
        Assert.That(clear.KeptFit, Is.False);
        var none = OneStandardErrorRule.Compare(fit, fit, 1, data);
        Assert.That(none.Gain, Is.Zero);
        Assert.That(none.KeptFit, Is.True);
        // Horizon 50 on 90 validation rows: 41 windows, not one whole block; no spread to measure, so no evidence against the simpler model.
        var short1 = ForecastData.Chronological(ForecastTestSeries.Ar2(4, 900), "ar2", "y", 6, 50, validationFraction: 0.1);
        var oneBlock = OneStandardErrorRule.Compare(new LstmForecaster<float>(Shape(short1), new Random(4)), Fitted(short1, 4), 1, short1);
        Assert.That(oneBlock.Blocks, Is.Zero);
        Assert.That(oneBlock.StandardError, Is.EqualTo(double.PositiveInfinity));
        Assert.That(oneBlock.KeptFit, Is.True);
    }

    [Test]
    public void ChannelIndependentBlocksPoolEveryColumnOfAPeriod()
    {
        var data = ForecastData.Chronological(ForecastTestSeries.Ar2(5, 900), "ar2", "y", 6, 3).ChannelIndependent();
        var persistence = new LstmForecaster<float>(Shape(data), new Random(5));
        var check = OneStandardErrorRule.Compare(persistence, Fitted(data, 5), 1, data);
        Assert.That(check.Blocks, Is.EqualTo(data.ValidationOrigins.Length / 2 / 3), "blocks are periods, not periods × columns");
    }

    [Test]
    public void TrainingWithOneSeKeepsWhatTheRuleSaysAndTheCheckpointFollows()
    {
        var data = ForecastData.Chronological(ForecastTestSeries.Ar2(6, 900), "ar2", "y", 8, 3);
        var branches = new HashSet<bool>();
        for (int seed = 1; seed <= 12; seed++)
        {
            var settings = new TrainingSettings(Epochs: 2, LearningRate: 1e-2, WindowsPerEpoch: 256, Patience: 5, Seed: seed, HighwayInit: "ridge");
            // The plain choice first: the rule only has something to decide when a trained epoch beats the fit.
            var best = new LstmForecaster<float>(Shape(data), new Random(seed));
            var plain = ForecastTrainer.Train(best, data, settings);
            Assert.That(plain.EpochChoice, Is.Null);
            if (plain.BestEpoch == 0)
                continue;

            var model = new LstmForecaster<float>(Shape(data), new Random(seed));
            EpochRecord? saved = null;
            var result = ForecastTrainer.Train(model, data, settings with { EpochChoice = "one-se" }, onImproved: e => saved = e);
            var fit = result.Highway!.LinearModel(model.Shape);
            var expected = OneStandardErrorRule.Compare(fit, best, plain.BestEpoch, data);
            Assert.That(result.EpochChoice, Is.EqualTo(expected), "the same training, the same comparison");
            var forecast = ForecastTrainer.Predict(model, data, data.ValidationOrigins);
            if (expected.KeptFit)
            {
                Assert.That(result.BestEpoch, Is.Zero);
                Assert.That(saved, Is.SameAs(result.Initial), "the checkpoint is rewritten with the fit");
                Assert.That(forecast, Is.EqualTo(ForecastTrainer.Predict(fit, data, data.ValidationOrigins)));
                Assert.That(ForecastTrainer.Predict(result.SetAside!, data, data.ValidationOrigins),
                    Is.EqualTo(ForecastTrainer.Predict(best, data, data.ValidationOrigins)), "the trained epoch is handed back, set aside");
            }
            else
            {
                Assert.That(result.SetAside, Is.Null);
                Assert.That(result.BestEpoch, Is.EqualTo(plain.BestEpoch));
                Assert.That(saved!.Epoch, Is.EqualTo(plain.BestEpoch));
                Assert.That(forecast, Is.EqualTo(ForecastTrainer.Predict(best, data, data.ValidationOrigins)));
            }
            branches.Add(expected.KeptFit);
        }
        Assert.That(branches, Is.Not.Empty, "no seed trained an epoch better than the fit: the test proves nothing");
    }

    [Test]
    public void WithoutTwoBlocksOfValidationTheTrainedEpochGivesWayToTheFit()
    {
        // Horizon 50 on 90 validation rows: 41 windows, less than one block — the rule can never see enough evidence.
        var data = ForecastData.Chronological(ForecastTestSeries.Ar2(6, 900), "ar2", "y", 8, 50);
        var settings = new TrainingSettings(Epochs: 3, LearningRate: 1e-2, WindowsPerEpoch: 256, Patience: 5, Seed: 6, HighwayInit: "ridge",
            EpochChoice: "one-se");
        for (int seed = 1; seed <= 8; seed++)
        {
            var model = new LstmForecaster<float>(Shape(data), new Random(seed));
            var result = ForecastTrainer.Train(model, data, settings with { Seed = seed });
            if (result.EpochChoice is null)
                continue; // no trained epoch beat the fit: nothing for the rule to decide
            Assert.That(result.EpochChoice.KeptFit, Is.True);
            Assert.That(result.EpochChoice.Gain, Is.GreaterThan(0));
            Assert.That(result.BestEpoch, Is.Zero);
            Assert.That(ForecastTrainer.Evaluate(model, data, data.ValidationOrigins), Is.EqualTo(result.Initial!.ValidationLoss).Within(1e-12));
            return;
        }
        Assert.Fail("no seed trained an epoch better than the fit: the test proves nothing");
    }

    [Test]
    public void MisuseIsRefused()
    {
        Assert.That(() => new TrainingSettings(EpochChoice: "worst").Validate(), Throws.ArgumentException.With.Message.Contains("best or one-se"));
        Assert.That(() => new TrainingSettings(EpochChoice: "one-se").Validate(), Throws.ArgumentException.With.Message.Contains("ridge"));
        var data = ForecastData.Chronological(ForecastTestSeries.Ar2(7, 900), "ar2", "y", 6, 3);
        var quantiles = new LstmForecaster<float>(Shape(data) with { Quantiles = [0.1, 0.5, 0.9] }, new Random(7));
        Assert.That(() => ForecastTrainer.Train(quantiles, data, new TrainingSettings(Epochs: 1, HighwayInit: "ridge", EpochChoice: "one-se")),
            Throws.ArgumentException.With.Message.Contains("quantile"));
    }
}

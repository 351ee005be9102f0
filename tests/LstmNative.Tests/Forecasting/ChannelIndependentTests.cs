using LstmNative.Training.Data;
using LstmNative.Training;
using LstmNative.Forecasting;
using NUnit.Framework;

namespace LstmNative.Tests.Forecasting;

/// <summary>
/// The long-horizon protocol's multivariate mode: every column in and out, channel-independent (one shared univariate
/// forecaster over each column), scored over all columns as PatchTST and DLinear score it.
/// </summary>
public class ChannelIndependentTests
{
    [TestCase(96)]
    [TestCase(720)]
    public void EveryColumnGetsTheSameSplitsAndTheLongHorizonScoringRule(int horizon)
    {
        var data = ForecastData.EttLongHorizon(ForecastTestSeries.ThreeColumns(1), "three", "c", 336, horizon).ChannelIndependent();
        int perChannelTest = 2881 - horizon, scored = perChannelTest / 128 * 128;
        Assert.That(data.Protocol, Is.EqualTo("ett-long"));
        Assert.That(data.Channels, Is.EqualTo(3));
        Assert.That(data.ChannelNames, Is.EqualTo(new[] { "a", "b", "c" }));
        Assert.That(data.Features, Is.EqualTo(1));
        Assert.That(data.ChannelRows, Is.EqualTo(14400));
        Assert.That(data.TestOrigins, Has.Length.EqualTo(3 * perChannelTest));
        Assert.That(data.ScoredTestOrigins, Has.Length.EqualTo(3 * scored));
        Assert.That(data.TrainOrigins, Has.Length.EqualTo(3 * (8640 - horizon - 336 + 1)));
        for (int c = 0; c < 3; c++)
        {
            // Each column's scored windows are its first floor((2881 − h)/128)·128 test origins, from row 11520.
            var mine = data.ScoredTestOrigins.Where(s => s / data.ChannelRows == c).Select(s => s % data.ChannelRows).ToArray();
            Assert.That(mine, Is.EqualTo(Enumerable.Range(11520, scored).ToArray()), $"channel {c}");
        }
        // No window reaches outside its own column's run of rows.
        foreach (int s in data.TrainOrigins.Concat(data.ValidationOrigins).Concat(data.TestOrigins))
            Assert.That((s - 336) / data.ChannelRows, Is.EqualTo((s + horizon - 1) / data.ChannelRows));
        // The Informer protocol keeps its own rule (groups of 32).
        Assert.That(ForecastData.Ett(ForecastTestSeries.ThreeColumns(1), "three", "c", 336, horizon).ScoredTestOrigins, Has.Length.EqualTo(perChannelTest / 32 * 32));
    }

    [TestCase(96, 336)]
    [TestCase(720, 512)]
    public void TheBacktestSplitIsTheLongHorizonProtocolOnePeriodBackAndNeverReadsItsTestRows(int horizon, int window)
    {
        var table = ForecastTestSeries.ThreeColumns(4);
        var data = ForecastData.EttLongHorizonBacktest(table, "three", "c", window, horizon);
        int windows = 2881 - horizon, scored = windows / 128 * 128;
        Assert.That(data.Protocol, Is.EqualTo("ett-long-backtest"));
        Assert.That(data.TrainOrigins, Is.EqualTo(Enumerable.Range(window, 5760 - horizon - window + 1).ToArray()));
        Assert.That(data.ValidationOrigins, Is.EqualTo(Enumerable.Range(5760, windows).ToArray()));
        Assert.That(data.ScoredTestOrigins, Is.EqualTo(Enumerable.Range(8640, scored).ToArray()));
        // Its test period is the protocol's validation period, scored with the protocol's rule.
        var protocol = ForecastData.EttLongHorizon(table, "three", "c", window, horizon);
        Assert.That(protocol.ValidationOrigins[0], Is.EqualTo(data.ScoredTestOrigins[0]));
        Assert.That(protocol.ScoredTestOrigins, Has.Length.EqualTo(scored));
        // Standardized with rows 0–5759 alone.
        for (int c = 0; c < 3; c++)
        {
            var train = Enumerable.Range(0, 5760).Select(r => data.Table[r, c]).ToArray();
            Assert.That(train.Average(), Is.EqualTo(0).Within(1e-9), $"column {c}");
            Assert.That(Math.Sqrt(train.Average(v => v * v)), Is.EqualTo(1).Within(1e-9), $"column {c}");
        }
        // Rewriting every row from 11520 on (the protocol's test period) changes nothing a window can see.
        var rewritten = (double[])table.Data.Clone();
        for (int i = 11520 * 3; i < rewritten.Length; i++)
            rewritten[i] = -rewritten[i] * 7 + 1000;
        var other = ForecastData.EttLongHorizonBacktest(new NumericTable(table.Columns.ToArray(), rewritten), "three", "c", window, horizon);
        foreach (int s in data.TrainOrigins.Concat(data.ValidationOrigins).Concat(data.TestOrigins))
            Assert.That(s + horizon, Is.LessThanOrEqualTo(11520));
        for (int r = 0; r < 11520; r += 7)
            for (int c = 0; c < 3; c++)
                Assert.That(other.Table[r, c], Is.EqualTo(data.Table[r, c]));
    }

    [Test]
    public void EachColumnIsStandardizedWithItsOwnTrainingStatistics()
    {
        var table = ForecastTestSeries.ThreeColumns(2);
        var single = ForecastData.EttLongHorizon(table, "three", "c", 336, 96);
        var data = single.ChannelIndependent();
        for (int c = 0; c < 3; c++)
        {
            var train = data.Target.AsSpan(c * data.ChannelRows, 8640).ToArray();
            Assert.That(train.Average(), Is.EqualTo(0).Within(1e-9), $"column {c}");
            Assert.That(Math.Sqrt(train.Average(v => v * v)), Is.EqualTo(1).Within(1e-9), $"column {c}");
            for (int r = 0; r < 14400; r += 997)
                Assert.That(data.Target[c * data.ChannelRows + r], Is.EqualTo(single.Table[r, c]));
        }
        Assert.Throws<InvalidOperationException>(() => data.ChannelIndependent());
        // Mixed units: values stay standardized.
        Assert.That(data.Unscale([0.5, -1]), Is.EqualTo(new[] { 0.5, -1 }));
    }

    [Test]
    public void AColumnsForecastEqualsForecastingThatColumnAlone()
    {
        var table = ForecastTestSeries.ThreeColumns(3);
        var data = ForecastData.EttLongHorizon(table, "three", "c", 96, 96).ChannelIndependent();
        var shape = new ForecasterShape(1, 0, 96, 96, Hidden: 5, Layers: 2, Patch: 16);
        var model = new LstmForecaster<float>(shape, new Random(7));
        // Random head and highway so the forecast is not just persistence.
        var random = new Random(8);
        foreach (var p in model.Parameters())
            for (int i = 0; i < p.Value.Length; i++)
                p.Value.Data[i] += (float)(0.05 * (random.NextDouble() - 0.5));
        var all = ForecastTrainer.Predict(model, data, data.ScoredTestOrigins);
        int perChannel = data.ScoredTestOrigins.Length / 3;
        for (int c = 0; c < 3; c++)
        {
            // The same column as the univariate target of the ordinary protocol.
            var alone = ForecastData.EttLongHorizon(table.SelectColumns(table.Columns[c]), "one", table.Columns[c], 96, 96);
            var own = ForecastTrainer.Predict(model, alone, alone.ScoredTestOrigins);
            Assert.That(own, Has.Length.EqualTo(perChannel * 96));
            var slice = all.AsSpan(c * perChannel * 96, perChannel * 96).ToArray();
            for (int i = 0; i < own.Length; i++)
                Assert.That(slice[i], Is.EqualTo(own[i]).Within(1e-5 * (1 + Math.Abs(own[i]))), $"column {c}, value {i}");
        }
    }

    [Test]
    public void ScoresAreMeansOverEveryColumnWindowAndStep()
    {
        var data = ForecastData.EttLongHorizon(ForecastTestSeries.ThreeColumns(4), "three", "c", 336, 192).ChannelIndependent();
        var origins = data.ScoredTestOrigins;
        var actuals = data.Actuals(origins);
        var persistence = new PersistenceForecaster();
        var predictions = new double[actuals.Length];
        for (int i = 0; i < origins.Length; i++)
            persistence.Predict(data, origins[i], predictions.AsSpan(i * 192, 192));
        var metrics = ForecastMetrics.Compute("persistence", predictions, actuals, 192);
        // By hand: mean over columns × windows × steps of the standardized errors.
        double mse = 0, mae = 0;
        int n = 0;
        for (int c = 0; c < 3; c++)
            for (int w = 0; w < origins.Length / 3; w++)
            {
                int s = 11520 + w;
                double last = data.Target[c * 14400 + s - 1];
                for (int h = 0; h < 192; h++, n++)
                {
                    double e = last - data.Target[c * 14400 + s + h];
                    mse += e * e;
                    mae += Math.Abs(e);
                }
            }
        Assert.That(metrics.Windows, Is.EqualTo(3 * ((2881 - 192) / 128 * 128)));
        Assert.That(metrics.Mse, Is.EqualTo(mse / n).Within(1e-12));
        Assert.That(metrics.Mae, Is.EqualTo(mae / n).Within(1e-12));
    }

    [Test]
    public void InstanceNormalisationRoundTripsAWindowsLastValue()
    {
        // The forecaster works on each window relative to its last value and adds it back: with the head and the highway
        // at zero (as created) the forecast is exactly that last value, whatever the window's level.
        var shape = new ForecasterShape(1, 0, 48, 12, Hidden: 4, Layers: 1, Patch: 16);
        var model = new LstmForecaster<double>(shape, new Random(1));
        var random = new Random(2);
        var x = new Tensor<double>(3, 48, 1);
        for (int i = 0; i < x.Length; i++)
            x.Data[i] = 1000 * (i / 48) + random.NextDouble();
        var y = model.Forward(x);
        for (int n = 0; n < 3; n++)
            for (int h = 0; h < 12; h++)
                Assert.That(y.Data[n * 12 + h], Is.EqualTo(x.Data[n * 48 + 47]));
        // Shifting a window by a constant shifts its forecast by the same constant, for any weights.
        foreach (var p in model.Parameters())
            for (int i = 0; i < p.Value.Length; i++)
                p.Value.Data[i] += 0.1 * (random.NextDouble() - 0.5);
        var before = model.Forward(x).Data.ToArray();
        for (int i = 0; i < x.Length; i++)
            x.Data[i] += 7.25;
        var after = model.Forward(x).Data;
        for (int i = 0; i < before.Length; i++)
            Assert.That(after[i], Is.EqualTo(before[i] + 7.25).Within(1e-9));
    }

    [Test]
    public void TheJobRunsEndToEndOnEveryColumnAndItsCheckpointReadsBack()
    {
        var data = ForecastData.EttLongHorizon(ForecastTestSeries.ThreeColumns(5), "three", "c", 96, 96).ChannelIndependent();
        var shape = new ForecasterShape(1, 0, 96, 96, Hidden: 4, Layers: 1, Patch: 16);
        ForecastTestSeries.RunTinyJob(data, shape, (outcome, dir) =>
        {
            var report = outcome.Report;
            Assert.That(report.Results.Select(r => r.Name), Is.EqualTo(new[] { "LSTM", "persistence", "seasonal naive (24)" }));
            Assert.That(report.Results.All(r => r.Windows == 3 * 2688 && double.IsNaN(r.Wape) && r.Mse > 0), Is.True);
            Assert.That(report.Data.Inputs, Is.EqualTo(new[] { "a", "b", "c" }));
            Assert.That(report.Data.Rows, Is.EqualTo(14400));

            // The checkpoint reads back into a forecaster that gives the reported score, alone and as a one-model ensemble.
            var loaded = ForecasterCheckpoint.Load(Path.Combine(dir, ForecastPipeline.ModelFile));
            Assert.That(loaded.Shape, Is.EqualTo(shape));
            var actuals = data.Actuals(data.ScoredTestOrigins);
            var again = ForecastMetrics.Compute("LSTM", ForecastTrainer.Predict(loaded, data, data.ScoredTestOrigins), actuals, 96);
            Assert.That(again.Mse, Is.EqualTo(report.Results[0].Mse).Within(1e-12));
            var twice = ForecasterCheckpoint.Ensemble([loaded, loaded], data, data.ScoredTestOrigins);
            Assert.That(ForecastMetrics.Compute("pair", twice, actuals, 96).Mse, Is.EqualTo(again.Mse).Within(1e-12));
            // A different model in the ensemble moves the mean forecast halfway towards it.
            var other = new LstmForecaster<float>(shape, new Random(9));
            var mean = ForecasterCheckpoint.Ensemble([loaded, other], data, data.ScoredTestOrigins[..5]);
            var a = ForecastTrainer.Predict(loaded, data, data.ScoredTestOrigins[..5]);
            var b = ForecastTrainer.Predict(other, data, data.ScoredTestOrigins[..5]);
            for (int i = 0; i < mean.Length; i++)
                Assert.That(mean[i], Is.EqualTo((a[i] + b[i]) / 2).Within(1e-12));
            File.WriteAllBytes(Path.Combine(dir, "other.safetensors"), LstmNative.Formats.SafetensorsWriter.ToBytes([], new Dictionary<string, string>()));
            Assert.Throws<LstmNative.Formats.ModelFormatException>(() => ForecasterCheckpoint.Load(Path.Combine(dir, "other.safetensors")));
        });
    }

    [Test]
    public void AnEnsembleOfTwoLookBacksAveragesTheForecastsOfTheSameRows()
    {
        var table = ForecastTestSeries.ThreeColumns(6);
        var short_ = ForecastData.EttLongHorizon(table, "three", "c", 48, 24).ChannelIndependent();
        var long_ = ForecastData.EttLongHorizon(table, "three", "c", 96, 24).ChannelIndependent();
        // Origins are rows of the test period, so both look-backs score the same forecasts of the same actuals.
        Assert.That(long_.ScoredTestOrigins, Is.EqualTo(short_.ScoredTestOrigins));
        Assert.That(long_.Actuals(long_.ScoredTestOrigins), Is.EqualTo(short_.Actuals(short_.ScoredTestOrigins)));
        var seed = TestContext.CurrentContext.Random.Next();
        var a = new LstmForecaster<float>(new ForecasterShape(1, 0, 48, 24, Hidden: 3, Layers: 1, Patch: 8), new Random(seed));
        var b = new LstmForecaster<float>(new ForecasterShape(1, 0, 96, 24, Hidden: 5, Layers: 1, Patch: 16), new Random(seed + 1));
        // A new forecaster's head starts at zero (its forecast is the last value); random heads make the two differ.
        var random = new Random(seed + 2);
        foreach (var head in new[] { a.Head.Weight.Value, b.Head.Weight.Value })
            for (int i = 0; i < head.Length; i++)
                head.Data[i] = (float)(random.NextDouble() - 0.5);
        var origins = short_.ScoredTestOrigins[^7..];
        var mean = ForecasterCheckpoint.Ensemble([a, b], [short_, long_], origins);
        var fa = ForecastTrainer.Predict(a, short_, origins);
        var fb = ForecastTrainer.Predict(b, long_, origins);
        Assert.That(fa, Is.Not.EqualTo(fb));
        for (int i = 0; i < mean.Length; i++)
            Assert.That(mean[i], Is.EqualTo((fa[i] + fb[i]) / 2).Within(1e-12));
        Assert.Throws<ArgumentException>(() => ForecasterCheckpoint.Ensemble([a, b], [short_], origins));
    }

    [Test]
    public void AnEnsembleRefusesMembersThatForecastDifferentThingsAndPredictRefusesDataOfAnotherShape()
    {
        // Found by the API audit: these were averaged element by element into wrong numbers, or ran past the result.
        var table = ForecastTestSeries.ThreeColumns(6);
        var h24 = ForecastData.EttLongHorizon(table, "three", "c", 48, 24).ChannelIndependent();
        var h12 = ForecastData.EttLongHorizon(table, "three", "c", 48, 12).ChannelIndependent();
        var seed = TestContext.CurrentContext.Random.Next();
        var point24 = new LstmForecaster<float>(new ForecasterShape(1, 0, 48, 24, Hidden: 3, Layers: 1, Patch: 8), new Random(seed));
        var point12 = new LstmForecaster<float>(new ForecasterShape(1, 0, 48, 12, Hidden: 3, Layers: 1, Patch: 8), new Random(seed));
        var quantile24 = new LstmForecaster<float>(new ForecasterShape(1, 0, 48, 24, Hidden: 3, Layers: 1, Patch: 8, Quantiles: [0.1, 0.5, 0.9]), new Random(seed));
        var origins = h24.ScoredTestOrigins[^3..];

        var horizons = Assert.Throws<ArgumentException>(() => ForecasterCheckpoint.Ensemble([point24, point12], [h24, h12], origins));
        Assert.That(horizons!.Message, Does.Contain("member 1 forecasts 12 steps, member 0 24"));
        var kinds = Assert.Throws<ArgumentException>(() => ForecasterCheckpoint.Ensemble([point24, quantile24], [h24, h24], origins));
        Assert.That(kinds!.Message, Does.Contain("quantiles 0.1/0.5/0.9").And.Contain("point forecasts"));
        var shape = Assert.Throws<ArgumentException>(() => ForecastTrainer.Predict(point12, h24, origins));
        Assert.That(shape!.Message, Does.Contain("does not match the data"));
        Assert.Throws<ArgumentOutOfRangeException>(() => ForecastTrainer.Predict(point24, h24, origins, batchSize: 0));
        Assert.That(ForecastTrainer.Predict(point24, h24, origins), Has.Length.EqualTo(3 * 24));
    }
}

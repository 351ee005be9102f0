using LstmNative.Training;
using LstmNative.Forecasting;
using NUnit.Framework;

namespace LstmNative.Tests.Forecasting;

/// <summary>
/// A univariate forecaster trained on the windows of every column (<see cref="ForecastData.TrainedOnEveryColumn"/>):
/// the training set grows by the other columns' windows, while the input, the validation and the scores stay the target's.
/// </summary>
public class TrainedOnEveryColumnTests
{
    [TestCase(96, 336)]
    [TestCase(720, 512)]
    [TestCase(1, 1)]
    public void ValidationAndTestAreTheTargetsOwnAndTrainingAddsEveryColumn(int horizon, int window)
    {
        var table = ForecastTestSeries.ThreeColumns(horizon);
        var alone = ForecastData.EttLongHorizon(table.SelectColumns("b"), "one", "b", window, horizon);
        var pooled = ForecastData.EttLongHorizon(table, "three", "b", window, horizon).TrainedOnEveryColumn();
        Assert.That(pooled.Channels, Is.EqualTo(1));
        Assert.That(pooled.Features, Is.EqualTo(1));
        Assert.That(pooled.TargetColumn, Is.Zero);
        Assert.That(pooled.Table.Columns, Is.EqualTo(new[] { "b" }));
        Assert.That(pooled.TrainingColumns, Is.EqualTo(new[] { "b", "a", "c" }), "the target's run first, then the others in order");
        Assert.That(pooled.TrainsOnOtherColumns, Is.True);
        Assert.That(alone.TrainsOnOtherColumns, Is.False);
        Assert.That(pooled.ChannelRows, Is.EqualTo(14400));
        Assert.That(pooled.ValidationOrigins, Is.EqualTo(alone.ValidationOrigins));
        Assert.That(pooled.TestOrigins, Is.EqualTo(alone.TestOrigins));
        Assert.That(pooled.ScoredTestOrigins, Is.EqualTo(alone.ScoredTestOrigins));
        Assert.That(pooled.TrainOrigins, Has.Length.EqualTo(3 * alone.TrainOrigins.Length));
        // The target's run is the target alone's standardized series, bit for bit.
        Assert.That(pooled.Target.AsSpan(0, 14400).ToArray(), Is.EqualTo(alone.Target));
        // No training window reaches outside its own column's run, nor past its column's training rows.
        foreach (int s in pooled.TrainOrigins)
        {
            Assert.That((s - window) / 14400, Is.EqualTo((s + horizon - 1) / 14400));
            Assert.That((s + horizon - 1) % 14400, Is.LessThan(8640));
        }
    }

    [Test]
    public void EachColumnsRunIsStandardizedWithItsOwnTrainingStatisticsAndUnitsAreTheTargets()
    {
        var table = ForecastTestSeries.ThreeColumns(2);
        var full = ForecastData.EttLongHorizon(table, "three", "b", 336, 96);
        var pooled = full.TrainedOnEveryColumn();
        int[] order = [1, 0, 2];
        for (int k = 0; k < 3; k++)
        {
            var train = pooled.Target.AsSpan(k * 14400, 8640).ToArray();
            Assert.That(train.Average(), Is.EqualTo(0).Within(1e-9), $"run {k}");
            Assert.That(Math.Sqrt(train.Average(v => v * v)), Is.EqualTo(1).Within(1e-9), $"run {k}");
            for (int r = 0; r < 14400; r += 997)
                Assert.That(pooled.Target[k * 14400 + r], Is.EqualTo(full.Table[r, order[k]]));
        }
        // Values go back to the target's units with the target's statistics (so WAPE is the target's).
        double[] scaled = [0.5, -1, 2];
        var unscaled = pooled.Unscale(scaled);
        for (int i = 0; i < scaled.Length; i++)
            Assert.That(unscaled[i], Is.EqualTo(scaled[i] * full.Scaler.StandardDeviation[1] + full.Scaler.Mean[1]).Within(1e-9));
        Assert.That(pooled.Scaler.Mean, Is.EqualTo(new[] { full.Scaler.Mean[1] }));
        Assert.That(pooled.Scaler.StandardDeviation, Is.EqualTo(new[] { full.Scaler.StandardDeviation[1] }));
        // A training window of another column holds that column's history and future.
        int origin = pooled.TrainOrigins.First(s => s / 14400 == 2);
        var x = new Tensor<double>(1, 336, 1);
        var y = new Tensor<double>(1, 96);
        pooled.Fill<double>([origin], x, y);
        int row = origin % 14400;
        Assert.That(x.Data[335], Is.EqualTo(full.Table[row - 1, 2]));
        Assert.That(y.Data[0], Is.EqualTo(full.Table[row, 2]));
    }

    [Test]
    public void MisuseIsRefused()
    {
        var table = ForecastTestSeries.ThreeColumns(3);
        Assert.Throws<InvalidOperationException>(() => ForecastData.EttLongHorizon(table, "three", "b", 96, 96).ChannelIndependent().TrainedOnEveryColumn());
        Assert.Throws<InvalidOperationException>(() => ForecastData.EttLongHorizon(table.SelectColumns("b"), "one", "b", 96, 96).TrainedOnEveryColumn());
        Assert.Throws<ArgumentOutOfRangeException>(() => ForecastData.EttLongHorizon(table, "three", "b", 96, 96).Scaler.Select(3));
    }

    [Test]
    public void TheForecastSeesTheTargetAloneAndTheRidgeFitUsesEveryColumnsWindows()
    {
        var table = ForecastTestSeries.ThreeColumns(4);
        var alone = ForecastData.EttLongHorizon(table.SelectColumns("b"), "one", "b", 96, 48);
        var pooled = ForecastData.EttLongHorizon(table, "three", "b", 96, 48).TrainedOnEveryColumn();
        var shape = new ForecasterShape(1, 0, 96, 48, Hidden: 5, Layers: 1, Patch: 16);
        var model = new LstmForecaster<float>(shape, new Random(7));
        var random = new Random(8);
        foreach (var p in model.Parameters())
            for (int i = 0; i < p.Value.Length; i++)
                p.Value.Data[i] += (float)(0.05 * (random.NextDouble() - 0.5));
        Assert.That(ForecastTrainer.Predict(model, pooled, pooled.ScoredTestOrigins),
            Is.EqualTo(ForecastTrainer.Predict(model, alone, alone.ScoredTestOrigins)));

        var fitAlone = HighwayRidge.Fit(new LstmForecaster<float>(shape, new Random(1)), alone);
        var fitPooled = HighwayRidge.Fit(new LstmForecaster<float>(shape, new Random(1)), pooled);
        Assert.That(fitPooled.TrainingWindows, Is.EqualTo(3 * fitAlone.TrainingWindows));
        Assert.That(fitPooled.Weight, Is.Not.EqualTo(fitAlone.Weight), "the other columns' windows change the fit");
    }

    [Test]
    public void TheJobReportsTheTrainingColumnsAndScoresTheTargetInItsUnits()
    {
        var data = ForecastData.EttLongHorizon(ForecastTestSeries.ThreeColumns(5), "three", "b", 96, 96).TrainedOnEveryColumn();
        var shape = new ForecasterShape(1, 0, 96, 96, Hidden: 4, Layers: 1, Patch: 16);
        ForecastTestSeries.RunTinyJob(data, shape, (outcome, dir) =>
        {
            var report = outcome.Report;
            Assert.That(report.Data.Target, Is.EqualTo("b, trained on the windows of all 3 columns (b, a, c)"));
            Assert.That(report.Data.Inputs, Is.EqualTo(new[] { "b" }));
            Assert.That(report.Data.Rows, Is.EqualTo(14400));
            Assert.That(report.Data.TrainWindows, Is.EqualTo(3 * (8640 - 96 - 96 + 1)));
            Assert.That(report.Results.All(r => r.Windows == 2688 && double.IsFinite(r.Wape)), Is.True);
            var loaded = ForecasterCheckpoint.Load(Path.Combine(dir, ForecastPipeline.ModelFile));
            var again = ForecastMetrics.Compute("LSTM", ForecastTrainer.Predict(loaded, data, data.ScoredTestOrigins),
                data.Actuals(data.ScoredTestOrigins), 96);
            Assert.That(again.Mse, Is.EqualTo(report.Results[0].Mse).Within(1e-12));
        });
    }
}

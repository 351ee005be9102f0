using System.Globalization;
using LstmNative.Training.Data;
using LstmNative.Forecasting;
using NUnit.Framework;

namespace LstmNative.Tests.Forecasting;

/// <summary>The synthetic series, the split protocols, the baselines and the metrics.</summary>
public class DataAndBaselineTests
{
    private static NumericTable Ramp(int rows, Func<int, double> f) =>
        new(["x"], Enumerable.Range(0, rows).Select(f).ToArray());

    [Test]
    public void SyntheticSeriesIsDeterministicAndLooksLikeLoad()
    {
        var a = SyntheticLoadSeries.Generate(24 * 7 * 8, seed: 3);
        var b = SyntheticLoadSeries.Generate(24 * 7 * 8, seed: 3);
        var c = SyntheticLoadSeries.Generate(24 * 7 * 8, seed: 4);
        Assert.That(a.Data, Is.EqualTo(b.Data));
        Assert.That(a.Data, Is.Not.EqualTo(c.Data));
        Assert.That(a.Columns, Is.EqualTo(new[] { "temperature", "load" }));
        Assert.That(a.Data.All(double.IsFinite), Is.True);
        var load = a.Column(1);
        // Daily cycle: evening hours above night hours; weekly cycle: weekdays above Sundays.
        double Mean(Func<int, bool> pick) => Enumerable.Range(0, load.Length).Where(pick).Average(i => load[i]);
        Assert.That(Mean(i => i % 24 == 19), Is.GreaterThan(1.2 * Mean(i => i % 24 == 3)));
        Assert.That(Mean(i => i / 24 % 7 == 2), Is.GreaterThan(Mean(i => i / 24 % 7 == 6)));
        Assert.That(SyntheticLoadSeries.Generate().RowCount, Is.EqualTo(2 * 365 * 24));
    }

    [TestCase(24)]
    [TestCase(48)]
    [TestCase(168)]
    [TestCase(336)]
    [TestCase(720)]
    public void EttProtocolCountsWindowsAndScoresMultiplesOf32(int horizon)
    {
        var data = ForecastData.Ett(Ramp(14400, i => Math.Sin(i * 0.1)), "ramp", "x", 96, horizon);
        Assert.That(data.TestOrigins, Has.Length.EqualTo(2881 - horizon));
        Assert.That(data.TestOrigins[0], Is.EqualTo(11520));
        Assert.That(data.TestOrigins[^1] + horizon, Is.EqualTo(14400));
        Assert.That(data.ScoredTestOrigins, Has.Length.EqualTo((2881 - horizon) / 32 * 32));
        Assert.That(data.ValidationOrigins[0], Is.EqualTo(8640));
        Assert.That(data.TrainOrigins[0], Is.EqualTo(96));
        Assert.That(data.TrainOrigins[^1] + horizon, Is.EqualTo(8640));
    }

    [Test]
    public void ScalingUsesTrainingRowsOnly()
    {
        var data = ForecastData.Chronological(Ramp(100, i => i), "ramp", "x", 5, 2, 0.5, 0.2);
        Assert.That(data.Scaler.Mean[0], Is.EqualTo(24.5));
        Assert.That(data.Scaler.StandardDeviation[0], Is.EqualTo(Math.Sqrt((50.0 * 50 - 1) / 12)).Within(1e-12));
        Assert.That(data.Unscale([data.Target[70]])[0], Is.EqualTo(70).Within(1e-9));
        Assert.That(data.TestOrigins[0], Is.EqualTo(70));
        Assert.That(data.TestOrigins, Has.Length.EqualTo(29));
    }

    [Test]
    public void TooFewRowsAreReportedInOneLine()
    {
        Assert.That(() => ForecastData.Chronological(Ramp(40, i => i), "tiny.csv", "x", 24, 6),
            Throws.TypeOf<DataFormatException>().With.Message.Contains("tiny.csv has 40 rows").And.Message.Contains("24 + 6"));
        Assert.That(() => ForecastData.Ett(Ramp(1000, i => i), "short.csv", "x", 96, 24),
            Throws.TypeOf<DataFormatException>().With.Message.Contains("needs 14400"));
    }

    [Test]
    public void BaselinesMatchHandComputedForecasts()
    {
        // Predictions are on the standardized scale; compare them in data units.
        var data = ForecastData.Chronological(Ramp(100, i => i % 7 + i / 7), "ramp", "x", 8, 5, 0.6, 0.2);
        double Unscaled(double v) => data.Unscale([v])[0];
        var forecast = new double[5];
        new PersistenceForecaster().Predict(data, 80, forecast);
        Assert.That(forecast.Select(Unscaled), Is.All.EqualTo(79 % 7 + 79 / 7).Within(1e-9));
        new SeasonalNaiveForecaster(3).Predict(data, 80, forecast);
        // ŷ[80+j] = y[80 + j - 3(⌊j/3⌋ + 1)]: rows 77, 78, 79, 77, 78.
        int[] rows = [77, 78, 79, 77, 78];
        Assert.That(forecast.Select(Unscaled), Is.EqualTo(rows.Select(r => (double)(r % 7 + r / 7))).Within(1e-9));
    }

    [Test]
    public void LinearArRecoversANoiselessAutoregression()
    {
        // y[t] = 1.6 y[t-1] - y[t-2] + 0.5: a sustained oscillation around 1.25 that a 2-lag AR with intercept reproduces exactly.
        var y = new double[400];
        y[0] = 3;
        y[1] = -2;
        for (int t = 2; t < y.Length; t++)
            y[t] = 1.6 * y[t - 1] - y[t - 2] + 0.5;
        var data = ForecastData.Chronological(new NumericTable(["y"], y), "ar", "y", 4, 1, 0.6, 0.2);
        var ar = LinearArForecaster.Fit(data, 2, ridge: 0);
        var f = new double[1];
        foreach (int s in data.TestOrigins)
        {
            ar.Predict(data, s, f);
            Assert.That(f[0], Is.EqualTo(data.Target[s]).Within(1e-6), $"origin {s}");
        }
    }

    [Test]
    public void DLinearFeaturesAreAMovingAverageTrendAndTheRemainder()
    {
        var features = new double[10];
        LinearArForecaster.Featurize([1, 2, 3, 4, 6], 3, features);
        double[] trend = [4.0 / 3, 2, 3, 13.0 / 3, 16.0 / 3]; // the window's ends repeated, as DLinear pads
        Assert.That(features[..5], Is.EqualTo(trend).Within(1e-12));
        Assert.That(features[5..], Is.EqualTo(new[] { 1 - trend[0], 0, 0, 4 - trend[3], 6 - trend[4] }).Within(1e-12));
    }

    [Test]
    public void PenaltiesChosenOnValidationDoNoWorseThereThanLeastSquares()
    {
        // A noisy AR(2) fitted with far more lags than it needs: least squares chases the noise, the penalty does not.
        var rng = new Random(5);
        var y = new double[700];
        for (int t = 2; t < y.Length; t++)
            y[t] = 0.6 * y[t - 1] - 0.3 * y[t - 2] + (rng.NextDouble() - 0.5);
        var data = ForecastData.Chronological(new NumericTable(["y"], y), "ar", "y", 60, 8, 0.6, 0.2);
        double Validation(LinearArForecaster m)
        {
            var f = new double[data.Horizon];
            double sum = 0;
            foreach (int s in data.ValidationOrigins)
            {
                m.Predict(data, s, f);
                for (int h = 0; h < f.Length; h++)
                    sum += (f[h] - data.Target[s + h]) * (f[h] - data.Target[s + h]);
            }
            return sum;
        }
        var leastSquares = LinearArForecaster.Fit(data, 60);
        var ridge = LinearArForecaster.FitOnValidation(data, 60);
        var dlinear = LinearArForecaster.FitOnValidation(data, 60, trendKernel: 25);
        Assert.That(LinearArForecaster.RidgeGrid, Does.Contain(ridge.Ridge));
        Assert.That(Validation(ridge), Is.LessThanOrEqualTo(Validation(leastSquares) * (1 + 1e-9)));
        Assert.That(ridge.Ridge, Is.GreaterThan(1e-6), "with 60 lags for an AR(2), some penalty must help");
        Assert.That(dlinear.Decomposed && dlinear.Name.StartsWith("DLinear", StringComparison.Ordinal), Is.True);
    }

    [Test]
    public void MetricsAreMeanSquaredAndAbsoluteErrors()
    {
        var m = ForecastMetrics.Compute("m", [1, 2, 3, 4], [1, 0, 3, 1], 2, [1, 2, 3, 4], [1, 0, 3, 1]);
        Assert.That(m.Windows, Is.EqualTo(2));
        Assert.That(m.MsePerStep, Is.EqualTo(new[] { 0.0, 6.5 }));
        Assert.That(m.MaePerStep, Is.EqualTo(new[] { 0.0, 2.5 }));
        Assert.That(m.Mse, Is.EqualTo(3.25));
        Assert.That(m.Mae, Is.EqualTo(1.25));
        Assert.That(m.Wape, Is.EqualTo(5.0 / 5.0));
    }

    [Test]
    public void Etth1NaiveBaselinesMatchThePublishedProtocolNumbers()
    {
        string shared = TestPaths.RequireShared();
        string csv = Path.Combine(shared, "data", "ETTh1.csv");
        string expected = Path.Combine(shared, "data", "etth1_naive_baselines.csv");
        if (!File.Exists(csv) || !File.Exists(expected))
            Assert.Ignore("shared/data/ETTh1.csv or etth1_naive_baselines.csv is absent");
        var table = CsvLoader.Load(csv, ["OT"]);
        foreach (var line in File.ReadLines(expected).Skip(1))
        {
            var v = line.Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            int horizon = (int)v[0];
            var data = ForecastData.Ett(table, "ETTh1", "OT", 96, horizon);
            Assert.That(data.ScoredTestOrigins, Has.Length.EqualTo((int)v[1]), $"windows at horizon {horizon}");
            Assert.That(data.Scaler.Mean[0], Is.EqualTo(17.128262).Within(1e-5));
            Assert.That(data.Scaler.StandardDeviation[0], Is.EqualTo(9.176491).Within(1e-5));
            var actual = data.Actuals(data.ScoredTestOrigins);
            foreach (var (forecaster, mse, mae) in new (IBaselineForecaster, double, double)[] { (new PersistenceForecaster(), v[2], v[3]), (new SeasonalNaiveForecaster(24), v[4], v[5]) })
            {
                var p = new double[actual.Length];
                for (int i = 0; i < data.ScoredTestOrigins.Length; i++)
                    forecaster.Predict(data, data.ScoredTestOrigins[i], p.AsSpan(i * horizon, horizon));
                var m = ForecastMetrics.Compute(forecaster.Name, p, actual, horizon);
                Assert.That(m.Mse, Is.EqualTo(mse).Within(5e-5), $"{forecaster.Name} MSE at horizon {horizon}");
                Assert.That(m.Mae, Is.EqualTo(mae).Within(5e-5), $"{forecaster.Name} MAE at horizon {horizon}");
            }
        }
    }
}

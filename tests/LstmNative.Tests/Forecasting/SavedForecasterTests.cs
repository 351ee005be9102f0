using LstmNative.Formats;
using LstmNative.Forecasting;
using LstmNative.Training.Data;
using NUnit.Framework;

namespace LstmNative.Tests.Forecasting;

/// <summary>
/// Forecasting new data from a saved run (<see cref="ForecasterCheckpoint.Open"/>, <see cref="SavedForecaster"/>): the
/// forecast from the raw history up to a test origin is the one the run scored there, for every kind of run; bad
/// histories and broken checkpoints are refused with the reason.
/// </summary>
public class SavedForecasterTests
{
    private const int Window = 48, Horizon = 12;

    public enum RunKind { TargetFromAllColumns, TargetAlone, EveryColumnChannelIndependent, TrainedOnEveryColumn, QuantileHeads }

    [Test]
    public void ACommitteeAveragesPointsQuantilesAndBandsAndRefusesMembersThatDiffer()
    {
        var random = new Random(TestContext.CurrentContext.Random.Next());
        double[] Values(int n) => Enumerable.Range(0, n).Select(_ => random.NextDouble() * 100 - 50).ToArray();
        double[] levels = [0.1, 0.5, 0.9];
        FutureForecast Member() => new(["a", "b"], 3, Values(6), levels, Values(18)) { ConformalBand = Values(12) };
        FutureForecast[] members = [Member(), Member(), Member()];
        var mean = FutureForecast.Mean(members);
        Assert.That(mean.Columns, Is.EqualTo(new[] { "a", "b" }));
        Assert.That((mean.Horizon, mean.Levels), Is.EqualTo((3, (IReadOnlyList<double>)levels)));
        for (int i = 0; i < 6; i++)
            Assert.That(mean.Values[i], Is.EqualTo(members.Average(m => m.Values[i])).Within(1e-12));
        for (int i = 0; i < 18; i++)
            Assert.That(mean.Quantiles![i], Is.EqualTo(members.Average(m => m.Quantiles![i])).Within(1e-12));
        for (int i = 0; i < 12; i++)
            Assert.That(mean.ConformalBand![i], Is.EqualTo(members.Average(m => m.ConformalBand![i])).Within(1e-12));
        Assert.That(FutureForecast.Mean([members[1]]).Values, Is.EqualTo(members[1].Values), "a committee of one is its member");

        var point = new FutureForecast(["a", "b"], 3, Values(6), null, null);
        Assert.That(FutureForecast.Mean([point, point]).Quantiles, Is.Null);
        (FutureForecast Other, string Says)[] differing =
        [
            (new FutureForecast(["a", "c"], 3, Values(6), levels, Values(18)) { ConformalBand = Values(12) }, "columns"),
            (new FutureForecast(["a", "b"], 2, Values(4), levels, Values(12)) { ConformalBand = Values(8) }, "horizon 2 against 3"),
            (new FutureForecast(["a", "b"], 3, Values(6), [0.2, 0.5, 0.8], Values(18)) { ConformalBand = Values(12) }, "quantile levels"),
            (point, "quantile levels"),
            (new FutureForecast(["a", "b"], 3, Values(6), levels, Values(18)), "conformal band"),
        ];
        foreach (var (other, says) in differing)
            Assert.That(() => FutureForecast.Mean([members[0], other]), Throws.ArgumentException.With.Message.Contains(says));
        Assert.That(() => FutureForecast.Mean([]), Throws.ArgumentException);
    }

    [TestCase(RunKind.TargetFromAllColumns)]
    [TestCase(RunKind.TargetAlone)]
    [TestCase(RunKind.EveryColumnChannelIndependent)]
    [TestCase(RunKind.TrainedOnEveryColumn)]
    [TestCase(RunKind.QuantileHeads)]
    public void ForecastsFromTheRawHistoryWhatTheRunScoredAtThatOrigin(RunKind kind)
    {
        int seed = TestContext.CurrentContext.Random.Next(1, 10_000);
        var raw = ForecastTestSeries.ThreeColumns(seed);
        var table = kind is RunKind.TargetAlone ? raw.SelectColumns("c") : raw;
        var data = ForecastData.EttLongHorizon(table, "three", "c", Window, Horizon);
        data = kind switch
        {
            RunKind.EveryColumnChannelIndependent => data.ChannelIndependent(),
            RunKind.TrainedOnEveryColumn => data.TrainedOnEveryColumn(),
            _ => data,
        };
        double[]? levels = kind is RunKind.QuantileHeads ? [0.1, 0.5, 0.9] : null;
        var shape = new ForecasterShape(data.Features, data.TargetColumn, Window, Horizon, Hidden: 5, Layers: 1, Patch: 4, Quantiles: levels);
        ForecastTestSeries.RunTinyJob(data, shape, (_, dir) =>
        {
            string path = Path.Combine(dir, ForecastPipeline.ModelFile);
            var saved = ForecasterCheckpoint.Open(path);
            string[] forecastColumns = kind is RunKind.EveryColumnChannelIndependent ? ["a", "b", "c"] : ["c"];
            Assert.That(saved.ForecastColumns, Is.EqualTo(forecastColumns));
            Assert.That(saved.ChannelIndependent, Is.EqualTo(kind is RunKind.EveryColumnChannelIndependent));
            Assert.That((saved.Window, saved.Horizon), Is.EqualTo((Window, Horizon)));

            // A test origin s: the history is the raw rows before s, its columns in another order plus one the model ignores.
            int s = data.ScoredTestOrigins[new Random(seed).Next(data.ScoredTestOrigins.Length / forecastColumns.Length)];
            var history = Reordered(raw, s);
            var forecast = saved.Forecast(history);

            // What the run scored: the checkpoint's model on the data's standardized windows, scaled back per column.
            var model = ForecasterCheckpoint.Load(path);
            int[] origins = [.. Enumerable.Range(0, forecastColumns.Length).Select(k => k * data.ChannelRows + s)];
            var scored = ForecastTrainer.Predict(model, data, origins);
            int q = levels?.Length ?? 1;
            for (int k = 0; k < forecastColumns.Length; k++)
            {
                var outputs = scored.AsSpan(k * Horizon * q, Horizon * q).ToArray();
                var point = levels is null ? outputs : new QuantileForecasts(levels, outputs, Horizon).PointForecast();
                int feature = data.Channels > 1 ? k : data.TargetColumn;
                data.Scaler.InverseTransformFeature(point, feature);
                for (int lead = 1; lead <= Horizon; lead++)
                    Assert.That(forecast[lead, k], Is.EqualTo(point[lead - 1]).Within(1e-9).Percent, $"{forecastColumns[k]} at lead {lead}");
                // The truth is in the data's units too: the forecast is on its scale (a few standard deviations at most).
                double sd = data.Scaler.StandardDeviation[feature], truth = raw[s, raw.ColumnIndex(forecastColumns[k])];
                Assert.That(Math.Abs(forecast[1, k] - truth), Is.LessThan(3 * sd), "lead 1 near the truth, in data units");
            }
            if (levels is not null)
            {
                for (int lead = 0; lead < Horizon; lead++)
                {
                    var band = forecast.Quantiles.AsSpan(lead * 3, 3);
                    Assert.That(band[0] <= band[1] && band[1] <= band[2], $"sorted band at lead {lead + 1}");
                    Assert.That(band[1], Is.EqualTo(forecast.Values[lead]), "the median head is the point forecast");
                }
                // The CQR band: the outer heads moved by the correction the run computed on its validation windows.
                var validation = new QuantileForecasts(levels, ForecastTrainer.Predict(model, data, data.ValidationOrigins), Horizon);
                var correction = validation.ConformalCorrection(data.Actuals(data.ValidationOrigins));
                var heads = new QuantileForecasts(levels, scored, Horizon);
                double[] lower = heads.Lower(), upper = heads.Upper();
                for (int l = 0; l < Horizon; l++)
                    (lower[l], upper[l]) = (lower[l] - correction[l], upper[l] + correction[l]);
                data.Scaler.InverseTransformFeature(lower, data.TargetColumn);
                data.Scaler.InverseTransformFeature(upper, data.TargetColumn);
                Assert.That(forecast.ConformalBand, Is.Not.Null, "a run with validation windows keeps its correction");
                for (int l = 0; l < Horizon; l++)
                {
                    Assert.That(forecast.ConformalBand![l * 2], Is.EqualTo(lower[l]).Within(1e-9).Percent, $"CQR lower edge, lead {l + 1}");
                    Assert.That(forecast.ConformalBand[l * 2 + 1], Is.EqualTo(upper[l]).Within(1e-9).Percent, $"CQR upper edge, lead {l + 1}");
                }
            }
            else
                Assert.That((forecast.Quantiles, forecast.ConformalBand), Is.EqualTo(((double[]?)null, (double[]?)null)));
        });
    }

    [Test]
    public void RefusesAHistoryItCannotRead()
    {
        var data = ForecastData.EttLongHorizon(ForecastTestSeries.ThreeColumns(5), "three", "c", Window, Horizon);
        var shape = new ForecasterShape(data.Features, data.TargetColumn, Window, Horizon, Hidden: 3, Layers: 1, Patch: 4);
        ForecastTestSeries.RunTinyJob(data, shape, (_, dir) =>
        {
            var saved = ForecasterCheckpoint.Open(Path.Combine(dir, ForecastPipeline.ModelFile));
            var raw = ForecastTestSeries.ThreeColumns(6);
            Assert.That(() => saved.Forecast(raw.SelectColumns("a", "c"), "x.csv"),
                Throws.TypeOf<DataFormatException>().With.Message.Contains("'b'").And.Message.Contains("no such column"));
            Assert.That(() => saved.Forecast(raw.SliceRows(0, Window - 1), "x.csv"),
                Throws.TypeOf<DataFormatException>().With.Message.Contains($"{Window - 1} rows").And.Message.Contains($"last {Window}"));
            Assert.That(() => saved.Forecast(raw.SliceRows(0, Window), "x.csv"), Throws.Nothing, "exactly one window is enough");
            var nan = raw.SliceRows(0, 200);
            nan.Data[(200 - Window) * 3 + 1] = double.NaN; // column b, the first row the forecast reads
            Assert.That(() => saved.Forecast(nan, "x.csv"),
                Throws.TypeOf<DataFormatException>().With.Message.Contains($"row {200 - Window + 1}").And.Message.Contains("'b'"));
            nan.Data[(200 - Window - 1) * 3 + 1] = double.NaN;
            nan.Data[(200 - Window) * 3 + 1] = 1;
            Assert.That(() => saved.Forecast(nan, "x.csv"), Throws.Nothing, "a NaN before the window is not read");
        });
    }

    [Test]
    public void RefusesBrokenCheckpoints()
    {
        var data = ForecastData.EttLongHorizon(ForecastTestSeries.ThreeColumns(7), "three", "c", Window, Horizon);
        var shape = new ForecasterShape(data.Features, data.TargetColumn, Window, Horizon, Hidden: 3, Layers: 1, Patch: 4);
        ForecastTestSeries.RunTinyJob(data, shape, (_, dir) =>
        {
            string path = Path.Combine(dir, ForecastPipeline.ModelFile);
            var file = SafetensorsReader.Read(path);
            var tensors = file.ReadAll().ToList();
            string Broken(string key, string? value)
            {
                var metadata = file.Metadata.ToDictionary(p => p.Key, p => p.Value);
                if (value is null)
                    metadata.Remove(key);
                else
                    metadata[key] = value;
                string broken = Path.Combine(dir, $"broken-{key}.safetensors");
                File.WriteAllBytes(broken, SafetensorsWriter.ToBytes(tensors, metadata));
                return broken;
            }
            void Refused(string broken, string fragment) =>
                Assert.That(() => ForecasterCheckpoint.Open(broken), Throws.TypeOf<ModelFormatException>().With.Message.Contains(fragment));

            Assert.That(() => ForecasterCheckpoint.Open(path), Throws.Nothing);
            Refused(Broken("format", "something else"), "not a forecaster checkpoint");
            Refused(Broken("scaler_mean", null), "'scaler_mean'");
            Refused(Broken("scaler_mean", "[1, 2]"), "2 means and 3 standard deviations");
            Refused(Broken("scaler_std", "[1, -2, 3]"), "standardization is unusable");
            Refused(Broken("columns", "[\"a\", \"b\"]"), "names 2 columns");
            Refused(Broken("columns", "[\"a\", \"a\", \"c\"]"), "distinct");
            Refused(Broken("target", "a"), "target 'a'");
            Refused(Broken("columns", "not json"), "'columns' is not valid");
            Refused(Broken(ForecasterCheckpoint.ConformalCorrectionKey, "[1, 2]"), "needs quantile heads");
            // A hostile shape must be refused before the model allocates what it claims.
            Refused(Broken("shape", System.Text.Json.JsonSerializer.Serialize(shape with { Hidden = 20_000 })), "at least");
            Refused(Broken("shape", System.Text.Json.JsonSerializer.Serialize(shape with { Patch = 5 })), "multiple of the patch");
        });
    }

    // The raw rows before s with the columns as c, x (ignored by the model), a, b.
    private static NumericTable Reordered(NumericTable raw, int s)
    {
        var data = new double[s * 4];
        for (int r = 0; r < s; r++)
        {
            data[r * 4] = raw[r, 2];
            data[r * 4 + 1] = -1;
            data[r * 4 + 2] = raw[r, 0];
            data[r * 4 + 3] = raw[r, 1];
        }
        return new NumericTable(["c", "x", "a", "b"], data);
    }
}

using System.Text.Json;
using LstmNative.Training;
using LstmNative.Training.Data;
using LstmNative.Forecasting;
using NUnit.Framework;

namespace LstmNative.Tests.Forecasting;

/// <summary>
/// Quantile heads of the forecaster: trained on a series whose conditional distribution is known they cover at their
/// nominal rates; the band's scoring, the conformal correction, the plot and the job's files.
/// </summary>
public class QuantileForecastTests
{
    private static readonly double[] Levels = [0.1, 0.5, 0.9];

    // Random walk y_t = y_{t-1} + ε_t, ε ~ N(0, σ²): given the window, y_{t+h} − y_t ~ N(0, h·σ²) exactly, so the
    // τ-head at lead step h must be y_t + z_τ·σ·√h (standardized: σ over the training rows' standard deviation).
    private static ForecastData RandomWalk(int rows, double sigma, int seed, int window, int horizon)
    {
        var rng = new Random(seed);
        var data = new double[rows];
        for (int t = 1; t < rows; t++)
            data[t] = data[t - 1] + sigma * Normal(rng);
        return ForecastData.Chronological(new NumericTable(["y"], data), "random walk", "y", window, horizon);
    }

    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static ForecasterShape Shape(ForecastData d, IReadOnlyList<double>? levels) =>
        new(d.Features, d.TargetColumn, d.Window, d.Horizon, Hidden: 4, Layers: 1, Patch: d.Window, Quantiles: levels);

    [Test]
    public void HeadsTrainedOnARandomWalkCoverAtTheirNominalRates()
    {
        const int horizon = 3;
        var data = RandomWalk(12000, sigma: 0.7, seed: 11, window: 12, horizon);
        var model = new LstmForecaster<float>(Shape(data, Levels), new Random(2));
        // The walk's training rows spread over many σ, so σ is small on the standardized scale (about 0.03): a small
        // learning rate, or Adam's steps would jitter the heads by a sizeable part of σ.
        var settings = new TrainingSettings(Epochs: 12, BatchSize: 64, LearningRate: 2e-3, WindowsPerEpoch: 2048, Patience: 3, Seed: 2);
        ForecastTrainer.Train(model, data, settings);

        var origins = data.TestOrigins;
        var raw = ForecastTrainer.Predict(model, data, origins);
        var actuals = data.Actuals(origins);
        Assert.That(raw, Has.Length.EqualTo(origins.Length * horizon * Levels.Length));
        // The raw heads, in the order the loss was given the levels (sorting would hide a swap): the share below each
        // head at each lead step is its level.
        for (int h = 0; h < horizon; h++)
            for (int k = 0; k < Levels.Length; k++)
            {
                int below = 0;
                for (int n = 0; n < origins.Length; n++)
                    if (actuals[n * horizon + h] < raw[(n * horizon + h) * Levels.Length + k])
                        below++;
                TestContext.Out.WriteLine($"step {h + 1}, level {Levels[k]}: share below {(double)below / origins.Length:F4}");
                Assert.That((double)below / origins.Length, Is.EqualTo(Levels[k]).Within(0.03), $"share below the {Levels[k]:P0} head at step {h + 1}");
            }

        var forecasts = new QuantileForecasts(Levels, raw, horizon);
        Assert.That(forecasts.CrossedShare, Is.LessThan(0.01), "heads in the right order rarely cross");
        double sigma = 0.7 / data.Scaler.StandardDeviation[0];
        var report = forecasts.Score("heads", actuals, data.Scaler.StandardDeviation[0]);
        TestContext.Out.WriteLine($"coverage {report.Coverage:F4} per step {string.Join(", ", report.CoveragePerStep.Select(c => c.ToString("F4")))}; " +
            $"width per step {string.Join(", ", report.MeanWidthPerStep.Select(c => c.ToString("F4")))}, σ {sigma:F4}; crossed {forecasts.CrossedShare:F4}");
        Assert.That(report.Coverage, Is.EqualTo(0.8).Within(0.03));
        for (int h = 0; h < horizon; h++)
        {
            Assert.That(report.CoveragePerStep[h], Is.EqualTo(0.8).Within(0.04), $"coverage at step {h + 1}");
            double expected = 2 * 1.2816 * sigma * Math.Sqrt(h + 1);
            Assert.That(report.MeanWidthPerStep[h], Is.EqualTo(expected).Within(0.06 * expected), $"80 % width at step {h + 1} is 2·1.28·σ·√h");
        }
        Assert.That(report.MeanWidthUnits, Is.EqualTo(report.MeanWidth * data.Scaler.StandardDeviation[0]).Within(1e-9));
        var point = forecasts.PointForecast();
        Assert.That(point, Is.EqualTo(forecasts.Level(1)));
    }

    [Test]
    public void ValidationLossIsThePinballLossOfTheHeads()
    {
        var data = RandomWalk(800, 1, 3, 12, 2);
        var model = new LstmForecaster<float>(Shape(data, Levels), new Random(1));
        // Untrained: every head is persistence, so each level's loss is its pinball loss of the change.
        double expected = 0;
        var actual = data.Actuals(data.ValidationOrigins);
        for (int n = 0; n < data.ValidationOrigins.Length; n++)
        {
            double last = data.Target[data.ValidationOrigins[n] - 1];
            for (int h = 0; h < 2; h++)
                foreach (double tau in Levels)
                {
                    double u = actual[n * 2 + h] - last;
                    expected += Math.Max(tau * u, (tau - 1) * u);
                }
        }
        expected /= data.ValidationOrigins.Length * 2 * Levels.Length;
        Assert.That(ForecastTrainer.Evaluate(model, data, data.ValidationOrigins), Is.EqualTo(expected).Within(1e-5));
    }

    [Test]
    public void CrossedHeadsAreSortedAndCountedAndTheBandIsScored()
    {
        // Two windows, horizon 2; levels 0.1, 0.5, 0.9. Window 0 step 1 has crossed heads (3, 1, 2).
        double[] raw = [-1, 0, 1, 3, 1, 2, /* window 1 */ double.NaN, 0, 1, -2, 0, 2];
        var f = new QuantileForecasts(Levels, raw, 2);
        Assert.That(f.Windows, Is.EqualTo(2));
        Assert.That(f.CrossedShare, Is.EqualTo(0.25), "one of four window steps");
        Assert.That(f.Lower(), Is.EqualTo(new[] { -1, 1, double.NaN, -2 }));
        Assert.That(f.Upper(), Is.EqualTo(new[] { 1, 3, 1, 2 }));
        Assert.That(f.PointForecast(), Is.EqualTo(new[] { 0, 2, 0, 0 }));
        double[] actual = [1, 0, 0, 5];
        var r = f.Score("t", actual, scale: 10);
        Assert.That(r.CoveragePerStep, Is.EqualTo(new[] { 0.5, 0.0 }), "the edge is inside; a NaN edge covers nothing");
        Assert.That(r.Coverage, Is.EqualTo(0.25));
        Assert.That(r.MeanWidthPerStep[1], Is.EqualTo(3).Within(1e-12));
        Assert.That(r.ShareBelow, Is.EqualTo(new[] { 0.25, 0.25, 0.5 }), "NaN is never above an actual value");
        Assert.That(r.Nominal, Is.EqualTo(0.8).Within(1e-12));
        Assert.That(r.CorrectionPerStep, Is.Null);
    }

    [Test]
    public void ConformalCorrectionTakesTheNominalRankOfTheScores()
    {
        // 9 validation windows, horizon 1, band [0, 0]: scores are |y|; with nominal 0.8 the rank is ⌈10·0.8⌉ = 8.
        double[] y = [1, -2, 3, -4, 5, -6, 7, -8, 9];
        var raw = new double[9 * 3];
        var f = new QuantileForecasts(Levels, raw, 1);
        Assert.That(f.ConformalCorrection(y), Is.EqualTo(new[] { 8.0 }));
        var widened = f.Score("cqr", y, 1, f.ConformalCorrection(y));
        Assert.That(widened.Coverage, Is.EqualTo(8.0 / 9).Within(1e-12));
        Assert.That(widened.MeanWidth, Is.EqualTo(16).Within(1e-12));
        // A band wider than needed is narrowed: band [−20, 20] gives scores |y| − 20 < 0.
        for (int i = 0; i < 9; i++)
        {
            raw[i * 3] = -20;
            raw[i * 3 + 2] = 20;
        }
        Assert.That(new QuantileForecasts(Levels, raw, 1).ConformalCorrection(y), Is.EqualTo(new[] { -12.0 }));
        // Too few windows for the rank: infinite.
        Assert.That(new QuantileForecasts(Levels, new double[3 * 3], 1).ConformalCorrection([1, 2, 3]), Is.EqualTo(new[] { double.PositiveInfinity }));
    }

    [TestCase("0.1,0.9", new[] { 0.1, 0.5, 0.9 })]
    [TestCase("0.9, 0.05,0.5,0.9", new[] { 0.05, 0.5, 0.9 })]
    public void QuantileListsAreParsedSortedAndGetTheMedian(string text, double[] expected) =>
        Assert.That(ForecasterShape.ParseQuantiles(text), Is.EqualTo(expected));

    [TestCase("0.1,1")]
    [TestCase("0,0.5")]
    [TestCase("0.5")]
    [TestCase("0.1,x")]
    [TestCase("NaN")]
    public void BadQuantileListsAreRefused(string text) =>
        Assert.Throws<FormatException>(() => ForecasterShape.ParseQuantiles(text));

    [Test]
    public void ShapesWithBadLevelsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => new ForecasterShape(1, 0, 4, 2, Quantiles: [0.9, 0.5, 0.1]).Validate());
        Assert.Throws<ArgumentException>(() => new ForecasterShape(1, 0, 4, 2, Quantiles: [0.1, 0.9]).Validate());
        Assert.Throws<ArgumentException>(() => new ForecasterShape(1, 0, 4, 2, Quantiles: [0.5]).Validate());
        Assert.That(new ForecasterShape(1, 0, 4, 2, Quantiles: Levels).Outputs, Is.EqualTo(6));
    }

    [Test]
    public void TheBandIsDrawnOverNaNAndConstantData()
    {
        double[] constant = Enumerable.Repeat(5.0, 48).ToArray();
        var withGaps = constant.Select((v, i) => i % 7 == 3 ? double.NaN : v - 1).ToArray();
        var upper = constant.Select((v, i) => i == 10 ? double.PositiveInfinity : v + 1).ToArray();
        foreach (var band in new[]
        {
            new ForecastBand("band", constant, constant),
            new ForecastBand("band", withGaps, upper),
            new ForecastBand("band", Enumerable.Repeat(double.NaN, 48).ToArray(), Enumerable.Repeat(double.NaN, 48).ToArray()),
        })
        {
            byte[] png = ForecastPlots.Forecast("t", "u", constant, [("LSTM", constant), ("other", withGaps)], band);
            Assert.That(png.Take(4), Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }));
        }
        Assert.Throws<ArgumentException>(() => ForecastPlots.Forecast("t", "u", constant, [], new ForecastBand("b", [1], [2])));
    }

    [Test]
    public void TheQuantileJobReportsTheBandAndWritesItsFilesTogether()
    {
        var data = ForecastData.Chronological(SyntheticLoadSeries.Generate(24 * 60, seed: 2), "small", "load", 48, 6);
        var shape = new ForecasterShape(data.Features, data.TargetColumn, 48, 6, Hidden: 6, Layers: 1, Patch: 24, Quantiles: Levels);
        var settings = new TrainingSettings(Epochs: 2, BatchSize: 32, LearningRate: 3e-3, WindowsPerEpoch: 128, Patience: 2, Seed: 4);
        var dir = Directory.CreateTempSubdirectory("lstmnative-quantile-");
        try
        {
            string report = Path.Combine(dir.FullName, "report.json");
            var outcome = ForecastPipeline.Run(data, new ForecastJob(shape, settings, Path.Combine(dir.FullName, "out"), report));
            foreach (var name in ForecastPipeline.OutputFiles)
                Assert.That(File.Exists(Path.Combine(dir.FullName, "out", name)), name);
            Assert.That(outcome.Files, Has.Count.EqualTo(ForecastPipeline.OutputFiles.Count + 1));
            Assert.That(Directory.GetFiles(dir.FullName, "*.tmp", SearchOption.AllDirectories), Is.Empty);
            Assert.That(File.Exists(Path.Combine(dir.FullName, "out", ForecastPipeline.PartialModelFile)), Is.False);

            var intervals = outcome.Report.Intervals!;
            Assert.That(intervals.Select(i => i.Method), Is.EqualTo(new[] { "quantile heads", "quantile heads, conformalized on the validation split (CQR)" }));
            Assert.That(intervals[1].CorrectionPerStep, Has.Length.EqualTo(6));
            using var json = JsonDocument.Parse(File.ReadAllText(report));
            var first = json.RootElement.GetProperty("intervals")[0];
            Assert.That(first.GetProperty("coveragePerStep").GetArrayLength(), Is.EqualTo(6));
            Assert.That(first.GetProperty("nominal").GetDouble(), Is.EqualTo(0.8).Within(1e-12));
            Assert.That(first.GetProperty("coverage").GetDouble(), Is.InRange(0.0, 1.0));
            Assert.That(first.GetProperty("meanWidth").GetDouble(), Is.GreaterThan(0));

            // The LSTM row scores the median head: recompute it from the model.
            var model = new LstmForecaster<float>(shape, new Random(1));
            var scored = data.ScoredTestOrigins;
            var checkpoint = LstmNative.Formats.SafetensorsReader.Read(Path.Combine(dir.FullName, "out", ForecastPipeline.ModelFile));
            foreach (var p in model.Parameters())
                checkpoint.Read(p.Name).ToFloats().CopyTo(p.Value.Data, 0);
            var median = new QuantileForecasts(Levels, ForecastTrainer.Predict(model, data, scored), 6).PointForecast();
            var metrics = ForecastMetrics.Compute("LSTM", median, data.Actuals(scored), 6);
            Assert.That(outcome.Report.Results[0].Mse, Is.EqualTo(metrics.Mse).Within(1e-12));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Test]
    public void QuantileHeadsRefuseAnAccelerator()
    {
        var data = RandomWalk(800, 1, 3, 12, 2);
        var shape = Shape(data, Levels);
        var dir = Path.Combine(Path.GetTempPath(), $"lstmnative-quantile-{Guid.NewGuid():N}");
        var job = new ForecastJob(shape, new TrainingSettings(Epochs: 1), dir, Accelerator: (_, _, _) => null);
        Assert.That(() => ForecastPipeline.Run(data, job), Throws.ArgumentException.With.Message.Contains("CPU only"));
        Assert.That(Directory.Exists(dir), Is.False, "refused before anything is written");
        // The GPU trainer's options (MSE over one output per step) refuse quantile heads too.
        Assert.Throws<ArgumentException>(() => GpuForecastAccelerator.OptionsFor(new LstmForecaster<float>(shape, new Random(1)), new TrainingSettings(), 64));
    }
}

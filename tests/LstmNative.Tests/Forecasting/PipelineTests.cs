using LstmNative.Formats;
using System.Text.Json;
using LstmNative.Training.Data;
using LstmNative.Forecasting;
using NUnit.Framework;

namespace LstmNative.Tests.Forecasting;

/// <summary>Training and the end-to-end job on small data: determinism, early stopping, interruption, files and report.</summary>
public class PipelineTests
{
    private static ForecastData SmallData(int rows = 24 * 60) =>
        ForecastData.Chronological(SyntheticLoadSeries.Generate(rows, seed: 2), "small", "load", 48, 6);

    private static ForecasterShape Shape(ForecastData d) => new(d.Features, d.TargetColumn, d.Window, d.Horizon, Hidden: 6, Layers: 2, Patch: 24);

    private static TrainingSettings Quick(int epochs = 3) => new(Epochs: epochs, BatchSize: 32, LearningRate: 3e-3, WindowsPerEpoch: 128, Patience: 2, Seed: 4);

    [Test]
    public void TrainingIsDeterministicForASeed()
    {
        var data = SmallData();
        var a = new LstmForecaster<float>(Shape(data), new Random(4));
        var b = new LstmForecaster<float>(Shape(data), new Random(4));
        var ra = ForecastTrainer.Train(a, data, Quick());
        var rb = ForecastTrainer.Train(b, data, Quick());
        Assert.That(ra.Epochs.Select(e => e.ValidationLoss), Is.EqualTo(rb.Epochs.Select(e => e.ValidationLoss)));
        Assert.That(a.Parameters().SelectMany(p => p.Value.Data), Is.EqualTo(b.Parameters().SelectMany(p => p.Value.Data)));
        Assert.That(ra.GradientFlow.Steps, Has.Count.EqualTo(3 * 4));
        Assert.That(ra.GradientFlow.Layers, Is.EqualTo(new[] { "lstm.layer0", "lstm.layer1", "head", "highway" }));
    }

    [Test]
    public void TrainingImprovesOnPersistenceAndKeepsTheBestEpoch()
    {
        var data = SmallData();
        var model = new LstmForecaster<float>(Shape(data), new Random(4));
        double before = ForecastTrainer.Evaluate(model, data, data.ValidationOrigins);
        var result = ForecastTrainer.Train(model, data, Quick(6));
        double after = ForecastTrainer.Evaluate(model, data, data.ValidationOrigins);
        Assert.That(after, Is.LessThan(before), "an untrained forecaster is persistence; training must do better on validation");
        Assert.That(after, Is.EqualTo(result.BestValidationLoss).Within(1e-9), "the best epoch's weights are restored");
        Assert.That(result.Epochs.Min(e => e.ValidationLoss), Is.EqualTo(result.BestValidationLoss));
    }

    [Test]
    public void TheJobWritesModelPlotsGradientLogAndReport()
    {
        var data = SmallData();
        var dir = Directory.CreateTempSubdirectory("lstmnative-forecast-");
        try
        {
            string report = Path.Combine(dir.FullName, "report.json");
            var outcome = ForecastPipeline.Run(data, new ForecastJob(Shape(data), Quick(2), Path.Combine(dir.FullName, "out"), report));
            foreach (var name in new[] { "model.safetensors", "forecast.png", "loss.png", "gradient_flow.png", "cell_state.png", "gradient_norms.csv" })
            {
                string path = Path.Combine(dir.FullName, "out", name);
                Assert.That(File.Exists(path), name);
                if (name.EndsWith(".png", StringComparison.Ordinal))
                    Assert.That(File.ReadAllBytes(path).Take(4), Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }), name);
            }
            Assert.That(outcome.Files, Has.Count.EqualTo(7));
            Assert.That(Directory.GetFiles(dir.FullName, "*.tmp", SearchOption.AllDirectories), Is.Empty);

            using var json = JsonDocument.Parse(File.ReadAllText(report));
            var results = json.RootElement.GetProperty("results");
            var names = results.EnumerateArray().Select(r => r.GetProperty("name").GetString()!).ToArray();
            Assert.That(names, Has.Length.EqualTo(6));
            Assert.That(names[..4], Is.EqualTo(new[] { "LSTM", "persistence", "seasonal naive (24)", "linear AR (48 lags)" }));
            Assert.That(names[4], Does.StartWith("ridge AR (48 lags, ridge "));
            Assert.That(names[5], Does.StartWith("DLinear (trend 25 + remainder, 48 lags"));
            foreach (var r in results.EnumerateArray())
            {
                Assert.That(r.GetProperty("horizon").GetInt32(), Is.EqualTo(6));
                Assert.That(r.GetProperty("msePerStep").GetArrayLength(), Is.EqualTo(6));
                Assert.That(r.GetProperty("mse").GetDouble(), Is.GreaterThan(0));
                Assert.That(r.GetProperty("mae").GetDouble(), Is.GreaterThan(0));
            }
            Assert.That(json.RootElement.GetProperty("runTimeSeconds").GetDouble(), Is.GreaterThan(0));
            Assert.That(json.RootElement.GetProperty("device").GetString(), Is.EqualTo("cpu"));
            Assert.That(json.RootElement.GetProperty("settings").GetProperty("training").GetProperty("seed").GetInt32(), Is.EqualTo(4));

            var checkpoint = SafetensorsReader.Read(Path.Combine(dir.FullName, "out", "model.safetensors"));
            Assert.That(checkpoint.Info("lstm.weight_ih_l0").Shape, Is.EqualTo(new[] { 24, 48 }));
            Assert.That(checkpoint.Metadata["target"], Is.EqualTo("load"));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Test]
    public void AnInterruptedRunKeepsTheBestCheckpoint()
    {
        var data = SmallData();
        var dir = Directory.CreateTempSubdirectory("lstmnative-forecast-");
        try
        {
            using var cancel = new CancellationTokenSource();
            // Cancel as soon as the first epoch has finished (and so its checkpoint has been written).
            var progress = new Progress(p =>
            {
                if (p.LastEpoch is not null)
                    cancel.Cancel();
            });
            Assert.That(() => ForecastPipeline.Run(data, new ForecastJob(Shape(data), Quick(5), dir.FullName), progress, cancel.Token),
                Throws.InstanceOf<OperationCanceledException>());
            Assert.That(File.Exists(Path.Combine(dir.FullName, ForecastPipeline.PartialModelFile)), Is.True);
            Assert.That(File.Exists(Path.Combine(dir.FullName, ForecastPipeline.ModelFile)), Is.False, "only a finished run writes the model");
            Assert.That(File.Exists(Path.Combine(dir.FullName, "loss.png")), Is.False, "nothing else is half-written");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Test]
    public void AnInterruptedSecondRunLeavesTheFinishedRunsFiles()
    {
        var data = SmallData();
        var dir = Directory.CreateTempSubdirectory("lstmnative-forecast-");
        try
        {
            string report = Path.Combine(dir.FullName, "report.json");
            ForecastPipeline.Run(data, new ForecastJob(Shape(data), Quick(2), dir.FullName, report));
            var before = Directory.GetFiles(dir.FullName).ToDictionary(f => f, File.ReadAllBytes);
            using var cancel = new CancellationTokenSource();
            var progress = new Progress(p =>
            {
                if (p.LastEpoch is not null)
                    cancel.Cancel();
            });
            Assert.That(() => ForecastPipeline.Run(data, new ForecastJob(Shape(data), Quick(5) with { Seed = 9 }, dir.FullName, report), progress, cancel.Token),
                Throws.InstanceOf<OperationCanceledException>());
            foreach (var (path, bytes) in before)
                Assert.That(File.ReadAllBytes(path), Is.EqualTo(bytes), path);
            Assert.That(File.Exists(Path.Combine(dir.FullName, ForecastPipeline.PartialModelFile)), Is.True, "the interrupted run's best weights are kept apart");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Test]
    public void ADivergingRunStopsWithAClearMessage()
    {
        var data = SmallData();
        var model = new LstmForecaster<float>(Shape(data), new Random(4));
        var e = Assert.Throws<TrainingDivergedException>(() => ForecastTrainer.Train(model, data, Quick(3) with { LearningRate = 1e30 }));
        Assert.That(e!.Message, Does.Contain("diverged").And.Contain("lower --lr"));
    }

    [Test]
    public void HugeValuesAndAnEttHorizonWithoutScoredWindowsAreNamed()
    {
        var table = SyntheticLoadSeries.Generate(24 * 60, seed: 2);
        var huge = new NumericTable(table.Columns, table.Data.Select((v, i) => i % 2 == 0 ? 1e300 * (1 + i % 3) : v).ToArray());
        var e = Assert.Throws<DataFormatException>(() => ForecastData.Chronological(huge, "big.csv", "load", 48, 6));
        Assert.That(e!.Message, Does.Contain("big.csv").And.Contain("too large"));
        var ett = SyntheticLoadSeries.Generate(14400, seed: 2);
        var e2 = Assert.Throws<DataFormatException>(() => ForecastData.Ett(ett, "ETTh1.csv", "load", 96, 2850));
        Assert.That(e2!.Message, Does.Contain("ETTh1.csv").And.Contain("horizon 2850"));
    }

    [Test]
    public void CsvWithATimestampColumnLoadsTheNumericColumns()
    {
        var dir = Directory.CreateTempSubdirectory("lstmnative-csv-");
        try
        {
            string path = Path.Combine(dir.FullName, "d.csv");
            File.WriteAllText(path, "date,a,OT\n2016-07-01 00:00:00,1,2\n2016-07-01 01:00:00,3,4\n");
            Assert.That(ForecastDataSource.LoadCsv(path, "OT", allFeatures: true).Columns, Is.EqualTo(new[] { "a", "OT" }));
            Assert.That(ForecastDataSource.LoadCsv(path, "OT", allFeatures: false).Columns, Is.EqualTo(new[] { "OT" }));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private sealed class Progress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}

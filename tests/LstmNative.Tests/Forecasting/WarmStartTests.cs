using LstmNative.Forecasting;
using LstmNative.Training;
using LstmNative.Training.Data;
using NUnit.Framework;

namespace LstmNative.Tests.Forecasting;

/// <summary>
/// <see cref="ForecastJob.InitFrom"/> (<c>forecast --init-from</c>): training starts from a saved run's weights, scores
/// them as epoch 0 and keeps them unless an epoch beats them; a model of another shape or other columns is refused
/// before anything is written.
/// </summary>
public class WarmStartTests
{
    private const int Window = 48, Horizon = 12;

    private static ForecastData Data(NumericTable table) => ForecastData.EttLongHorizon(table, "three", table.Columns[^1], Window, Horizon);

    private static ForecasterShape Shape(ForecastData data, int hidden = 5) =>
        new(data.Features, data.TargetColumn, Window, Horizon, Hidden: hidden, Layers: 1, Patch: 4);

    private static ForecastOutcome Run(ForecastData data, ForecasterShape shape, string dir, string? initFrom, double lr = 1e-3, int seed = 3) =>
        ForecastPipeline.Run(data, new ForecastJob(shape, new TrainingSettings(Epochs: 1, BatchSize: 64, WindowsPerEpoch: 128, Seed: seed,
            LearningRate: lr), dir, LinearBaselines: false, InitFrom: initFrom));

    [TestCase(1e-3)]
    [TestCase(0.5)]
    public void StartsFromTheSavedWeightsAndKeepsThemUnlessAnEpochIsBetter(double lr)
    {
        int seed = TestContext.CurrentContext.Random.Next(1, 10_000);
        var data = Data(ForecastTestSeries.ThreeColumns(seed));
        var root = Directory.CreateTempSubdirectory("lstmnative-ci-");
        try
        {
            string first = Path.Combine(root.FullName, "first"), second = Path.Combine(root.FullName, "second");
            Run(data, Shape(data), first, null);
            string saved = Path.Combine(first, ForecastPipeline.ModelFile);
            var savedModel = ForecasterCheckpoint.Load(saved);
            double savedValidation = ForecastTrainer.Evaluate(savedModel, data, data.ValidationOrigins);
            // Another seed: a random start would differ, so epoch 0's score says the saved weights were loaded.
            var report = Run(data, Shape(data), second, saved, lr, seed: 11).Report;
            Assert.That(report.StartedFrom, Is.EqualTo(saved));
            Assert.That(report.Settings.Training.StartsFromWeights, Is.True);
            Assert.That(report.InitialValidationLoss, Is.EqualTo(savedValidation).Within(1e-12).Percent, "epoch 0 is the saved model");
            var result = ForecasterCheckpoint.Load(Path.Combine(second, ForecastPipeline.ModelFile));
            var before = savedModel.Parameters().Select(p => p.Value.Data).ToArray();
            var after = result.Parameters().Select(p => p.Value.Data).ToArray();
            if (report.BestEpoch == 0)
                Assert.That(after, Is.EqualTo(before), "no epoch was better on validation: the saved weights are the result, unchanged");
            else
            {
                Assert.That(report.Epochs[0].ValidationLoss, Is.LessThan(report.InitialValidationLoss), "an epoch replaced the start only by beating it");
                Assert.That(after, Is.Not.EqualTo(before));
            }
            TestContext.Out.WriteLine($"lr {lr}: epoch 0 {report.InitialValidationLoss:F5}, epoch 1 {report.Epochs[0].ValidationLoss:F5}, best {report.BestEpoch}");
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Test]
    public void RefusesAModelOfAnotherShapeOrOtherColumnsBeforeWritingAnything()
    {
        var data = Data(ForecastTestSeries.ThreeColumns(4));
        ForecastTestSeries.RunTinyJob(data, Shape(data), (_, dir) =>
        {
            string saved = Path.Combine(dir, ForecastPipeline.ModelFile), other = Path.Combine(dir, "other");
            Assert.That(() => Run(data, Shape(data, hidden: 6), other, saved),
                Throws.ArgumentException.With.Message.Contains("hidden 5").And.Message.Contains("hidden 6"));
            var renamed = ForecastTestSeries.ThreeColumns(4);
            var x = Data(new NumericTable(["a", "b", "x"], renamed.Data));
            Assert.That(() => Run(x, Shape(x), other, saved),
                Throws.ArgumentException.With.Message.Contains("[a, b, c]").And.Message.Contains("[a, b, x]"));
            var independent = data.ChannelIndependent();
            var oneFeature = new ForecasterShape(1, 0, Window, Horizon, Hidden: 5, Layers: 1, Patch: 4);
            Assert.That(() => Run(independent, oneFeature, other, saved), Throws.ArgumentException);
            Assert.That(() => ForecastPipeline.Run(data, new ForecastJob(Shape(data), new TrainingSettings(Epochs: 1, HighwayInit: "ridge"), other,
                LinearBaselines: false, InitFrom: saved)), Throws.ArgumentException.With.Message.Contains("ridge"));
            Assert.That(Directory.Exists(other), Is.False, "nothing written");
        });
    }
}

using LstmNative.Gpu.Tests.Emulation;
using LstmNative.Gpu.Training;
using LstmNative.Model;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Training;

/// <summary>GpuRnnTrainer end to end on the CPU emulation: its loss curve against the CPU training stack.</summary>
public class EmulatedTrainerTests
{
    [Test]
    public void ManyToOneRegressorFollowsTheCpuLossCurve()
    {
        using var trainer = new GpuRnnTrainer(new EmulatedBackend().CreateArena(), TrainingRuns.LstmRegressor(), ownsDevice: true);
        var (gpu, cpu) = TrainingRuns.Run(trainer, 16, 7, 4);
        TestContext.Out.WriteLine(string.Join(", ", gpu.Zip(cpu, (g, c) => $"{g:G6}/{c:G6}")));
        Assert.That(gpu, Is.EqualTo(cpu).Within(1e-4).Percent);
        Assert.That(gpu[^1], Is.LessThan(gpu[0]), "it learns");
    }

    [Test]
    public void SequenceToSequenceWithSgdHuberAndValueClipping()
    {
        using var trainer = new GpuRnnTrainer(new EmulatedBackend().CreateArena(), TrainingRuns.SequenceToSequence(), ownsDevice: true);
        var (gpu, cpu) = TrainingRuns.Run(trainer, 12, 6, 3);
        Assert.That(gpu, Is.EqualTo(cpu).Within(1e-4).Percent);
    }

    [Test]
    public void AReplayedStepIsTheSameAsAQueuedOne()
    {
        using var eager = new GpuRnnTrainer(new EmulatedBackend().CreateArena(), TrainingRuns.LstmRegressor(graph: false), ownsDevice: true);
        var device = new EmulatedBackend();
        using var graphed = new GpuRnnTrainer(device.CreateArena(), TrainingRuns.LstmRegressor(graph: true), ownsDevice: true);
        var (a, _) = TrainingRuns.Run(eager, 6, 5, 3);
        int before = device.Executed.Values.Sum();
        var (b, _) = TrainingRuns.Run(graphed, 6, 5, 3);
        Assert.That(b, Is.EqualTo(a), "capture + replay gives the eager run's losses exactly");
        Assert.That(device.Executed.Values.Sum() - before, Is.GreaterThan(0));
    }

    [Test]
    public void TheFirstStepOfAShapeRunsDirectlyAndTheSecondIsCaptured()
    {
        var device = new EmulatedBackend();
        using var trainer = new GpuRnnTrainer(device.CreateArena(), TrainingRuns.LstmRegressor(graph: true), ownsDevice: true);
        TrainingRuns.Run(trainer, 1, 5, 3);
        Assert.That(device.CapturesBegun, Is.Zero, "no capture on the first step of a shape (libraries set themselves up then)");
        TrainingRuns.Run(trainer, 3, 5, 3);
        Assert.That(device.CapturesBegun, Is.EqualTo(1), "captured once, on the second step, then replayed");
        Assert.That(trainer.GraphFailure, Is.Null);
    }

    [Test]
    public void AFailedCaptureFallsBackToDirectLaunchesWithTheSameLosses()
    {
        using var eager = new GpuRnnTrainer(new EmulatedBackend().CreateArena(), TrainingRuns.LstmRegressor(graph: false), ownsDevice: true);
        var device = new EmulatedBackend { FailCaptures = true };
        using var graphed = new GpuRnnTrainer(device.CreateArena(), TrainingRuns.LstmRegressor(graph: true), ownsDevice: true);
        var (a, _) = TrainingRuns.Run(eager, 6, 5, 3);
        var (b, _) = TrainingRuns.Run(graphed, 6, 5, 3);
        Assert.Multiple(() =>
        {
            Assert.That(b, Is.EqualTo(a), "the step that failed to capture still ran, once");
            Assert.That(device.CapturesBegun, Is.EqualTo(1), "a failed capture is not retried on every step");
            Assert.That(graphed.GraphFailure, Does.Contain("emulated: capture invalidated"));
        });
    }

    [Test]
    public void LossSumCountsTrainingStepsOnlyAndEvaluateMatchesTheLastLoss()
    {
        using var trainer = new GpuRnnTrainer(new EmulatedBackend().CreateArena(), TrainingRuns.LstmRegressor(), ownsDevice: true);
        var (gpu, _) = TrainingRuns.Run(trainer, 4, 5, 2);
        var (sum, count) = trainer.ReadLossSum();
        Assert.Multiple(() =>
        {
            Assert.That(count, Is.EqualTo(4));
            Assert.That(sum, Is.EqualTo(gpu.Sum()).Within(1e-9));
            Assert.That(trainer.ReadLossSum().Count, Is.Zero, "reset");
            Assert.That(trainer.StepCount, Is.EqualTo(4));
            Assert.That(trainer.ReadGradientNorm(), Is.GreaterThan(0));
        });
        var x = new float[5 * 2 * 3];
        var target = new float[2 * 2];
        double evaluated = trainer.Evaluate(x, target, 5, 2);
        var prediction = new float[4];
        trainer.Predict(x, 5, 2, prediction);
        double mse = prediction.Sum(p => (double)p * p) / 4;
        Assert.Multiple(() =>
        {
            Assert.That(evaluated, Is.EqualTo(mse).Within(1e-6));
            Assert.That(trainer.ReadLossSum().Count, Is.Zero, "evaluation does not count as a training step");
        });
    }

    [Test]
    public void BatchFirstInputsAreTransposedWhileStaging()
    {
        var layers = new[] { new RnnLayerOptions(RnnCellType.Lstm, 2, 3) };
        var timeMajor = new GpuTrainerOptions(layers, 4, 3) { HeadOutputs = 1, HeadOnLastStep = false };
        using var a = new GpuRnnTrainer(new EmulatedBackend().CreateArena(), timeMajor, ownsDevice: true);
        using var b = new GpuRnnTrainer(new EmulatedBackend().CreateArena(), timeMajor with { BatchFirst = true }, ownsDevice: true);
        var rng = new Random(9);
        var w = new[] { new LayerWeights<float>(layers[0]).Randomize(rng, 0.5) };
        float[] hw = [0.3f, -0.2f, 0.5f], hb = [0.1f];
        a.LoadWeights(w, hw, hb);
        b.LoadWeights(w, hw, hb);
        var x = StackCases.Random(rng, 4 * 3 * 2, 1);
        var y = StackCases.Random(rng, 4 * 3, 1);
        var xb = new float[x.Length];
        var yb = new float[y.Length];
        for (int t = 0; t < 4; t++)
            for (int n = 0; n < 3; n++)
            {
                Array.Copy(x, (t * 3 + n) * 2, xb, (n * 4 + t) * 2, 2);
                yb[n * 4 + t] = y[t * 3 + n];
            }
        Assert.That(b.TrainStep(xb, yb, 4, 3, readLoss: true), Is.EqualTo(a.TrainStep(x, y, 4, 3, readLoss: true)));
    }

    [Test]
    public void BadBatchesAreRejectedWithTheirShapes()
    {
        using var trainer = new GpuRnnTrainer(new EmulatedBackend().CreateArena(), TrainingRuns.LstmRegressor(), ownsDevice: true);
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => trainer.TrainStep(new float[10 * 1 * 3], new float[2], 10, 1))!.Message, Does.Contain("T <= 9"));
            Assert.That(Assert.Throws<ArgumentException>(() => trainer.TrainStep(new float[5], new float[2], 2, 1))!.Message, Does.Contain("x must hold"));
            Assert.That(Assert.Throws<ArgumentException>(() => trainer.TrainStep(new float[6], new float[3], 2, 1))!.Message, Does.Contain("target must hold 1 x 2"));
            Assert.Throws<ArgumentException>(() => trainer.LearningRate = double.NaN);
        });
    }
}

/// <summary>What a training loop sees on a machine without a GPU.</summary>
public class GpuTrainerAvailabilityTests
{
    [Test]
    public void TryCreateGivesNullAndTheProbesReasonWithoutAGpu()
    {
        if (LstmNative.Cuda.GpuRuntime.Current.IsAvailable)
            Assert.Ignore("a GPU is present");
        var trainer = GpuRnnTrainer.TryCreate(TrainingRuns.LstmRegressor(), out var reason);
        Assert.Multiple(() =>
        {
            Assert.That(trainer, Is.Null);
            Assert.That(reason, Is.EqualTo(LstmNative.Cuda.GpuRuntime.Current.Reason));
        });
    }
}

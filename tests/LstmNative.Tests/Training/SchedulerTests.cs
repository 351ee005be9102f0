using LstmNative.Training.Schedulers;
using NUnit.Framework;

namespace LstmNative.Tests.Training;

/// <summary>Learning-rate sequences (epoch 0 first) against values worked out by hand from PyTorch's definitions.</summary>
public class SchedulerTests
{
    private static double[] Sequence(LearningRateScheduler scheduler, int epochs, Func<int, double>? metric = null)
    {
        var lrs = new double[epochs];
        for (int e = 0; e < epochs; e++)
        {
            lrs[e] = scheduler.LearningRate;
            scheduler.Step(metric?.Invoke(e) ?? double.NaN);
        }
        return lrs;
    }

    [Test]
    public void StepLRHalvesEveryTwoEpochs() =>
        Assert.That(Sequence(new StepLR(0.1, 2, 0.5), 6), Is.EqualTo(new[] { 0.1, 0.1, 0.05, 0.05, 0.025, 0.025 }).Within(1e-15));

    [Test]
    public void CosineAnnealingFollowsHalfACosine()
    {
        double c = Math.Sqrt(0.5) / 2; // (1 + cos(pi/4)) / 2 = 0.5 + c
        Assert.Multiple(() =>
        {
            Assert.That(Sequence(new CosineAnnealingLR(1.0, 4), 5), Is.EqualTo(new[] { 1.0, 0.5 + c, 0.5, 0.5 - c, 0.0 }).Within(1e-15));
            Assert.That(Sequence(new CosineAnnealingLR(1.1, 2, etaMin: 0.1), 3), Is.EqualTo(new[] { 1.1, 0.6, 0.1 }).Within(1e-15));
        });
    }

    [Test]
    public void WarmupRampsLinearlyThenHandsOver()
    {
        var schedule = new LinearWarmup(new StepLR(1.0, 2, 0.1), warmupEpochs: 3, startFactor: 0.25);
        Assert.That(Sequence(schedule, 8), Is.EqualTo(new[] { 0.25, 0.5, 0.75, 1.0, 1.0, 0.1, 0.1, 0.01 }).Within(1e-15));
    }

    [Test]
    public void WarmupComposesWithCosine()
    {
        var schedule = new LinearWarmup(new CosineAnnealingLR(1.0, 2), warmupEpochs: 2, startFactor: 0.5);
        Assert.That(Sequence(schedule, 5), Is.EqualTo(new[] { 0.5, 0.75, 1.0, 0.5, 0.0 }).Within(1e-15));
    }

    [Test]
    public void PlateauReducesAfterPatienceWithCooldownAndFloor()
    {
        // patience 2: the third bad epoch in a row reduces; cooldown 1 ignores the first epoch after a reduction.
        var plateau = new ReduceLROnPlateau(1.0, factor: 0.5, patience: 2, threshold: 0, cooldown: 1, minLearningRate: 0.1);
        double[] metrics = [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5];
        double[] expected = [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125, 0.125, 0.1, 0.1, 0.1];
        Assert.That(Sequence(plateau, metrics.Length, e => metrics[e]), Is.EqualTo(expected).Within(1e-15));
    }

    [Test]
    public void PlateauThresholdDecidesWhatCountsAsImprovement()
    {
        // Relative 10 %: 0.95 after 1.0 is not an improvement, 0.85 is.
        var relative = new ReduceLROnPlateau(1.0, factor: 0.5, patience: 0, threshold: 0.1);
        Assert.That(Sequence(relative, 4, e => new[] { 1.0, 0.85, 0.8, 0.8 }[e]), Is.EqualTo(new[] { 1.0, 1.0, 1.0, 0.5 }));
        var absolute = new ReduceLROnPlateau(1.0, factor: 0.5, patience: 0, threshold: 0.1, thresholdMode: ThresholdMode.Absolute);
        Assert.That(Sequence(absolute, 4, e => new[] { 1.0, 0.85, 0.8, 0.6 }[e]), Is.EqualTo(new[] { 1.0, 1.0, 1.0, 0.5 }));
        var max = new ReduceLROnPlateau(1.0, MetricMode.Max, factor: 0.5, patience: 1, threshold: 0);
        Assert.That(Sequence(max, 5, e => new[] { 0.5, 0.6, 0.6, 0.6, 0.7 }[e]), Is.EqualTo(new[] { 1.0, 1.0, 1.0, 1.0, 0.5 }));
    }

    [Test]
    public void PlateauNeedsAMetric() =>
        Assert.Throws<ArgumentException>(() => new ReduceLROnPlateau(1.0).Step());

    [Test]
    public void WarmupPassesMetricsToPlateau()
    {
        var schedule = new LinearWarmup(new ReduceLROnPlateau(1.0, factor: 0.5, patience: 0, threshold: 0), warmupEpochs: 2, startFactor: 0.5);
        // Epochs 0-1 warm up; from epoch 2 the plateau sees metrics: 3 (best), 3 (bad: reduce), 2 (better), 2 (bad: reduce).
        double[] metrics = [9, 9, 3, 3, 2, 2, 2];
        Assert.That(Sequence(schedule, 7, e => metrics[e]), Is.EqualTo(new[] { 0.5, 0.75, 1.0, 1.0, 0.5, 0.5, 0.25 }).Within(1e-15));
    }
}

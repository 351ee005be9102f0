using LstmNative.Training;
using LstmNative.Training.Optimizers;
using LstmNative.Training.Schedulers;
using NUnit.Framework;

namespace LstmNative.Tests.Training;

/// <summary>Schedulers constructed with an optimizer drive its learning rate, as PyTorch's do (issue 19 item 6).</summary>
public class SchedulerBindingTests
{
    private static Sgd<double> NewSgd(double lr) =>
        new([new Parameter<double>("w", new Tensor<double>(1))], lr);

    // The optimizer's rate before each Step, epoch 0 first: what its steps actually use.
    private static double[] OptimizerRates(LearningRateScheduler scheduler, IOptimizer optimizer, int epochs, Func<int, double>? metric = null)
    {
        var lrs = new double[epochs];
        for (int e = 0; e < epochs; e++)
        {
            lrs[e] = optimizer.LearningRate;
            scheduler.Step(metric?.Invoke(e) ?? double.NaN);
        }
        return lrs;
    }

    [Test]
    public void PlateauStepLowersTheOptimizersRate()
    {
        var optimizer = NewSgd(1.0);
        var plateau = new ReduceLROnPlateau(optimizer, factor: 0.5, patience: 2, threshold: 0, cooldown: 1, minLearningRate: 0.1);
        double[] metrics = [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5];
        double[] expected = [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125, 0.125, 0.1, 0.1, 0.1];
        Assert.Multiple(() =>
        {
            Assert.That(plateau.Optimizer, Is.SameAs(optimizer));
            Assert.That(OptimizerRates(plateau, optimizer, metrics.Length, e => metrics[e]), Is.EqualTo(expected).Within(1e-15));
            Assert.That(optimizer.LearningRate, Is.EqualTo(plateau.LearningRate));
        });
    }

    [Test]
    public void BoundSchedulesEqualTheRateOnlyOnes()
    {
        var step = NewSgd(0.1);
        var cosine = NewSgd(1.1);
        var stepRates = OptimizerRates(new StepLR(step, 2, 0.5), step, 6);
        var cosineRates = OptimizerRates(new CosineAnnealingLR(cosine, 2, etaMin: 0.1), cosine, 3);
        Assert.Multiple(() =>
        {
            Assert.That(stepRates, Is.EqualTo(new[] { 0.1, 0.1, 0.05, 0.05, 0.025, 0.025 }).Within(1e-15));
            Assert.That(cosineRates, Is.EqualTo(new[] { 1.1, 0.6, 0.1 }).Within(1e-15));
        });
    }

    [Test]
    public void WarmupOverABoundScheduleDrivesTheSameOptimizerFromConstruction()
    {
        var optimizer = NewSgd(1.0);
        var schedule = new LinearWarmup(new StepLR(optimizer, 2, 0.1), warmupEpochs: 3, startFactor: 0.25);
        Assert.Multiple(() =>
        {
            Assert.That(schedule.Optimizer, Is.SameAs(optimizer));
            Assert.That(optimizer.LearningRate, Is.EqualTo(0.25), "the warm-up's first rate is set at construction");
            Assert.That(OptimizerRates(schedule, optimizer, 8), Is.EqualTo(new[] { 0.25, 0.5, 0.75, 1.0, 1.0, 0.1, 0.1, 0.01 }).Within(1e-15));
        });
    }

    [Test]
    public void TheOptimizerStepsWithTheReducedRate()
    {
        var p = new Parameter<double>("w", new Tensor<double>(1));
        var optimizer = new Sgd<double>([p], 1.0);
        var plateau = new ReduceLROnPlateau(optimizer, factor: 0.5, patience: 0, threshold: 0);
        plateau.Step(1.0);
        plateau.Step(1.0); // no improvement: halve
        p.Grad.Data[0] = 1;
        optimizer.Step();
        Assert.That(p.Value.Data[0], Is.EqualTo(-0.5).Within(1e-15));
    }

    [Test]
    public void UnboundSchedulesLeaveOptimizersAlone()
    {
        var optimizer = NewSgd(1.0);
        var plateau = new ReduceLROnPlateau(1.0, factor: 0.5, patience: 0, threshold: 0);
        plateau.Step(1.0);
        plateau.Step(1.0);
        Assert.Multiple(() =>
        {
            Assert.That(plateau.Optimizer, Is.Null);
            Assert.That(plateau.LearningRate, Is.EqualTo(0.5));
            Assert.That(optimizer.LearningRate, Is.EqualTo(1.0));
        });
    }

    [Test]
    public void NullOptimizerIsRefused() =>
        Assert.Throws<ArgumentNullException>(() => new ReduceLROnPlateau((IOptimizer)null!));
}

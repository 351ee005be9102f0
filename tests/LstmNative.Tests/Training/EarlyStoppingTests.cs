using LstmNative.Training.Layers;
using LstmNative.Training.Schedulers;
using NUnit.Framework;

namespace LstmNative.Tests.Training;

public class EarlyStoppingTests
{
    [Test]
    public void StopsAfterPatienceAndRestoresTheBestWeightsAndBuffers()
    {
        var model = new Sequential<double>(new Linear<double>(1, 1, new Random(3)), new BatchNorm1d<double>(1));
        var linear = (Linear<double>)model.Layers[0];
        var norm = (BatchNorm1d<double>)model.Layers[1];
        var stopper = new EarlyStopping<double>(model, patience: 3);
        double[] metrics = [5, 3, 4, 2.5, 2.6, 2.7, 2.8, 1.0];
        var stops = new List<bool>();
        for (int epoch = 0; epoch < 7; epoch++)
        {
            // "Training" writes the epoch number into every weight and buffer, so we can tell which epoch was restored.
            linear.Weight.Value.Data[0] = epoch;
            linear.Bias!.Value.Data[0] = -epoch;
            norm.RunningMean.Data[0] = 10 * epoch;
            stops.Add(stopper.Step(metrics[epoch]));
        }
        Assert.Multiple(() =>
        {
            Assert.That(stops, Is.EqualTo(new[] { false, false, false, false, false, false, true }));
            Assert.That(stopper.BestEpoch, Is.EqualTo(3));
            Assert.That(stopper.BestMetric, Is.EqualTo(2.5));
        });
        stopper.RestoreBest();
        Assert.Multiple(() =>
        {
            Assert.That(linear.Weight.Value.Data[0], Is.EqualTo(3.0));
            Assert.That(linear.Bias!.Value.Data[0], Is.EqualTo(-3.0));
            Assert.That(norm.RunningMean.Data[0], Is.EqualTo(30.0));
        });
    }

    [Test]
    public void ImprovementsSmallerThanMinDeltaDoNotCount()
    {
        var model = new Linear<double>(1, 1, new Random(1));
        var stopper = new EarlyStopping<double>(model, patience: 2, minDelta: 0.1);
        Assert.Multiple(() =>
        {
            Assert.That(stopper.Step(1.0), Is.False);
            Assert.That(stopper.Step(0.95), Is.False); // within min delta: a bad epoch
            Assert.That(stopper.Step(0.91), Is.True);
            Assert.That(stopper.BestEpoch, Is.EqualTo(0));
        });
    }

    [Test]
    public void MaxModeAndNaN()
    {
        var model = new Linear<double>(1, 1, new Random(1));
        var stopper = new EarlyStopping<double>(model, patience: 1, mode: MetricMode.Max);
        Assert.That(stopper.Step(0.5), Is.False);
        Assert.That(stopper.Step(double.NaN), Is.True);
        Assert.That(stopper.BestMetric, Is.EqualTo(0.5));
    }

    [Test]
    public void RestoreWithoutAnImprovementThrows()
    {
        var stopper = new EarlyStopping<double>(new Linear<double>(1, 1, new Random(1)), patience: 1);
        stopper.Step(double.NaN);
        Assert.Throws<InvalidOperationException>(stopper.RestoreBest);
    }

    [Test]
    public void SnapshotRejectsAnotherArchitecture()
    {
        var snapshot = ModelSnapshot<double>.Capture(new Linear<double>(2, 3, new Random(1)));
        Assert.Throws<ArgumentException>(() => snapshot.RestoreTo(new Linear<double>(3, 2, new Random(1))));
    }
}

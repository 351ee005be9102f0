using LstmNative.Training;
using LstmNative.Training.Layers;
using NUnit.Framework;

namespace LstmNative.Tests.Training;

/// <summary>
/// Who owns a module's output (issue 19 item 5): <c>Forward</c> returns the module's reused buffer (documented), and
/// <c>Predict</c> returns a tensor the caller owns, which later calls never overwrite.
/// </summary>
public class OutputOwnershipTests
{
    private static Tensor<float> Random(Random rng, params int[] shape)
    {
        var t = new Tensor<float>(shape);
        for (int i = 0; i < t.Length; i++)
            t.Data[i] = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }

    private static Sequential<float> Model(int seed)
    {
        var rng = new Random(seed);
        return new Sequential<float>(new Lstm<float>(3, 5, rng), new LastTimeStep<float>(), new Dropout<float>(0.5, seed), new Linear<float>(5, 2, rng));
    }

    [Test]
    public void PredictResultsSurviveTheNextCall()
    {
        int seed = TestContext.CurrentContext.Random.Next();
        var rng = new Random(seed);
        var model = Model(seed);
        var x1 = Random(rng, 4, 7, 3);
        var x2 = Random(rng, 4, 7, 3);
        var first = model.Predict(x1);
        var kept = first.Clone();
        var second = model.Predict(x2);
        Assert.Multiple(() =>
        {
            Assert.That(second, Is.Not.SameAs(first), $"seed {seed}");
            Assert.That(first.Data, Is.EqualTo(kept.Data), "a later call overwrote an earlier Predict result");
            Assert.That(second.Data, Is.Not.EqualTo(first.Data));
        });
    }

    [Test]
    public void ForwardReusesItsBufferAsDocumented()
    {
        var rng = new Random(3);
        var model = Model(3);
        model.Eval();
        var first = model.Forward(Random(rng, 2, 4, 3));
        var kept = first.Clone();
        var second = model.Forward(Random(rng, 2, 4, 3));
        Assert.Multiple(() =>
        {
            Assert.That(second, Is.SameAs(first), "Forward's result is the module's buffer, valid until its next call");
            Assert.That(kept.Data, Is.Not.EqualTo(first.Data), "Clone is the way to keep a Forward result");
        });
    }

    [Test]
    public void PredictRunsInEvaluationModeAndRestoresTheMode()
    {
        var rng = new Random(5);
        var model = Model(5);
        var x = Random(rng, 3, 6, 3);
        model.Train();
        var predicted = model.Predict(x);
        Assert.That(model.IsTraining, Is.True, "Predict restores training mode");
        model.Eval();
        var evaluated = model.Forward(x).Clone();
        Assert.Multiple(() =>
        {
            Assert.That(predicted.Data, Is.EqualTo(evaluated.Data), "Predict is deterministic: dropout off");
            Assert.That(model.IsTraining, Is.False, "Predict leaves evaluation mode as it found it");
        });
        model.Predict(x);
        Assert.That(model.IsTraining, Is.False);
    }
}

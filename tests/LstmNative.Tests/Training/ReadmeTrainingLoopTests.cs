using LstmNative.Engines;
using LstmNative.Training;
using LstmNative.Training.Data;
using LstmNative.Training.Layers;
using LstmNative.Training.Losses;
using LstmNative.Training.Optimizers;
using LstmNative.Training.Schedulers;
using NUnit.Framework;

namespace LstmNative.Tests.Training;

/// <summary>The training loop of README.md and docs/training.md, verbatim but for the data and epoch count, so the docs stay true.</summary>
public class ReadmeTrainingLoopTests
{
    [Test]
    public void TheReadmeLoopTrainsOnTheFastEngine()
    {
        // Data: 8 features, next value of feature 0 from a window of 12.
        var values = new double[600 * 8];
        for (int r = 0; r < 600; r++)
            for (int f = 0; f < 8; f++)
                values[r * 8 + f] = Math.Sin(r * 0.3 + f);
        var table = new NumericTable(Enumerable.Range(0, 8).Select(f => $"f{f}").ToArray(), values);
        var trainSet = new SlidingWindowDataset(table, window: 12, horizon: 1, ["f0"]);
        var validation = trainSet.Batches<float>(64).First();
        Tensor<float> xVal = validation.Inputs.Clone(), yVal = validation.Targets.Clone();

        // --- README ---
        var rng = new Random(1);
        var model = new Sequential<float>(new Lstm<float>(8, 64, rng, numLayers: 2), new LastTimeStep<float>(), new Linear<float>(64, 1, rng));
        var loss = new MseLoss<float>();
        var optimizer = new Adam<float>(model.Parameters(), learningRate: 1e-3);
        var scheduler = new ReduceLROnPlateau(optimizer, factor: 0.5, patience: 2);   // drives optimizer.LearningRate
        double first = loss.Forward(model.Predict(xVal), yVal);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            foreach (var batch in trainSet.Batches<float>(32, shuffle: rng))          // inputs [B, T, 8], targets [B, 1]
            {
                optimizer.ZeroGrad();
                loss.Forward(model.Forward(batch.Inputs), batch.Targets);
                model.Backward(loss.Backward());                                         // hand-written backward passes
                GradientClipping.ClipByGlobalNorm(optimizer.Parameters, maxNorm: 1.0);
                optimizer.Step();
            }
            scheduler.Step(loss.Forward(model.Predict(xVal), yVal));                      // Predict: eval mode, a tensor you own
        }
        // --- end ---

        double last = loss.Forward(model.Predict(xVal), yVal);
        Assert.Multiple(() =>
        {
            Assert.That(((Lstm<float>)model.Layers[0]).Engine, Is.SameAs(CpuLayerEngine.Default), "float32 trains on the fast CPU engine");
            Assert.That(last, Is.LessThan(first / 4), $"validation MSE {first} -> {last}");
            Assert.That(optimizer.LearningRate, Is.EqualTo(scheduler.LearningRate));
        });
    }
}

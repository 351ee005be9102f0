using LstmNative.Cpu;
using LstmNative.Engines;
using LstmNative.Training;
using LstmNative.Training.Init;
using LstmNative.Training.Layers;
using LstmNative.Training.Quantization;
using NUnit.Framework;

namespace LstmNative.Tests.Training;

/// <summary>
/// <c>Quantize.Dynamic</c> (issue 19 item 7): same input and output as the float model, within the documented bounds of
/// <see cref="CpuPrecision"/> (int8 2e-2, bf16 1e-2 on a recurrent layer's outputs), evaluation only, float model untouched.
/// </summary>
public class QuantizeTests
{
    private static Tensor<float> RandomInput(Random rng, params int[] shape)
    {
        var t = new Tensor<float>(shape);
        for (int i = 0; i < t.Length; i++)
            t.Data[i] = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }

    // PyTorch's initialisation, as the documented bounds were measured with.
    private static void LikePyTorch(RecurrentLayer<float> layer, Random rng)
    {
        foreach (var l in layer.Weights.Layers)
            RnnInitializers.InitializeLikePyTorch(l, rng);
    }

    private static double MaxAbsDiff(Tensor<float> a, Tensor<float> b) =>
        a.Data.Zip(b.Data, (x, y) => Math.Abs((double)x - y)).Max();

    [TestCase(CpuPrecision.Int8, 2e-2, true)]
    [TestCase(CpuPrecision.Bf16, 1e-2, true)]
    [TestCase(CpuPrecision.Int8, 2e-2, false)]
    [TestCase(CpuPrecision.Bf16, 1e-2, false)]
    public void RecurrentOutputsStayWithinTheDocumentedBound(CpuPrecision precision, double bound, bool lstm)
    {
        var rng = GradientCheck.NewRandom(out int seed);
        RecurrentLayer<float> layer = lstm
            ? new Lstm<float>(33, 64, rng, numLayers: 2, dropout: 0.5, bidirectional: true)
            : new Gru<float>(33, 64, rng, numLayers: 2, dropout: 0.5, bidirectional: true);
        LikePyTorch(layer, rng);
        var model = new Sequential<float>(layer);
        var x = RandomInput(rng, 3, 50, 33);
        var reference = model.Predict(x);
        layer.Train();
        using var quantized = Quantize.Dynamic(model, precision);
        var y = quantized.Forward(x);
        double diff = MaxAbsDiff(y, reference);
        TestContext.Out.WriteLine($"{(lstm ? "LSTM" : "GRU")} {precision}: max |Δ| {diff:G3} (seed {seed})");
        Assert.Multiple(() =>
        {
            Assert.That(y.Shape.ToArray(), Is.EqualTo(reference.Shape.ToArray()));
            Assert.That(diff, Is.LessThan(bound), $"seed {seed}: max |Δ| {diff:G3}");
            Assert.That(diff, Is.GreaterThan(0), "the weights really are reduced");
            Assert.That(layer.IsTraining, Is.True, "the float model's mode is restored");
            Assert.That(layer.Engine, Is.SameAs(RnnLayerEngines.Default<float>()), "the float model's engine is restored");
            Assert.That(model.Predict(x).Data, Is.EqualTo(reference.Data), "the float model is untouched");
        });
    }

    [Test]
    public void WholeModelKeepsItsInputAndOutput()
    {
        var rng = GradientCheck.NewRandom(out int seed);
        var lstm = new Lstm<float>(5, 32, rng, numLayers: 2);
        LikePyTorch(lstm, rng);
        var head = new Linear<float>(32, 3, rng);
        var model = new Sequential<float>(lstm, new LastTimeStep<float>(), new Dropout<float>(0.5, 1), head);
        var x = RandomInput(rng, 4, 20, 5);
        var reference = model.Predict(x);
        using var int8 = Quantize.Dynamic(model);
        var y = int8.Forward(x);
        var kept = y.Clone();
        int8.Forward(RandomInput(rng, 4, 20, 5));
        // The head adds at most ‖row‖₁ · 2e-2 to the recurrent error.
        double rowL1 = Enumerable.Range(0, 3).Max(r => head.Weight.Value.Data.Skip(r * 32).Take(32).Sum(v => Math.Abs((double)v)));
        Assert.Multiple(() =>
        {
            Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 4, 3 }));
            Assert.That(MaxAbsDiff(y, reference), Is.LessThan(2e-2 * rowL1), $"seed {seed}");
            Assert.That(y.Data, Is.EqualTo(kept.Data), "results belong to the caller");
            Assert.That(int8.Precision, Is.EqualTo(CpuPrecision.Int8));
        });
    }

    [Test]
    public void Fp32EqualsTheFloatModel()
    {
        var rng = new Random(4);
        var cell = new LstmCell<float>(3, 6, rng);
        var model = new Sequential<float>(new Gru<float>(3, 3, rng), new Tanh<float>(), new Lstm<float>(3, 4, rng));
        var x = RandomInput(rng, 2, 7, 3);
        using var q = Quantize.Dynamic(model, CpuPrecision.Fp32, threads: 2);
        Assert.That(q.Forward(x).Data, Is.EqualTo(model.Predict(x).Data).Within(1e-5));
        using var qc = Quantize.Dynamic(cell, CpuPrecision.Int8);
        var xt = RandomInput(rng, 2, 3);
        Assert.That(MaxAbsDiff(qc.Forward(xt), cell.Predict(xt)), Is.LessThan(2e-2), "cells are quantized too");
    }

    [Test]
    public void QuantizedModelsAreForInferenceOnly()
    {
        var model = new Sequential<float>(new Lstm<float>(2, 3, new Random(1)));
        using var q = Quantize.Dynamic(model);
        Assert.Multiple(() =>
        {
            Assert.That(q.IsTraining, Is.False);
            Assert.That(() => q.IsTraining = true, Throws.InvalidOperationException);
            Assert.That(() => q.Backward(new Tensor<float>(1, 1, 3)), Throws.TypeOf<NotSupportedException>());
            Assert.That(q.Parameters(), Is.Empty);
            Assert.That(() => Quantize.Dynamic(new Sequential<float>(new Linear<float>(2, 2, new Random(1)))),
                Throws.ArgumentException.With.Message.Contains("Sequential has no LSTM or GRU"));
        });
    }
}

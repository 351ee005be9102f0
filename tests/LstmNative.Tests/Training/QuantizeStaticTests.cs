using LstmNative.Cpu;
using LstmNative.Engines;
using LstmNative.Training;
using LstmNative.Training.Init;
using LstmNative.Training.Layers;
using LstmNative.Training.Quantization;
using NUnit.Framework;

namespace LstmNative.Tests.Training;

/// <summary>
/// Static int8 for modules, PyTorch's <c>prepare</c>/<c>convert</c>: <c>Quantize.PrepareStatic</c> records each recurrent
/// layer's activation ranges while running the float model, <c>Quantize.ConvertStatic</c> packs int8 weights with those
/// fixed ranges; the result keeps the model's input and output within the int8 bound on held-out inputs.
/// </summary>
public class QuantizeStaticTests
{
    private static Tensor<float> RandomInput(Random rng, params int[] shape)
    {
        var t = new Tensor<float>(shape);
        for (int i = 0; i < t.Length; i++)
            t.Data[i] = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }

    private static double MaxAbsDiff(Tensor<float> a, Tensor<float> b) =>
        a.Data.Zip(b.Data, (x, y) => Math.Abs((double)x - y)).Max();

    [TestCase(true)]
    [TestCase(false)]
    public void PrepareCalibrateConvertStaysWithinTheInt8BoundOnHeldOutInputs(bool lstm)
    {
        var rng = GradientCheck.NewRandom(out int seed);
        RecurrentLayer<float> layer = lstm
            ? new Lstm<float>(33, 64, rng, numLayers: 2, dropout: 0.5, bidirectional: true)
            : new Gru<float>(33, 64, rng, numLayers: 2, dropout: 0.5, bidirectional: true);
        foreach (var l in layer.Weights.Layers)
            RnnInitializers.InitializeLikePyTorch(l, rng);
        var model = new Sequential<float>(layer);
        layer.Train();

        var prepared = Quantize.PrepareStatic(model);
        for (int i = 0; i < 4; i++)
        {
            var calibration = RandomInput(rng, 3, 50, 33);
            Assert.That(prepared.Forward(calibration).Data, Is.EqualTo(model.Predict(calibration).Data), "prepare runs the float model as it is");
        }
        using var quantized = Quantize.ConvertStatic(prepared);
        var x = RandomInput(rng, 3, 50, 33); // held out
        var reference = model.Predict(x);
        var y = quantized.Forward(x);
        double diff = MaxAbsDiff(y, reference);
        using var dynamic = Quantize.Dynamic(model);
        TestContext.Out.WriteLine($"{(lstm ? "LSTM" : "GRU")} static int8: max |Δ| {diff:G3}, dynamic {MaxAbsDiff(dynamic.Forward(x), reference):G3} (seed {seed})");
        Assert.Multiple(() =>
        {
            Assert.That(prepared.Batches, Is.EqualTo(4));
            Assert.That(quantized.IsStatic && quantized.Precision == CpuPrecision.Int8);
            Assert.That(dynamic.IsStatic, Is.False);
            Assert.That(y.Shape.ToArray(), Is.EqualTo(reference.Shape.ToArray()));
            Assert.That(diff, Is.LessThan(2e-2), $"seed {seed}");
            Assert.That(diff, Is.GreaterThan(0), "the products really are quantized");
            Assert.That(layer.IsTraining, Is.True, "the float model's mode is restored");
            Assert.That(layer.Engine, Is.SameAs(RnnLayerEngines.Default<float>()), "the float model's engine is restored");
        });
    }

    /// <summary>The ranges prepare records are those <see cref="Int8Calibrator"/> measures on the same sequences.</summary>
    [Test]
    public void PreparedRangesAreTheCalibratorsOnTheSameData()
    {
        var rng = GradientCheck.NewRandom(out _);
        var lstm = new Lstm<float>(4, 9, rng, numLayers: 2, bidirectional: true, batchFirst: false);
        var prepared = Quantize.PrepareStatic(new Sequential<float>(lstm));
        var x = RandomInput(rng, 6, 2, 4); // time-major [T, B, I]
        prepared.Forward(x);
        using var calibrator = new Int8Calibrator(lstm.Weights.Layers, 2, 6);
        calibrator.Observe(x.Data, 6, 2);
        var expected = calibrator.ToCalibration();
        for (int l = 0; l < 2; l++)
        {
            var actual = prepared.Observer.Ranges(lstm.Weights.Layers[l], 100);
            Assert.That(actual.Input, Is.EqualTo(expected.Layers[l].Input).Within(1e-5), $"layer {l} input");
            Assert.That(actual.Hidden, Is.EqualTo(expected.Layers[l].Hidden).Within(1e-5), $"layer {l} hidden");
        }
    }

    [Test]
    public void ConvertNeedsCalibrationDataAndPreparedModelsOnlyCalibrate()
    {
        var rng = new Random(2);
        var model = new Sequential<float>(new Gru<float>(2, 3, rng), new Tanh<float>(), new Lstm<float>(3, 4, rng));
        var prepared = Quantize.PrepareStatic(model);
        Assert.Multiple(() =>
        {
            Assert.That(() => Quantize.ConvertStatic(prepared), Throws.InvalidOperationException.With.Message.Contains("saw no calibration data"));
            Assert.That(prepared.IsTraining, Is.False);
            Assert.That(() => prepared.IsTraining = true, Throws.InvalidOperationException);
            Assert.That(() => prepared.Backward(new Tensor<float>(1, 1, 4)), Throws.TypeOf<NotSupportedException>());
            Assert.That(prepared.Parameters(), Is.Empty);
            Assert.That(() => Quantize.PrepareStatic(new Sequential<float>(new Linear<float>(2, 2, rng))), Throws.ArgumentException);
        });
        var x = RandomInput(rng, 2, 5, 2);
        prepared.Forward(x);
        using var q = Quantize.ConvertStatic(prepared, percentile: 99.9, threads: 2);
        Assert.That(MaxAbsDiff(q.Forward(x), model.Predict(x)), Is.LessThan(2e-2), "a percentile clip and two threads, on the calibration input");
    }
}

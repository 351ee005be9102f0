using LstmNative.Training;
using LstmNative.Training.Diagnostics;
using LstmNative.Training.Init;
using LstmNative.Training.Layers;
using LstmNative.Training.Losses;
using LstmNative.Training.Optimizers;
using NUnit.Framework;

namespace LstmNative.Tests.Training;

/// <summary>Model-agnostic diagnostics (issue 19 item 8): gradient flow grouped as PerLayer, plots with titles, PyTorch init.</summary>
public class DiagnosticsTests
{
    private static readonly byte[] PngMagic = [0x89, (byte)'P', (byte)'N', (byte)'G'];

    [Test]
    public void GradientFlowOfAnyModelIsGroupedAsPerLayer()
    {
        var rng = new Random(2);
        var model = new Sequential<float>(new Lstm<float>(3, 4, rng, numLayers: 2, bidirectional: true), new LastTimeStep<float>(), new Linear<float>(8, 1, rng));
        var x = new Tensor<float>(2, 5, 3);
        for (int i = 0; i < x.Length; i++)
            x.Data[i] = (float)rng.NextDouble();
        var loss = new MseLoss<float>();
        loss.Forward(model.Forward(x), new Tensor<float>(2, 1));
        model.Backward(loss.Backward());
        var log = new GradientFlowLog();
        var parameters = model.Parameters().ToArray();
        log.Record(parameters);
        var perLayer = GradientNorms.PerLayer(parameters);
        Assert.Multiple(() =>
        {
            Assert.That(log.Layers, Is.EqualTo(new[] { "0.layer0", "0.layer0_reverse", "0.layer1", "0.layer1_reverse", "2" }));
            Assert.That(perLayer.Select(n => n.Name), Is.EqualTo(log.Layers));
            Assert.That(log.Steps[0], Is.EqualTo(perLayer.Select(n => n.Norm).ToArray()));
            Assert.That(log.Steps[0], Is.All.GreaterThan(0));
            Assert.That(log.ToCsv(), Does.StartWith("step,0.layer0,0.layer0_reverse,0.layer1,0.layer1_reverse,2\n1,"));
        });
        Assert.That(() => log.Record(parameters.Take(2).ToArray()), Throws.ArgumentException);

        var png = DiagnosticPlots.GradientFlow(log, title: "my model");
        Assert.That(png.Take(4), Is.EqualTo(PngMagic));
    }

    [Test]
    public void CellStatePlotTakesRecordedStatesAndATitle()
    {
        var rng = new Random(3);
        var lstm = new Lstm<float>(2, 3, rng, numLayers: 2);
        var gru = new Gru<float>(2, 3, rng);
        var x = new Tensor<float>(1, 6, 2);
        RecurrentStates<float> lstmStates, gruStates;
        using (var recorder = lstm.RecordStates())
        {
            lstm.Forward(x);
            lstmStates = recorder.Last!;
        }
        using (var recorder = gru.RecordStates())
        {
            gru.Forward(x);
            gruStates = recorder.Last!;
        }
        Assert.Multiple(() =>
        {
            Assert.That(DiagnosticPlots.CellState(lstmStates, title: "cells").Take(4), Is.EqualTo(PngMagic));
            Assert.That(DiagnosticPlots.CellState(gruStates).Take(4), Is.EqualTo(PngMagic));
            Assert.That(() => gruStates.CellStatesOf(0), Throws.InvalidOperationException);
            Assert.That(() => DiagnosticPlots.CellState([[[1.0, 2.0]], [[1.0]]]), Throws.ArgumentException);
        });
    }

    [Test]
    public void PyTorchInitialisationIsUniformInTheHiddenBound()
    {
        var lstm = new Lstm<double>(5, 16, new Random(1));
        foreach (var layer in lstm.Weights.Layers)
            RnnInitializers.InitializeLikePyTorch(layer, new Random(4));
        var values = lstm.Parameters().SelectMany(p => p.Value.Data).ToArray();
        double bound = 1 / Math.Sqrt(16);
        Assert.Multiple(() =>
        {
            Assert.That(values, Is.All.InRange(-bound, bound));
            Assert.That(values.Max(), Is.GreaterThan(0.9 * bound));
            Assert.That(values.Min(), Is.LessThan(-0.9 * bound));
            Assert.That(lstm.Parameters().Single(p => p.Name == "bias_ih_l0").Value.Data.Skip(16).Take(16), Is.Not.All.EqualTo(1.0), "no forget-gate bias");
        });
    }
}

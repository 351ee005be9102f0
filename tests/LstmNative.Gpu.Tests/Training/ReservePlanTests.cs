using LstmNative.Gpu.Training;
using LstmNative.Model;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Training;

public class ReservePlanTests
{
    [Test]
    public void LstmKeepsFiveFloatsPerUnitAndStep()
    {
        // DeepBench training row: LSTM H = 1024, N = 64, T = 25, input = hidden.
        var plan = new ReservePlan([new RnnLayerOptions(RnnCellType.Lstm, 1024, 1024)], 25, 64);
        long perUnit = 25L * 64 * 1024;
        Assert.Multiple(() =>
        {
            Assert.That(plan.ReserveElements, Is.EqualTo(5 * perUnit), "4 gates + the cell state");
            Assert.That(plan.ReserveBytes, Is.EqualTo(5 * perUnit * 4));
            Assert.That(plan.GateGradientElements, Is.EqualTo(4 * perUnit));
            Assert.That(plan.ScratchElements, Is.EqualTo(64L * 4 * 1024));
            Assert.That(plan.InnerGradientElements, Is.Zero);
            Assert.That(plan.PeepholeAccumulatorElements, Is.Zero);
        });
    }

    [Test]
    public void GruKeepsFourFloatsAndGeneralLayersKeepPreActivations()
    {
        var gru = new RnnLayerOptions(RnnCellType.Gru, 8, 16) { LinearBeforeReset = true };
        var general = new RnnLayerOptions(RnnCellType.Lstm, 16, 4, RnnDirection.Bidirectional) { Clip = 3 };
        var plan = new ReservePlan([gru, general], 10, 2, dropout: 0.5);
        Assert.Multiple(() =>
        {
            Assert.That(plan.Layers[0].Gates + plan.Layers[0].Extra, Is.EqualTo(4L * 10 * 2 * 16));
            Assert.That(plan.Layers[0].Output, Is.EqualTo(10L * 2 * 16), "a lower layer's output is kept for the layer above");
            Assert.That(plan.Layers[0].DroppedOutput, Is.EqualTo(10L * 2 * 16));
            Assert.That(plan.Layers[1].PreActivations, Is.EqualTo(plan.Layers[1].Gates), "clip needs the pre-activations");
            Assert.That(plan.Layers[1].Output, Is.Zero, "the top layer's output is the network's output, not reserve");
            Assert.That(ReservePlan.DaWidth(gru), Is.EqualTo(64));
            Assert.That(ReservePlan.DaWidth(gru with { LinearBeforeReset = false }), Is.EqualTo(48));
            Assert.That(ReservePlan.RecurrentGradWidth(gru), Is.EqualTo(48));
            Assert.That(ReservePlan.RecurrentGradWidth(gru with { LinearBeforeReset = false }), Is.EqualTo(32));
            Assert.That(ReservePlan.NeedsGeneralKernels(gru), Is.False);
            Assert.That(ReservePlan.NeedsGeneralKernels(gru with { Activations = [Activation.Parse("HardSigmoid"), Activation.Tanh] }), Is.True);
        });
    }

    [Test]
    public void LimitsAreChecked()
    {
        var lstm = new RnnLayerOptions(RnnCellType.Lstm, 4, 4);
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = new ReservePlan([lstm], 0, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = new ReservePlan([lstm], 1, TrainingLaunch.MaxBatch + 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = new ReservePlan([lstm], 1, 1, dropout: 1.5));
        });
    }
}

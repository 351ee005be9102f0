using LstmNative.Layers;
using LstmNative.Model;
using LstmNative.Reference;
using NUnit.Framework;
using static LstmNative.Tests.Reference.GradientCheckTests;

namespace LstmNative.Tests.Reference;

/// <summary>
/// LSTM with projections (PyTorch's proj_size, LSTMP): the forward pass against a direct transcription of PyTorch's
/// equations, and the option checks. The backward pass is covered by the finite-difference checks.
/// </summary>
public class ProjectionTests
{
    [Test]
    public void ForwardMatchesPyTorchEquations()
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        const int inSize = 3, hidden = 4, proj = 2, steps = 3, batch = 2;
        var options = new RnnLayerOptions(RnnCellType.Lstm, inSize, hidden) { ProjectionSize = proj };
        var weights = new LayerWeights<double>(options).Randomize(rng, 0.8);
        double[] x = RandomArray(rng, steps * batch * inSize, 1);
        double[] h0 = RandomArray(rng, batch * proj, 1);
        double[] c0 = RandomArray(rng, batch * hidden, 1);
        var trace = ReferenceRnn.Forward<double>(weights, x, steps, batch, [], h0, c0);
        Assert.That(trace.Y, Has.Length.EqualTo(steps * batch * proj));
        Assert.That(trace.Yh, Has.Length.EqualTo(batch * proj));
        Assert.That(trace.Yc, Has.Length.EqualTo(batch * hidden));

        var w = weights.Directions[0];
        for (int b = 0; b < batch; b++)
        {
            double[] h = h0[(b * proj)..((b + 1) * proj)];
            double[] c = c0[(b * hidden)..((b + 1) * hidden)];
            for (int t = 0; t < steps; t++)
            {
                // gates = W_ih x + b_ih + W_hh h + b_hh, PyTorch order i, f, g, o; W_hh is [4H, P].
                var gates = new double[4 * hidden];
                for (int r = 0; r < 4 * hidden; r++)
                {
                    double s = w.Bw[r] + w.Br[r];
                    for (int k = 0; k < inSize; k++)
                        s += w.W[r * inSize + k] * x[(t * batch + b) * inSize + k];
                    for (int k = 0; k < proj; k++)
                        s += w.R[r * proj + k] * h[k];
                    gates[r] = s;
                }
                var m = new double[hidden];
                for (int j = 0; j < hidden; j++)
                {
                    double i = Sigmoid(gates[j]), f = Sigmoid(gates[hidden + j]), g = Math.Tanh(gates[2 * hidden + j]), o = Sigmoid(gates[3 * hidden + j]);
                    c[j] = f * c[j] + i * g;
                    m[j] = o * Math.Tanh(c[j]);
                }
                h = new double[proj];
                for (int p = 0; p < proj; p++)
                    for (int j = 0; j < hidden; j++)
                        h[p] += w.Whr![p * hidden + j] * m[j];
                for (int p = 0; p < proj; p++)
                    Assert.That(trace.Y[(t * batch + b) * proj + p], Is.EqualTo(h[p]).Within(1e-12), $"y[t={t}, b={b}, {p}]");
            }
            Assert.That(trace.Yh[(b * proj)..((b + 1) * proj)], Is.EqualTo(h).Within(1e-12));
            Assert.That(trace.Yc[(b * hidden)..((b + 1) * hidden)], Is.EqualTo(c).Within(1e-12));
        }
    }

    [Test]
    public void StackShapesFollowPyTorch()
    {
        // nn.LSTM(5, 6, num_layers=2, bidirectional=True, proj_size=3): output [T, B, 6], h_n [4, B, 3], c_n [4, B, 6].
        var options = new RnnOptions(RnnCellType.Lstm, 5, 6, NumLayers: 2, Bidirectional: true) { ProjectionSize = 3 };
        var model = new RnnModel<double>(options).InitializeUniform(1);
        Assert.Multiple(() =>
        {
            Assert.That(model.Layers[1].Options.InputSize, Is.EqualTo(6), "layer 1 reads both directions' projections");
            Assert.That(model.Layers[0].Directions[0].R, Has.Length.EqualTo(24 * 3), "weight_hh is [4H, P]");
            Assert.That(model.Layers[0].Directions[1].Whr, Has.Length.EqualTo(3 * 6), "weight_hr is [P, H]");
        });
        var trace = ReferenceStack.Forward<double>(model, new double[7 * 2 * 5], 7, 2, [], []);
        Assert.Multiple(() =>
        {
            Assert.That(trace.Output, Has.Length.EqualTo(7 * 2 * 6));
            Assert.That(trace.Hn, Has.Length.EqualTo(4 * 2 * 3));
            Assert.That(trace.Cn, Has.Length.EqualTo(4 * 2 * 6));
        });
        var ex = Assert.Throws<ArgumentException>(() => ReferenceStack.Forward<double>(model, new double[7 * 2 * 5], 7, 2, new double[4 * 2 * 6], []));
        Assert.That(ex!.Message, Does.Contain("Expected hidden[0] size (4, 2, 3)"));
    }

    [TestCase(RnnCellType.Gru, 4, 2, "only supported for LSTM")]
    [TestCase(RnnCellType.Lstm, 4, 4, "proj_size has to be smaller than hidden_size")]
    [TestCase(RnnCellType.Lstm, 4, -1, "proj_size should be a positive integer or zero")]
    public void InvalidProjectionsAreRefused(RnnCellType cell, int hidden, int proj, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => new RnnModel<float>(new RnnOptions(cell, 3, hidden) { ProjectionSize = proj }));
        Assert.That(ex!.Message, Does.Contain(message));
    }

    [Test]
    public void NoProjectionLeavesTheLayerUnchanged()
    {
        var options = new RnnLayerOptions(RnnCellType.Lstm, 3, 4);
        Assert.Multiple(() =>
        {
            Assert.That(options.OutputSize, Is.EqualTo(4));
            Assert.That(new LayerWeights<float>(options).Directions[0].Whr, Is.Null);
            Assert.That(new LayerWeights<float>(options).Directions[0].Parameters().Count(), Is.EqualTo(4));
            Assert.That(options, Is.Not.EqualTo(options with { ProjectionSize = 2 }));
        });
    }

    [Test]
    public void TheCpuEngineRefusesProjectionsUntilItSupportsThem()
    {
        var model = new RnnModel<float>(new RnnOptions(RnnCellType.Lstm, 3, 4) { ProjectionSize = 2 }).InitializeUniform(1);
        var ex = Assert.Throws<NotSupportedException>(() => new LstmNative.Cpu.CpuRnnModel(model.Layers));
        Assert.That(ex!.Message, Does.Contain("does not support LSTM projections"));
    }

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
}

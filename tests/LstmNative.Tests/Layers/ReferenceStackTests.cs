using LstmNative.Layers;
using LstmNative.Model;
using LstmNative.Reference;
using NUnit.Framework;
using static LstmNative.Tests.Reference.GradientCheckTests;

namespace LstmNative.Tests.Layers;

public class ReferenceStackTests
{
    [TestCase(RnnCellType.Lstm, false, false, 0.0, true)]
    [TestCase(RnnCellType.Lstm, true, true, 0.3, true)]
    [TestCase(RnnCellType.Gru, false, true, 0.0, true)]
    [TestCase(RnnCellType.Gru, true, false, 0.5, false)]
    [TestCase(RnnCellType.Lstm, true, true, 0.0, false)]
    [TestCase(RnnCellType.Lstm, true, true, 0.2, true, true)]
    [TestCase(RnnCellType.Lstm, false, false, 0.0, true, true)]
    public void StackGradientsMatchFiniteDifferences(RnnCellType cell, bool bidirectional, bool batchFirst, double dropout, bool bias, bool projection = false)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        int inSize = rng.Next(1, 4), hidden = rng.Next(projection ? 2 : 1, 4), steps = rng.Next(1, 4), batch = rng.Next(1, 3);
        var options = new RnnOptions(cell, inSize, hidden, NumLayers: 2, Bias: bias, BatchFirst: batchFirst, Dropout: dropout, Bidirectional: bidirectional)
        {
            ProjectionSize = projection ? rng.Next(1, hidden) : 0,
        };
        var model = new RnnModel<double>(options).InitializeUniform(rng.Next());
        int state = 2 * options.DirectionCount * batch * hidden;
        double[] x = RandomArray(rng, steps * batch * inSize, 1);
        double[] h0 = RandomArray(rng, 2 * options.DirectionCount * batch * options.StateSize, 1);
        double[] c0 = cell == RnnCellType.Lstm ? RandomArray(rng, state, 1) : [];
        int seed = rng.Next();
        var first = ReferenceStack.Forward<double>(model, x, steps, batch, h0, c0, training: true, dropoutSeed: seed);
        double[] wo = RandomArray(rng, first.Output.Length, 1), wh = RandomArray(rng, first.Hn.Length, 1), wc = RandomArray(rng, first.Cn.Length, 1);
        double Loss()
        {
            var tr = ReferenceStack.Forward<double>(model, x, steps, batch, h0, c0, training: true, dropoutSeed: seed);
            return Dot(tr.Output, wo) + Dot(tr.Hn, wh) + Dot(tr.Cn, wc);
        }
        var g = ReferenceStack.Backward<double>(first, wo, wh, wc);
        var failures = new List<string>();
        Check("input", x, g.DInput);
        Check("h0", h0, g.DH0);
        if (cell == RnnCellType.Lstm)
            Check("c0", c0, g.DC0);
        for (int l = 0; l < 2; l++)
            for (int d = 0; d < options.DirectionCount; d++)
            {
                var ps = model.Layers[l].Directions[d].Parameters().ToArray();
                var gs = g.Layers[l].Directions[d].Parameters().ToArray();
                for (int p = 0; p < ps.Length; p++)
                {
                    if (!bias && p is 2 or 3)
                        continue; // biases stay zero and untrained without bias
                    Check($"layer {l} dir {d} param {p}", ps[p], gs[p]);
                }
            }
        Assert.That(failures, Is.Empty);

        void Check(string name, double[] values, double[] analytic)
        {
            for (int i = 0; i < values.Length; i++)
            {
                double saved = values[i];
                values[i] = saved + 1e-6;
                double up = Loss();
                values[i] = saved - 1e-6;
                double down = Loss();
                values[i] = saved;
                double numeric = (up - down) / 2e-6;
                if (Math.Abs(numeric - analytic[i]) > 1e-6 * Math.Max(1, Math.Abs(numeric)))
                    failures.Add($"{name}[{i}]: analytic {analytic[i]:G9} numeric {numeric:G9}");
            }
        }
    }

    [Test]
    public void OneLayerStackEqualsOneReferenceLayer()
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var model = new RnnModel<double>(new RnnOptions(RnnCellType.Lstm, 3, 4, Bidirectional: true)).InitializeUniform(rng.Next());
        double[] x = RandomArray(rng, 5 * 2 * 3, 1);
        var stack = ReferenceStack.Forward<double>(model, x, 5, 2, [], []);
        var layer = ReferenceRnn.Forward<double>(model.Layers[0], x, 5, 2, [], [], []);
        Assert.Multiple(() =>
        {
            Assert.That(stack.Hn, Is.EqualTo(layer.Yh));
            Assert.That(stack.Cn, Is.EqualTo(layer.Yc));
            // output [T, B, 2H] holds Y[t, d, b, :] at [t, b, d*H:(d+1)*H]
            Assert.That(stack.Output[(1 * 2 + 1) * 8 + 4 + 2], Is.EqualTo(layer.Y[((1 * 2 + 1) * 2 + 1) * 4 + 2]));
        });
    }

    [Test]
    public void DropoutIsOffInEvaluation()
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var model = new RnnModel<double>(new RnnOptions(RnnCellType.Gru, 2, 3, NumLayers: 3, Dropout: 0.5)).InitializeUniform(1);
        double[] x = RandomArray(rng, 4 * 2 * 2, 1);
        var eval1 = ReferenceStack.Forward<double>(model, x, 4, 2, [], [], training: false, dropoutSeed: 1);
        var eval2 = ReferenceStack.Forward<double>(model, x, 4, 2, [], [], training: false, dropoutSeed: 2);
        var train = ReferenceStack.Forward<double>(model, x, 4, 2, [], [], training: true, dropoutSeed: 1);
        Assert.That(eval1.Output, Is.EqualTo(eval2.Output));
        Assert.That(train.Output, Is.Not.EqualTo(eval1.Output));
    }

    [Test]
    public void ShapeErrorsUsePyTorchWording()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new RnnModel<float>(new RnnOptions(RnnCellType.Lstm, 3, 0)),
                Throws.ArgumentException.With.Message.EqualTo("hidden_size must be greater than zero"));
            Assert.That(() => new RnnModel<float>(new RnnOptions(RnnCellType.Lstm, 3, 4, NumLayers: 0)),
                Throws.ArgumentException.With.Message.EqualTo("num_layers must be greater than zero"));
            Assert.That(() => new RnnModel<float>(new RnnOptions(RnnCellType.Lstm, 3, 4, Dropout: 1.5)),
                Throws.ArgumentException.With.Message.StartsWith("dropout should be a number in range [0, 1]"));
        });
        var model = new RnnModel<float>(new RnnOptions(RnnCellType.Lstm, 3, 4, NumLayers: 2));
        Assert.Multiple(() =>
        {
            Assert.That(() => ReferenceStack.Forward<float>(model, new float[2 * 1 * 4], 2, 1, [], []),
                Throws.ArgumentException.With.Message.Contains("input_size=3"));
            Assert.That(() => ReferenceStack.Forward<float>(model, new float[2 * 1 * 3], 2, 1, new float[5], []),
                Throws.ArgumentException.With.Message.StartsWith("Expected hidden[0] size (2, 1, 4)"));
            Assert.That(() => ReferenceStack.Forward<float>(model, new float[2 * 1 * 3], 2, 1, [], new float[5]),
                Throws.ArgumentException.With.Message.StartsWith("Expected hidden[1] size (2, 1, 4)"));
            Assert.That(() => ReferenceStack.Forward<float>(model, [], 0, 1, [], []),
                Throws.ArgumentException.With.Message.EqualTo("Expected sequence length to be larger than 0 in RNN"));
        });
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < b.Length; i++)
            s += a[i] * b[i];
        return s;
    }
}

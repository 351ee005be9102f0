using LstmNative.Training;
using LstmNative.Training.Layers;
using NUnit.Framework;

namespace LstmNative.Tests.Training;

/// <summary>The opt-in record of every step's hidden and cell state (issue 19 item 4) against the layer's own results.</summary>
public class StateRecorderTests
{
    [TestCase(true, 2, true, 3, 5, 4)]
    [TestCase(true, 1, false, 1, 7, 1)]
    [TestCase(false, 2, true, 2, 3, 3)]
    public void RecordedStatesAreTheLayersStates(bool lstm, int layers, bool bidirectional, int batch, int steps, int hidden)
    {
        var rng = GradientCheck.NewRandom(out int seed);
        Check<double>(lstm, layers, bidirectional, batch, steps, hidden, new Random(seed), 1e-12, $"double seed {seed}");
        Check<float>(lstm, layers, bidirectional, batch, steps, hidden, new Random(seed), 2e-6, $"float seed {seed}");
    }

    private static void Check<T>(bool lstm, int layers, bool bidirectional, int batch, int steps, int hidden, Random rng, double tol, string context)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        const int input = 3;
        RecurrentLayer<T> layer = lstm
            ? new Lstm<T>(input, hidden, rng, layers, dropout: 0.3, bidirectional: bidirectional)
            : new Gru<T>(input, hidden, rng, layers, dropout: 0.3, bidirectional: bidirectional);
        var x = new Tensor<T>(batch, steps, input);
        for (int i = 0; i < x.Length; i++)
            x.Data[i] = T.CreateChecked(rng.NextDouble() * 2 - 1);
        var engine = layer.Engine;
        layer.Train(); // dropout between layers: the recorder must see the inputs the layer saw
        RecurrentStates<T> states;
        Tensor<T> y;
        using (var recorder = layer.RecordStates())
        {
            Assert.That(recorder.Last, Is.Null);
            y = layer.Forward(x).Clone();
            states = recorder.Last!;
        }
        Assert.That(layer.Engine, Is.SameAs(engine), "disposing detaches the recorder");
        int dirs = bidirectional ? 2 : 1;
        Assert.That(states.Hidden.Shape.ToArray(), Is.EqualTo(new[] { layers * dirs, batch, steps, hidden }));
        Assert.That(states.Cell is null, Is.EqualTo(!lstm));
        for (int d = 0; d < dirs; d++)
            for (int b = 0; b < batch; b++)
                for (int t = 0; t < steps; t++)
                    for (int u = 0; u < hidden; u++)
                    {
                        double recorded = double.CreateChecked(states.Hidden.Data[((((layers - 1) * dirs + d) * batch + b) * steps + t) * hidden + u]);
                        double output = double.CreateChecked(y.Data[((b * steps + t) * dirs + d) * hidden + u]);
                        Assert.That(recorded, Is.EqualTo(output).Within(tol), $"{context}: last layer, direction {d}, row {b}, step {t}");
                    }
        for (int l = 0; l < layers; l++)
            for (int d = 0; d < dirs; d++)
            {
                int last = d == 0 ? steps - 1 : 0;
                var plotted = lstm ? states.CellStatesOf(0, d) : states.HiddenStatesOf(0, d);
                var final = (lstm ? layer.FinalCell! : layer.FinalHidden!).ToDoubles().AsSpan((l * dirs + d) * batch * hidden, hidden).ToArray();
                Assert.That(plotted[l][last], Is.EqualTo(final).Within(tol), $"{context}: final state of layer {l}, direction {d}");
            }
    }

    [Test]
    public void OneRecorderAtATime()
    {
        var lstm = new Lstm<float>(2, 3, new Random(1));
        using var recorder = lstm.RecordStates();
        Assert.That(() => lstm.RecordStates(), Throws.InvalidOperationException);
    }

    [Test]
    public void ShapeErrorsNameTheTypeWithoutItsArity()
    {
        var lstm = new Lstm<float>(2, 3, new Random(1));
        Assert.That(() => lstm.Forward(new Tensor<float>(1, 4, 5)), Throws.ArgumentException.With.Message.StartsWith("Lstm expects").And.Message.Not.Contains("`"));
        Assert.Multiple(() =>
        {
            Assert.That(TypeNames.Friendly(typeof(Lstm<float>)), Is.EqualTo("Lstm"));
            Assert.That(TypeNames.Friendly(typeof(Dictionary<string, List<int>>), withArguments: true), Is.EqualTo("Dictionary<String, List<Int32>>"));
            Assert.That(TypeNames.Friendly(typeof(int)), Is.EqualTo("Int32"));
        });
    }
}

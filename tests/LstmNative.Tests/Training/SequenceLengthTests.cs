using LstmNative.Training;
using LstmNative.Training.Layers;
using NUnit.Framework;

namespace LstmNative.Tests.Training;

/// <summary>
/// Recurrent modules with per-row lengths behave as PyTorch's packed sequences: each row equals that row run alone for
/// its own length, outputs past it are zero, gradients are right and never reach the padding; and the time-major
/// layout is the batch-first one transposed.
/// </summary>
public class SequenceLengthTests
{
    public static IEnumerable<TestCaseData> Modules()
    {
        foreach (bool cpu in new[] { false, true })
            foreach (var cell in new[] { "lstm", "gru" })
                yield return new TestCaseData(cell, cpu).SetArgDisplayNames($"{cell} on the {(cpu ? "fast CPU engine (float)" : "reference (double)")}");
    }

    [TestCaseSource(nameof(Modules))]
    public void EachRowEqualsThatRowRunAlone(string cell, bool cpu)
    {
        if (cpu)
            RowsAlone<float>(cell, 1e-5);
        else
            RowsAlone<double>(cell, 1e-12);
    }

    private static void RowsAlone<T>(string cell, double tolerance) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        int batch = 4, steps = 6, input = 3, hidden = 5;
        var layer = Make<T>(cell, input, hidden, rng.Next());
        var x = RandomTensor<T>(rng, batch, steps, input);
        int[] lengths = [steps, 1, 0, rng.Next(2, steps)];
        var y = layer.Forward(x, lengths).Clone();
        var hn = layer.FinalHidden!.Clone(); // [L·D, B, H]
        int outSize = layer.Options.OutputSize, stacks = hn.Dim(0);
        for (int b = 0; b < batch; b++)
        {
            int len = lengths[b];
            for (int t = len; t < steps; t++)
                for (int j = 0; j < outSize; j++)
                    Assert.That(double.CreateChecked(y.Data[(b * steps + t) * outSize + j]), Is.Zero, $"row {b} step {t}: padding output");
            if (len == 0)
                continue;
            var alone = new Tensor<T>(1, len, input);
            Array.Copy(x.Data, b * steps * input, alone.Data, 0, len * input);
            var ya = layer.Forward(alone);
            for (int t = 0; t < len; t++)
                for (int j = 0; j < outSize; j++)
                    Assert.That(double.CreateChecked(y.Data[(b * steps + t) * outSize + j]),
                        Is.EqualTo(double.CreateChecked(ya.Data[t * outSize + j])).Within(tolerance), $"row {b} step {t} unit {j}");
            for (int s = 0; s < stacks; s++)
                for (int j = 0; j < hidden; j++)
                    Assert.That(double.CreateChecked(hn.Data[(s * batch + b) * hidden + j]),
                        Is.EqualTo(double.CreateChecked(layer.FinalHidden!.Data[s * hidden + j])).Within(tolerance), $"h_n row {b} stack {s}");
        }
    }

    [TestCase("lstm")]
    [TestCase("gru")]
    public void GradientsWithLengthsMatchFiniteDifferencesAndSkipThePadding(string cell)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        int batch = 3, steps = 5, input = 2, hidden = 3;
        var layer = Make<double>(cell, input, hidden, rng.Next());
        var x = RandomTensor<double>(rng, batch, steps, input);
        int[] lengths = [steps, 2, 4];
        var weight = RandomTensor<double>(rng, batch, steps, layer.Options.OutputSize);
        double Loss()
        {
            var y = layer.Forward(x, lengths);
            double s = 0;
            for (int i = 0; i < y.Length; i++)
                s += y.Data[i] * weight.Data[i];
            return s;
        }
        layer.ZeroGrad();
        layer.Forward(x, lengths);
        var dx = layer.Backward(weight).Clone();
        const double h = 1e-6;
        for (int i = 0; i < x.Length; i++)
        {
            double saved = x.Data[i];
            x.Data[i] = saved + h;
            double plus = Loss();
            x.Data[i] = saved - h;
            double minus = Loss();
            x.Data[i] = saved;
            Assert.That(dx.Data[i], Is.EqualTo((plus - minus) / (2 * h)).Within(1e-6), $"dx[{i}]");
            int b = i / (steps * input), t = i / input % steps;
            if (t >= lengths[b])
                Assert.That(dx.Data[i], Is.Zero, $"padding of row {b} at step {t} gets no gradient");
        }
        var p = layer.Parameters().First(q => q.Name == "weight_hh_l0_reverse");
        for (int j = 0; j < p.Value.Length; j += 5)
        {
            double saved = p.Value.Data[j];
            p.Value.Data[j] = saved + h;
            double plus = Loss();
            p.Value.Data[j] = saved - h;
            double minus = Loss();
            p.Value.Data[j] = saved;
            Assert.That(p.Grad.Data[j], Is.EqualTo((plus - minus) / (2 * h)).Within(1e-6), $"weight_hh_l0_reverse[{j}]");
        }
    }

    [Test]
    public void FinalStateGradientsFlowBackWithLengths()
    {
        // An encoder whose final state starts a decoder receives dL/dh_n and dL/dc_n as well as dL/doutput.
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var lstm = new Lstm<double>(2, 3, new Random(rng.Next()), numLayers: 2, bidirectional: true);
        var x = RandomTensor<double>(rng, 3, 4, 2);
        int[] lengths = [4, 1, 3];
        var wy = RandomTensor<double>(rng, 3, 4, 6);
        var wh = RandomTensor<double>(rng, 4, 3, 3);
        var wc = RandomTensor<double>(rng, 4, 3, 3);
        double Loss()
        {
            var y = lstm.Forward(x, lengths);
            double s = 0;
            for (int i = 0; i < y.Length; i++)
                s += y.Data[i] * wy.Data[i];
            for (int i = 0; i < wh.Length; i++)
                s += lstm.FinalHidden!.Data[i] * wh.Data[i] + lstm.FinalCell!.Data[i] * wc.Data[i];
            return s;
        }
        lstm.ZeroGrad();
        lstm.Forward(x, lengths);
        var dx = lstm.Backward(wy, wh, wc).Clone();
        const double h = 1e-6;
        for (int i = 0; i < x.Length; i++)
        {
            double saved = x.Data[i];
            x.Data[i] = saved + h;
            double plus = Loss();
            x.Data[i] = saved - h;
            double minus = Loss();
            x.Data[i] = saved;
            Assert.That(dx.Data[i], Is.EqualTo((plus - minus) / (2 * h)).Within(1e-6), $"dx[{i}]");
        }
        Assert.Throws<ArgumentException>(() => lstm.Backward(wy, new Tensor<double>(2, 3, 3), null));
    }

    [Test]
    public void TimeMajorIsBatchFirstTransposed()
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        int seed = rng.Next(), batch = 3, steps = 4, input = 2;
        var batchFirst = new Lstm<double>(input, 3, new Random(seed), numLayers: 2, bidirectional: true);
        var timeMajor = new Lstm<double>(input, 3, new Random(seed), numLayers: 2, bidirectional: true, batchFirst: false);
        Assert.That(timeMajor.BatchFirst, Is.False);
        var x = RandomTensor<double>(rng, batch, steps, input);
        int[] lengths = [4, 1, 3];
        var y = batchFirst.Forward(x, lengths);
        var yt = timeMajor.Forward(Transpose(x), lengths);
        Assert.That(yt.Shape.ToArray(), Is.EqualTo(new[] { steps, batch, 6 }));
        Assert.That(Transpose(yt).Data, Is.EqualTo(y.Data).Within(1e-14));
        var dyt = RandomTensor<double>(rng, steps, batch, 6);
        var dx = batchFirst.Backward(Transpose(dyt)).Clone();
        var dxt = timeMajor.Backward(dyt);
        Assert.That(Transpose(dxt).Data, Is.EqualTo(dx.Data).Within(1e-14));
    }

    [Test]
    public void BadLengthsAndShapesAreRefusedNamingTheLayout()
    {
        var layer = new Gru<double>(2, 3, new Random(1), batchFirst: false);
        var x = new Tensor<double>(4, 3, 2); // [T=4, B=3, I=2]
        Assert.That(Assert.Throws<ArgumentException>(() => layer.Forward(x, [1, 2]))!.Message, Does.Contain("3 rows"));
        Assert.Throws<ArgumentOutOfRangeException>(() => layer.Forward(x, [1, 5, 2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => layer.Forward(x, [1, -1, 2]));
        var e = Assert.Throws<ArgumentException>(() => layer.Forward(new Tensor<double>(4, 3, 5)));
        Assert.That(e!.Message, Does.Contain("[T, B, 2] (time-major)").And.Contain("Gru"));
        var batchFirst = new Gru<double>(2, 3, new Random(1));
        Assert.That(Assert.Throws<ArgumentException>(() => batchFirst.Forward(new Tensor<double>(4, 3, 5)))!.Message,
            Does.Contain("[B, T, 2] (batch-first)"));
    }

    private static RecurrentLayer<T> Make<T>(string cell, int input, int hidden, int seed) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        cell == "lstm"
            ? new Lstm<T>(input, hidden, new Random(seed), numLayers: 2, bidirectional: true)
            : new Gru<T>(input, hidden, new Random(seed), numLayers: 2, bidirectional: true);

    private static Tensor<T> RandomTensor<T>(Random rng, params int[] shape) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var t = new Tensor<T>(shape);
        for (int i = 0; i < t.Length; i++)
            t.Data[i] = T.CreateChecked(rng.NextDouble() * 2 - 1);
        return t;
    }

    // [A, B, C] -> [B, A, C]
    private static Tensor<double> Transpose(Tensor<double> t)
    {
        int a = t.Dim(0), b = t.Dim(1), c = t.Dim(2);
        var r = new Tensor<double>(b, a, c);
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++)
                Array.Copy(t.Data, (i * b + j) * c, r.Data, (j * a + i) * c, c);
        return r;
    }
}

/// <summary>The state recorder follows each row's own length too.</summary>
public class StateRecorderLengthTests
{
    [Test]
    public void RecordedStatesAreTheOutputsWithinEachRowAndZeroPastIt()
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var lstm = new Lstm<double>(2, 3, rng, bidirectional: true);
        var x = new Tensor<double>(3, 5, 2);
        for (int i = 0; i < x.Length; i++)
            x.Data[i] = rng.NextDouble() - 0.5;
        int[] lengths = [5, 2, 3];
        using var recorder = lstm.RecordStates();
        var y = lstm.Forward(x, lengths);
        var hidden = recorder.Last!.Hidden; // [L·D, B, T, H]
        for (int d = 0; d < 2; d++)
            for (int b = 0; b < 3; b++)
                for (int t = 0; t < 5; t++)
                    for (int j = 0; j < 3; j++)
                    {
                        double recorded = hidden.Data[((d * 3 + b) * 5 + t) * 3 + j];
                        double expected = t < lengths[b] ? y.Data[(b * 5 + t) * 6 + d * 3 + j] : 0;
                        Assert.That(recorded, Is.EqualTo(expected).Within(1e-12), $"direction {d} row {b} step {t}");
                    }
    }
}

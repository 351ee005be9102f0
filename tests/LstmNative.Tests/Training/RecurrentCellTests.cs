using LstmNative.Training;
using LstmNative.Training.Layers;
using NUnit.Framework;

namespace LstmNative.Tests.Training;

/// <summary>
/// <c>LstmCell</c>/<c>GruCell</c> (issue 19 item 4): the gate equations, back-propagation through an unrolled loop
/// checked by central differences, equality with the multi-layer module run step by step, and errors.
/// </summary>
public class RecurrentCellTests
{
    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    [Test]
    public void LstmCellFollowsTheGateEquations()
    {
        var rng = GradientCheck.NewRandom(out int seed);
        const int input = 3, hidden = 4, batch = 2;
        var cell = new LstmCell<double>(input, hidden, rng);
        foreach (var p in cell.Parameters())
            for (int i = 0; i < p.Value.Length; i++)
                p.Value.Data[i] = rng.NextDouble() - 0.5; // biases too, so every term is exercised
        var x = GradientCheck.RandomTensor(rng, batch, input);
        var h = GradientCheck.RandomTensor(rng, batch, hidden);
        var c = GradientCheck.RandomTensor(rng, batch, hidden);
        var (h1, c1) = cell.Forward(x, h, c);
        var w = cell.Weights.Directions[0];
        for (int b = 0; b < batch; b++)
            for (int u = 0; u < hidden; u++)
            {
                // PyTorch's gate order i, f, g, o: gate k of unit u is row k*H + u.
                double Pre(int k)
                {
                    int row = k * hidden + u;
                    double v = w.Bw[row] + w.Br[row];
                    for (int j = 0; j < input; j++)
                        v += w.W[row * input + j] * x.Data[b * input + j];
                    for (int j = 0; j < hidden; j++)
                        v += w.R[row * hidden + j] * h.Data[b * hidden + j];
                    return v;
                }
                double ig = Sigmoid(Pre(0)), fg = Sigmoid(Pre(1)), gg = Math.Tanh(Pre(2)), og = Sigmoid(Pre(3));
                double cNew = fg * c.Data[b * hidden + u] + ig * gg;
                Assert.That(c1.Data[b * hidden + u], Is.EqualTo(cNew).Within(1e-14), $"seed {seed}");
                Assert.That(h1.Data[b * hidden + u], Is.EqualTo(og * Math.Tanh(cNew)).Within(1e-14), $"seed {seed}");
            }
    }

    [TestCase(true, 1, 3, 1, 1)]
    [TestCase(true, 2, 3, 4, 3)]
    [TestCase(false, 3, 2, 5, 4)]
    [TestCase(false, 1, 1, 1, 2)]
    public void UnrolledBackwardMatchesFiniteDifferences(bool lstm, int batch, int input, int hidden, int steps)
    {
        var rng = GradientCheck.NewRandom(out int seed);
        RecurrentCell<double> cell = lstm ? new LstmCell<double>(input, hidden, rng) : new GruCell<double>(input, hidden, rng);
        foreach (var p in cell.Parameters())
            for (int i = 0; i < p.Value.Length; i++)
                p.Value.Data[i] += (rng.NextDouble() - 0.5) * 0.5;
        var xs = Enumerable.Range(0, steps).Select(_ => GradientCheck.RandomTensor(rng, batch, input)).ToArray();
        var h0 = GradientCheck.RandomTensor(rng, batch, hidden);
        var c0 = GradientCheck.RandomTensor(rng, batch, hidden);
        // L = sum_t a_t . h_t + b . c_T
        var a = Enumerable.Range(0, steps).Select(_ => GradientCheck.RandomTensor(rng, batch, hidden)).ToArray();
        var bc = GradientCheck.RandomTensor(rng, batch, hidden);

        double Loss()
        {
            Tensor<double> h = h0, c = c0;
            double sum = 0;
            for (int t = 0; t < steps; t++)
            {
                if (cell is LstmCell<double> l)
                    (h, c) = l.Forward(xs[t], h, c);
                else
                    h = ((GruCell<double>)cell).Forward(xs[t], h);
                for (int i = 0; i < h.Length; i++)
                    sum += a[t].Data[i] * h.Data[i];
            }
            if (lstm)
                for (int i = 0; i < c.Length; i++)
                    sum += bc.Data[i] * c.Data[i];
            return sum;
        }

        cell.Train();
        cell.ZeroGrad();
        Loss();
        Assert.That(cell.PendingSteps, Is.EqualTo(steps));
        var dxs = new Tensor<double>[steps];
        Tensor<double>? dhNext = null, dcNext = lstm ? bc : null;
        for (int t = steps - 1; t >= 0; t--)
        {
            var dh = a[t].Clone();
            if (dhNext is not null)
                for (int i = 0; i < dh.Length; i++)
                    dh.Data[i] += dhNext.Data[i];
            var g = cell.Backward(dh, dcNext);
            dxs[t] = g.DX;
            dhNext = g.DH;
            dcNext = g.DC;
        }
        Assert.That(cell.PendingSteps, Is.Zero);
        var analyticParams = cell.Parameters().Select(p => p.Grad.Clone()).ToArray();

        cell.Eval(); // the probes keep nothing
        double worst = 0;
        string worstAt = "";
        void Probe(double[] values, int i, double analytic, string what)
        {
            double orig = values[i];
            values[i] = orig + GradientCheck.Eps;
            double plus = Loss();
            values[i] = orig - GradientCheck.Eps;
            double minus = Loss();
            values[i] = orig;
            double numeric = (plus - minus) / (2 * GradientCheck.Eps);
            double err = GradientCheck.RelativeError(analytic, numeric, Math.Abs(plus));
            if (err > worst || double.IsNaN(err))
            {
                worst = double.IsNaN(err) ? double.PositiveInfinity : err;
                worstAt = $"{what}[{i}]: analytic {analytic}, numeric {numeric}";
            }
        }
        for (int t = 0; t < steps; t++)
            for (int i = 0; i < xs[t].Length; i++)
                Probe(xs[t].Data, i, dxs[t].Data[i], $"x{t}");
        for (int i = 0; i < h0.Length; i++)
            Probe(h0.Data, i, dhNext!.Data[i], "h0");
        if (lstm)
            for (int i = 0; i < c0.Length; i++)
                Probe(c0.Data, i, dcNext!.Data[i], "c0");
        var parameters = cell.Parameters().ToArray();
        for (int k = 0; k < parameters.Length; k++)
            for (int i = 0; i < parameters[k].Value.Length; i++)
                Probe(parameters[k].Value.Data, i, analyticParams[k].Data[i], parameters[k].Name);
        Assert.That(worst, Is.LessThan(GradientCheck.Tolerance), $"seed {seed}: worst {worstAt}");
    }

    [TestCase(true, 2, 3, 5, 4)]
    [TestCase(false, 3, 1, 2, 6)]
    [TestCase(true, 1, 4, 1, 1)]
    public void CellStepsEqualTheLayer(bool lstm, int batch, int input, int hidden, int steps)
    {
        var rng = GradientCheck.NewRandom(out int seed);
        CompareWithLayer<double>(lstm, batch, input, hidden, steps, rng, 1e-13, seed);
        CompareWithLayer<float>(lstm, batch, input, hidden, steps, rng, 2e-6, seed); // the fast CPU engine
    }

    private static void CompareWithLayer<T>(bool lstm, int batch, int input, int hidden, int steps, Random rng, double tolerance, int seed)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        RecurrentLayer<T> layer = lstm ? new Lstm<T>(input, hidden, rng) : new Gru<T>(input, hidden, rng);
        RecurrentCell<T> cell = lstm ? new LstmCell<T>(input, hidden, new Random(1)) : new GruCell<T>(input, hidden, new Random(1));
        foreach (var p in layer.Parameters())
            for (int i = 0; i < p.Value.Length; i++)
                p.Value.Data[i] = T.CreateChecked(rng.NextDouble() - 0.5);
        cell.CopyFrom(layer);
        var x = Random<T>(rng, batch, steps, input);
        var h0 = Random<T>(rng, batch, hidden);
        var c0 = Random<T>(rng, batch, hidden);
        layer.InitialHidden = h0.Reshape(1, batch, hidden);
        layer.InitialCell = lstm ? c0.Reshape(1, batch, hidden) : null;
        layer.Eval();
        cell.Eval();
        var y = layer.Forward(x);
        Tensor<T> h = h0;
        Tensor<T>? c = lstm ? c0 : null;
        for (int t = 0; t < steps; t++)
        {
            var xt = new Tensor<T>(batch, input);
            for (int b = 0; b < batch; b++)
                x.Data.AsSpan((b * steps + t) * input, input).CopyTo(xt.Data.AsSpan(b * input));
            if (cell is LstmCell<T> l)
                (h, c) = l.Forward(xt, h, c);
            else
                h = ((GruCell<T>)cell).Forward(xt, h);
            for (int b = 0; b < batch; b++)
                for (int u = 0; u < hidden; u++)
                    Assert.That(double.CreateChecked(h.Data[b * hidden + u]),
                        Is.EqualTo(double.CreateChecked(y.Data[(b * steps + t) * hidden + u])).Within(tolerance), $"{typeof(T).Name} seed {seed} step {t}");
        }
        if (lstm)
            Assert.That(c!.ToDoubles(), Is.EqualTo(layer.FinalCell!.ToDoubles()).Within(tolerance), $"{typeof(T).Name} seed {seed} final c");
    }

    private static Tensor<T> Random<T>(Random rng, params int[] shape) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var t = new Tensor<T>(shape);
        for (int i = 0; i < t.Length; i++)
            t.Data[i] = T.CreateChecked(rng.NextDouble() * 2 - 1);
        return t;
    }

    [Test]
    public void MisuseFailsClearly()
    {
        var cell = new LstmCell<float>(3, 4, new Random(1));
        Assert.Multiple(() =>
        {
            Assert.That(() => cell.Forward(new Tensor<float>(2, 5), null, null),
                Throws.ArgumentException.With.Message.StartsWith("LstmCell expects x [B, 3]"));
            Assert.That(() => cell.Forward(new Tensor<float>(2, 3), new Tensor<float>(1, 4), null),
                Throws.ArgumentException.With.Message.Contains("h must be [2, 4]"));
            Assert.That(() => cell.Backward(new Tensor<float>(2, 4), null), Throws.InvalidOperationException);
        });
        cell.Eval();
        cell.Forward(new Tensor<float>(2, 3), null, null);
        Assert.That(cell.PendingSteps, Is.Zero, "evaluation mode keeps nothing");
        Assert.That(() => cell.Backward(new Tensor<float>(2, 4), null), Throws.InvalidOperationException.With.Message.Contains("evaluation mode"));
        var gru = new GruCell<float>(3, 4, new Random(1));
        gru.Forward(new Tensor<float>(2, 3), null);
        Assert.That(() => gru.Backward(new Tensor<float>(2, 4), new Tensor<float>(2, 4)), Throws.ArgumentException.With.Message.Contains("no cell state"));
        Assert.That(() => gru.CopyFrom(new Lstm<float>(3, 4, new Random(1))), Throws.ArgumentException);
    }

    [Test]
    public void ParametersCarryPyTorchNamesAndCounts()
    {
        var cell = new LstmCell<float>(10, 20, new Random(1));
        Assert.That(cell.Parameters().Select(p => p.ToString()), Is.EqualTo(new[] { "weight_ih [80, 10]", "weight_hh [80, 20]", "bias_ih [80]", "bias_hh [80]" }));
        Assert.That(new GruCell<float>(10, 20, new Random(1)).ParameterCount(), Is.EqualTo(3 * 20 * (10 + 20 + 2))); // torch: 1920
    }
}

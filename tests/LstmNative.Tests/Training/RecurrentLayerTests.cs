using LstmNative.Engines;
using LstmNative.Training;
using LstmNative.Training.Layers;
using LstmNative.Training.Losses;
using LstmNative.Training.Optimizers;
using NUnit.Framework;
using static LstmNative.Tests.Training.GradientCheck;

namespace LstmNative.Tests.Training;

/// <summary>The LSTM/GRU training modules: finite-difference gradients (float64), state handling, the engine seam.</summary>
public class RecurrentLayerTests
{
    private static RecurrentLayer<double> Make(bool gru, int i, int h, Random rng, int layers = 2, double dropout = 0, bool bidirectional = false, int shards = 2)
    {
        var engine = new ReferenceLayerEngine<double>(shards);
        RecurrentLayer<double> layer = gru
            ? new Gru<double>(i, h, rng, layers, dropout, bidirectional, engine)
            : new Lstm<double>(i, h, rng, layers, dropout, bidirectional, engine: engine);
        // Non-zero biases everywhere, so their gradients are checked at a generic point.
        foreach (var p in layer.Parameters().Where(p => p.Name.StartsWith("bias", StringComparison.Ordinal)))
            for (int k = 0; k < p.Value.Length; k++)
                p.Value.Data[k] = rng.NextDouble() - 0.5;
        return layer;
    }

    [TestCase(false, false, 1)]
    [TestCase(false, false, 2)]
    [TestCase(false, true, 2)]
    [TestCase(true, false, 1)]
    [TestCase(true, false, 2)]
    [TestCase(true, true, 2)]
    public void GradientsMatchFiniteDifferences(bool gru, bool bidirectional, int layers)
    {
        var rng = NewRandom(out int seed);
        int b = rng.Next(1, 4), t = rng.Next(1, 5), i = rng.Next(1, 4), h = rng.Next(1, 4);
        var layer = Make(gru, i, h, rng, layers, bidirectional: bidirectional);
        Check(layer, RandomTensor(rng, b, t, i), rng, $"{(gru ? "GRU" : "LSTM")} seed {seed} B{b} T{t} I{i} H{h} L{layers} bi={bidirectional}");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void GradientsWithDropoutAndInitialStates(bool gru)
    {
        var rng = NewRandom(out int seed);
        int b = 3, t = 3, i = 2, h = 3, layers = 2;
        var layer = Make(gru, i, h, rng, layers, dropout: 0.3);
        layer.InitialHidden = RandomTensor(rng, layers, b, h);
        if (!gru)
            layer.InitialCell = RandomTensor(rng, layers, b, h);
        Check(layer, RandomTensor(rng, b, t, i), rng, $"dropout seed {seed}", beforeForward: () => layer.ReseedDropout(seed));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void InitialStateGradientsMatchFiniteDifferences(bool gru)
    {
        var rng = NewRandom(out int seed);
        int b = 2, t = 3, i = 2, h = 2, layers = 2;
        var layer = Make(gru, i, h, rng, layers);
        var x = RandomTensor(rng, b, t, i);
        var h0 = layer.InitialHidden = RandomTensor(rng, layers, b, h);
        var c0 = gru ? null : layer.InitialCell = RandomTensor(rng, layers, b, h);
        var c = RandomTensor(rng, b, t, h);
        layer.Forward(x);
        layer.ZeroGrad();
        layer.Backward(c);
        var dh0 = layer.InitialHiddenGrad!.Clone();
        var dc0 = layer.InitialCellGrad?.Clone();
        double Loss()
        {
            var y = layer.Forward(x);
            return y.Data.Select((v, k) => v * c.Data[k]).Sum();
        }
        foreach (var (state, grad, name) in new[] { (h0, dh0, "h0"), (c0, dc0, "c0") })
        {
            if (state is null)
                continue;
            for (int k = 0; k < state.Length; k++)
            {
                double orig = state.Data[k];
                state.Data[k] = orig + Eps;
                double plus = Loss();
                state.Data[k] = orig - Eps;
                double minus = Loss();
                state.Data[k] = orig;
                Assert.That(RelativeError(grad!.Data[k], (plus - minus) / (2 * Eps)), Is.LessThan(Tolerance), $"seed {seed} d{name}[{k}]");
            }
        }
    }

    [Test]
    public void ShardedEngineMatchesSingleShard()
    {
        var rng = NewRandom(out int seed);
        int b = 5, t = 4, i = 3, h = 4;
        var one = Make(false, i, h, new Random(seed), shards: 1);
        var four = Make(false, i, h, new Random(seed), shards: 4);
        var x = RandomTensor(rng, b, t, i);
        var g = RandomTensor(rng, b, t, h);
        var y1 = one.Forward(x).Clone();
        var y4 = four.Forward(x).Clone();
        Assert.That(y4.Data, Is.EqualTo(y1.Data).Within(1e-14), "forward");
        var dx1 = one.Backward(g).Clone();
        var dx4 = four.Backward(g).Clone();
        Assert.That(dx4.Data, Is.EqualTo(dx1.Data).Within(1e-12), "input gradient");
        var p1 = one.Parameters().ToArray();
        var p4 = four.Parameters().ToArray();
        for (int p = 0; p < p1.Length; p++)
            Assert.That(p4[p].Grad.Data, Is.EqualTo(p1[p].Grad.Data).Within(1e-12), p1[p].Name);
        Assert.That(four.FinalHidden!.Data, Is.EqualTo(one.FinalHidden!.Data).Within(1e-14));
    }

    [Test]
    public void StatefulChunksContinueTheSequence()
    {
        var rng = NewRandom(out int seed);
        int b = 2, t = 6, i = 2, h = 3;
        var layer = Make(false, i, h, rng);
        var x = RandomTensor(rng, b, t, i);
        var whole = layer.Forward(x).Clone();
        layer.Stateful = true;
        layer.ResetState();
        var outputs = new List<double>[b];
        for (int n = 0; n < b; n++)
            outputs[n] = [];
        for (int start = 0; start < t; start += 3)
        {
            var chunk = new Tensor<double>(b, 3, i);
            for (int n = 0; n < b; n++)
                Array.Copy(x.Data, (n * t + start) * i, chunk.Data, n * 3 * i, 3 * i);
            var y = layer.Forward(chunk);
            for (int n = 0; n < b; n++)
                outputs[n].AddRange(y.Data.AsSpan(n * 3 * h, 3 * h).ToArray());
        }
        Assert.That(outputs.SelectMany(o => o).ToArray(), Is.EqualTo(whole.Data).Within(1e-14), $"seed {seed}");
        layer.ResetState();
        var fresh = layer.Forward(new Tensor<double>(x.Data.AsSpan(0, 3 * i).ToArray(), 1, 3, i));
        Assert.That(fresh.Data, Is.EqualTo(whole.Data.AsSpan(0, 3 * h).ToArray()).Within(1e-14), "ResetState starts from zeros");
    }

    [Test]
    public void ParametersCarryPyTorchNames()
    {
        var layer = new Lstm<float>(3, 4, new Random(1), numLayers: 2, bidirectional: true);
        Assert.That(layer.Parameters().Select(p => p.ToString()).Take(4).ToArray(), Is.EqualTo(new[]
        {
            "weight_ih_l0 [16, 3]", "weight_hh_l0 [16, 4]", "bias_ih_l0 [16]", "bias_hh_l0 [16]",
        }));
        Assert.That(layer.Parameters().Select(p => p.Name), Does.Contain("weight_ih_l1_reverse"));
        Assert.That(layer.Parameters().First(p => p.Name == "weight_ih_l1").Value.Shape.ToArray(), Is.EqualTo(new[] { 16, 8 }));
        // Forget-gate bias 1 (block 1 of i, f, g, o), the rest zero.
        var bias = layer.Parameters().First(p => p.Name == "bias_ih_l0").Value.Data;
        Assert.That(bias.AsSpan(4, 4).ToArray(), Is.All.EqualTo(1f));
        Assert.That(bias.AsSpan(0, 4).ToArray(), Is.All.EqualTo(0f));
    }

    [Test]
    public void WrongStateShapesAreRejected()
    {
        var layer = new Gru<double>(2, 3, new Random(1));
        layer.InitialCell = new Tensor<double>(1, 1, 3);
        Assert.That(() => layer.Forward(new Tensor<double>(1, 2, 2)), Throws.ArgumentException.With.Message.Contains("no cell state"));
        var lstm = new Lstm<double>(2, 3, new Random(1)) { Stateful = true };
        lstm.Forward(new Tensor<double>(2, 2, 2));
        Assert.That(() => lstm.Forward(new Tensor<double>(3, 2, 2)), Throws.ArgumentException.With.Message.Contains("ResetState"));
    }

    [Test]
    public void TruncatedBpttLearnsANextStepSine()
    {
        var rng = new Random(3);
        int n = 1200;
        var series = Enumerable.Range(0, n + 1).Select(k => (float)Math.Sin(2 * Math.PI * k / 25.0)).ToArray();
        var inputs = series.AsSpan(0, n).ToArray();
        var targets = series.AsSpan(1, n).ToArray();
        var lstm = new Lstm<float>(1, 8, rng);
        var model = new Sequential<float>(lstm, new Linear<float>(8, 1, rng));
        var optimizer = new Adam<float>(model.Parameters(), 0.02);
        double first = TruncatedBptt.Epoch(model, [lstm], inputs, 1, targets, 1, streams: 4, chunk: 20, new MseLoss<float>(), optimizer, clipNorm: 1);
        double last = first;
        for (int e = 0; e < 15; e++)
            last = TruncatedBptt.Epoch(model, [lstm], inputs, 1, targets, 1, streams: 4, chunk: 20, new MseLoss<float>(), optimizer, clipNorm: 1);
        Assert.That(lstm.Stateful, Is.True);
        Assert.That(last, Is.LessThan(first / 10).And.LessThan(0.02), $"first epoch {first}, last {last}");
    }
}

using LstmNative.Engines;
using LstmNative.Training;
using LstmNative.Training.Layers;
using NUnit.Framework;
using static LstmNative.Tests.Training.GradientCheck;

namespace LstmNative.Tests.Training;

/// <summary>
/// Per-row sequence lengths and the time-major layout of the recurrent modules (issue 19 item 3): forward and backward
/// against finite differences, against running each row alone, and the fast float engine against the float64 reference.
/// </summary>
public class RecurrentLengthsTests
{
    private static RecurrentLayer<T> Make<T>(bool gru, int i, int h, int seed, int layers, bool bidirectional, bool batchFirst, IRnnLayerEngine<T> engine)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        RecurrentLayer<T> layer = gru
            ? new Gru<T>(i, h, new Random(seed), layers, 0, bidirectional, engine, batchFirst)
            : new Lstm<T>(i, h, new Random(seed), layers, 0, bidirectional, engine: engine, batchFirst: batchFirst);
        // Non-zero biases from one stream, so float and double layers made with one seed hold the same values.
        var rng = new Random(seed + 1);
        foreach (var p in layer.Parameters())
            for (int k = 0; k < p.Value.Length; k++)
                p.Value.Data[k] = T.CreateChecked(rng.NextDouble() - 0.5);
        return layer;
    }

    private static int[] RandomLengths(Random rng, int batch, int steps)
    {
        var lengths = Enumerable.Range(0, batch).Select(_ => rng.Next(0, steps + 1)).ToArray();
        lengths[rng.Next(batch)] = steps; // one full row, as a padded batch always has
        return lengths;
    }

    /// <summary>A recurrent layer called with fixed lengths, so the shared finite-difference check can drive it.</summary>
    private sealed class WithLengths(RecurrentLayer<double> layer, int[] lengths) : IModule<double>
    {
        public Tensor<double> Forward(Tensor<double> input) => layer.Forward(input, lengths);

        public Tensor<double> Backward(Tensor<double> gradOutput) => layer.Backward(gradOutput);

        public IEnumerable<Parameter<double>> Parameters() => layer.Parameters();

        public IEnumerable<NamedTensor<double>> Buffers() => layer.Buffers();

        public bool IsTraining { get => layer.IsTraining; set => layer.IsTraining = value; }
    }

    [TestCase(false, false, true)]
    [TestCase(false, true, true)]
    [TestCase(false, true, false)]
    [TestCase(true, false, true)]
    [TestCase(true, true, false)]
    public void Gradients_with_lengths_match_finite_differences(bool gru, bool bidirectional, bool batchFirst)
    {
        var rng = NewRandom(out int seed);
        int b = rng.Next(2, 5), t = rng.Next(2, 6), i = rng.Next(1, 4), h = rng.Next(1, 4);
        var layer = Make(gru, i, h, seed, 2, bidirectional, batchFirst, new ReferenceLayerEngine<double>(2));
        int[] lengths = RandomLengths(rng, b, t);
        var x = batchFirst ? RandomTensor(rng, b, t, i) : RandomTensor(rng, t, b, i);
        Check(new WithLengths(layer, lengths), x, rng,
            $"{(gru ? "GRU" : "LSTM")} seed {seed} B{b} T{t} I{i} H{h} bi={bidirectional} batchFirst={batchFirst} lengths [{string.Join(',', lengths)}]");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Each_row_equals_the_row_run_alone_to_its_length_forward_and_backward(bool gru)
    {
        var rng = NewRandom(out int seed);
        int b = 4, t = 5, i = 3, h = 2, dirs = 2, layers = 2;
        var layer = Make(gru, i, h, seed, layers, bidirectional: true, batchFirst: true, new ReferenceLayerEngine<double>(3));
        int[] lengths = RandomLengths(rng, b, t);
        var x = RandomTensor(rng, b, t, i);
        var y = layer.Forward(x, lengths).Clone();
        var hn = layer.FinalHidden!.Clone();
        var cn = layer.FinalCell?.Clone();
        var dy = RandomTensor(rng, b, t, dirs * h);
        layer.ZeroGrad();
        var dx = layer.Backward(dy).Clone();
        string context = $"seed {seed} lengths [{string.Join(',', lengths)}]";
        for (int r = 0; r < b; r++)
        {
            int len = lengths[r];
            for (int s = len; s < t; s++)
                for (int k = 0; k < dirs * h; k++)
                    Assert.That(y.Data[(r * t + s) * dirs * h + k], Is.Zero, $"{context}: output past the length of row {r}");
            for (int s = len; s < t; s++)
                for (int k = 0; k < i; k++)
                    Assert.That(dx.Data[(r * t + s) * i + k], Is.Zero, $"{context}: input gradient past the length of row {r}");
            if (len == 0)
            {
                Assert.That(Enumerable.Range(0, layers * dirs).SelectMany(l => hn.Data.Skip((l * b + r) * h).Take(h)), Is.All.Zero, $"{context}: empty row keeps the zero state");
                continue;
            }
            var alone = new Tensor<double>(x.Data.Skip(r * t * i).Take(len * i).ToArray(), 1, len, i);
            var yAlone = layer.Forward(alone);
            for (int s = 0; s < len; s++)
                for (int k = 0; k < dirs * h; k++)
                    Assert.That(y.Data[(r * t + s) * dirs * h + k], Is.EqualTo(yAlone.Data[s * dirs * h + k]).Within(1e-12), $"{context}: row {r} output");
            for (int l = 0; l < layers * dirs; l++)
                for (int k = 0; k < h; k++)
                {
                    Assert.That(hn.Data[(l * b + r) * h + k], Is.EqualTo(layer.FinalHidden!.Data[l * h + k]).Within(1e-12), $"{context}: row {r} h_n");
                    if (cn is not null)
                        Assert.That(cn.Data[(l * b + r) * h + k], Is.EqualTo(layer.FinalCell!.Data[l * h + k]).Within(1e-12), $"{context}: row {r} c_n");
                }
            var dxAlone = layer.Backward(new Tensor<double>(dy.Data.Skip(r * t * dirs * h).Take(len * dirs * h).ToArray(), 1, len, dirs * h));
            for (int k = 0; k < len * i; k++)
                Assert.That(dx.Data[r * t * i + k], Is.EqualTo(dxAlone.Data[k]).Within(1e-12), $"{context}: row {r} input gradient");
        }
    }

    [TestCase(false, true)]
    [TestCase(false, false)]
    [TestCase(true, true)]
    public void Fast_cpu_engine_matches_the_reference_with_lengths(bool gru, bool batchFirst)
    {
        var rng = NewRandom(out int seed);
        int b = rng.Next(1, 7), t = rng.Next(1, 9), i = rng.Next(1, 6), h = rng.Next(1, 9);
        var fast = Make(gru, i, h, seed, 2, bidirectional: true, batchFirst, CpuLayerEngine.Default);
        var reference = Make(gru, i, h, seed, 2, bidirectional: true, batchFirst, new ReferenceLayerEngine<double>(2));
        int[] lengths = RandomLengths(rng, b, t);
        int[] shape = batchFirst ? [b, t, i] : [t, b, i];
        var x = RandomTensor(rng, shape);
        var dy = RandomTensor(rng, shape[0], shape[1], 2 * h);
        var yRef = reference.Forward(x, lengths).Clone();
        reference.ZeroGrad();
        var dxRef = reference.Backward(dy).Clone();
        var yFast = fast.Forward(ToFloat(x), lengths).Clone();
        fast.ZeroGrad();
        var dxFast = fast.Backward(ToFloat(dy)).Clone();
        string context = $"seed {seed} B{b} T{t} I{i} H{h} lengths [{string.Join(',', lengths)}]";
        AssertClose(yFast.Data, yRef.Data, 1e-5, context + " output");
        AssertClose(fast.FinalHidden!.Data, reference.FinalHidden!.Data, 1e-5, context + " h_n");
        if (!gru)
            AssertClose(fast.FinalCell!.Data, reference.FinalCell!.Data, 1e-5, context + " c_n");
        AssertClose(dxFast.Data, dxRef.Data, 1e-4, context + " input gradient");
        foreach (var (pf, pr) in fast.Parameters().Zip(reference.Parameters()))
            AssertClose(pf.Grad.Data, pr.Grad.Data, 1e-4, $"{context} {pf.Name} gradient");
    }

    [Test]
    public void Time_major_equals_batch_first_on_the_transposed_input()
    {
        var rng = NewRandom(out int seed);
        int b = 3, t = 4, i = 2, h = 3;
        var first = Make(false, i, h, seed, 1, bidirectional: true, batchFirst: true, new ReferenceLayerEngine<double>(1));
        var major = Make(false, i, h, seed, 1, bidirectional: true, batchFirst: false, new ReferenceLayerEngine<double>(1));
        var x = RandomTensor(rng, b, t, i);
        var xt = new Tensor<double>(new double[x.Length], t, b, i);
        for (int r = 0; r < b; r++)
            for (int s = 0; s < t; s++)
                for (int k = 0; k < i; k++)
                    xt.Data[(s * b + r) * i + k] = x.Data[(r * t + s) * i + k];
        var y = first.Forward(x, [2, 4, 1]);
        var yt = major.Forward(xt, [2, 4, 1]);
        Assert.That(yt.Shape.ToArray(), Is.EqualTo(new[] { t, b, 2 * h }));
        for (int r = 0; r < b; r++)
            for (int s = 0; s < t; s++)
                for (int k = 0; k < 2 * h; k++)
                    Assert.That(yt.Data[(s * b + r) * 2 * h + k], Is.EqualTo(y.Data[(r * t + s) * 2 * h + k]).Within(1e-12));
        Assert.That(major.FinalHidden!.Data, Is.EqualTo(first.FinalHidden!.Data).Within(1e-12));
    }

    [Test]
    public void Shape_errors_name_the_expected_layout()
    {
        var major = new Lstm<double>(3, 2, new Random(1), batchFirst: false);
        var wrong = Assert.Throws<ArgumentException>(() => major.Forward(new Tensor<double>(new double[14], 7, 2)))!;
        Assert.That(wrong.Message, Does.StartWith("Lstm expects [T, B, 3] (time-major)"));
        var first = new Gru<double>(3, 2, new Random(1));
        var wrongFirst = Assert.Throws<ArgumentException>(() => first.Forward(new Tensor<double>(new double[14], 2, 7)))!;
        Assert.That(wrongFirst.Message, Does.StartWith("Gru expects [B, T, 3] (batch-first)"));
        var x = new Tensor<double>(new double[2 * 4 * 3], 2, 4, 3);
        Assert.That(Assert.Throws<ArgumentException>(() => first.Forward(x, [1, 2, 3]))!.Message, Does.Contain("3 sequence lengths for a batch of 2 rows"));
        Assert.That(Assert.Catch<ArgumentException>(() => first.Forward(x, [5, 1]))!.Message, Does.Contain("sequence length 5 of row 0 is outside [0, 4]"));
    }

    private static Tensor<float> ToFloat(Tensor<double> t) => new(t.Data.Select(v => (float)v).ToArray(), t.Shape.ToArray());

    private static void AssertClose(float[] actual, double[] expected, double tolerance, string context)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), context);
        double worst = 0;
        for (int k = 0; k < actual.Length; k++)
            worst = Math.Max(worst, Math.Abs(actual[k] - expected[k]) / Math.Max(1, Math.Abs(expected[k])));
        Assert.That(worst, Is.LessThan(tolerance), context);
    }
}

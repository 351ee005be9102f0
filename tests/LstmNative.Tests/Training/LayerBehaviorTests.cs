using LstmNative.Training;
using LstmNative.Training.Layers;
using NUnit.Framework;

namespace LstmNative.Tests.Training;

/// <summary>Forward values worked out by hand, modes, naming, buffer reuse and the float path.</summary>
public class LayerBehaviorTests
{
    private static Tensor<double> T(double[] data, params int[] shape) => new(data, shape);

    [Test]
    public void LinearComputesXWTransposePlusB()
    {
        var layer = new Linear<double>(2, 2, new Random(1));
        new[] { 1.0, 2, 3, 4 }.CopyTo(layer.Weight.Value.Data, 0);
        new[] { 0.5, -0.5 }.CopyTo(layer.Bias!.Value.Data, 0);
        Assert.That(layer.Forward(T([1, 1, 0, 1], 2, 2)).Data, Is.EqualTo(new[] { 3.5, 6.5, 2.5, 3.5 }));
    }

    [Test]
    public void Conv1dWithPaddingAndStride()
    {
        // x = 1 2 3 4, kernel 1 2 3, bias 0.5, padding 1, stride 2: windows (0 1 2) and (2 3 4).
        var conv = new Conv1d<double>(1, 1, 3, new Random(1), stride: 2, padding: 1);
        new[] { 1.0, 2, 3 }.CopyTo(conv.Weight.Value.Data, 0);
        conv.Bias!.Value.Data[0] = 0.5;
        Assert.That(conv.Forward(T([1, 2, 3, 4], 1, 1, 4)).Data, Is.EqualTo(new[] { 8.5, 20.5 }));
        Assert.That(conv.OutputLength(4), Is.EqualTo(2));
    }

    [Test]
    public void MaxPoolRoutesGradientToTheWinners()
    {
        var pool = new MaxPool1d<double>(3, stride: 2, padding: 1);
        var y = pool.Forward(T([1, 5, 2, 4, 3], 1, 1, 5));
        Assert.That(y.Data, Is.EqualTo(new[] { 5.0, 5, 4 }));
        Assert.That(pool.Backward(T([1, 1, 1], 1, 1, 3)).Data, Is.EqualTo(new[] { 0.0, 2, 0, 1, 0 }));
        Assert.That(new MaxPool1d<double>(2).Forward(T([1, 5, 2, 4, 3], 1, 1, 5)).Data, Is.EqualTo(new[] { 5.0, 4 }));
    }

    [Test]
    public void DropoutIsSeededInvertedAndOffInEval()
    {
        var x = new Tensor<double>(100, 100);
        x.Span.Fill(1.0);
        var a = new Dropout<double>(0.25, 42);
        var b = new Dropout<double>(0.25, 42);
        var ya = a.Forward(x).Data.ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(b.Forward(x).Data, Is.EqualTo(ya));
            Assert.That(ya.Count(v => v == 0) / 10000.0, Is.EqualTo(0.25).Within(0.02));
            Assert.That(ya.Where(v => v != 0), Is.All.EqualTo(1 / 0.75).Within(1e-15));
        });
        a.Eval();
        Assert.That(a.Forward(x).Data, Is.All.EqualTo(1.0));
        Assert.That(new Dropout<double>(0, 1).Forward(x), Is.SameAs(x));
    }

    [Test]
    public void BatchNormNormalizesAndTracksRunningStatistics()
    {
        // Feature 0: 1, 3 -> mean 2, biased var 1, unbiased 2. Feature 1: 2, 2 -> mean 2, var 0.
        var bn = new BatchNorm1d<double>(2, eps: 0);
        var y = bn.Forward(T([1, 2, 3, 2], 2, 2));
        Assert.Multiple(() =>
        {
            Assert.That(y.Data[0], Is.EqualTo(-1.0).Within(1e-15));
            Assert.That(y.Data[2], Is.EqualTo(1.0).Within(1e-15));
            Assert.That(bn.RunningMean.Data, Is.EqualTo(new[] { 0.2, 0.2 }).Within(1e-15));
            Assert.That(bn.RunningVar.Data, Is.EqualTo(new[] { 0.9 + 0.2, 0.9 }).Within(1e-15));
        });
        bn.Eval();
        var e = bn.Forward(T([0.2, 0.2], 1, 2));
        Assert.That(e.Data, Is.EqualTo(new[] { 0.0, 0.0 }));
        bn.Train();
        Assert.Throws<ArgumentException>(() => bn.Forward(T([1, 2], 1, 2)));
    }

    [Test]
    public void BatchNormFeaturesLastMatchesTransposedLayout()
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var x = GradientCheck.RandomTensor(rng, 3, 4, 2); // [B, T, F]
        var last = new BatchNorm1d<double>(2, featuresLast: true).Forward(x);
        var viaTranspose = new Sequential<double>(new Transpose<double>(), new BatchNorm1d<double>(2), new Transpose<double>()).Forward(x);
        Assert.That(last.Data, Is.EqualTo(viaTranspose.Data).Within(1e-14));
    }

    [Test]
    public void EmbeddingLooksUpRowsAndSkipsThePaddingRow()
    {
        var emb = new Embedding<double>(3, 2, new Random(1), paddingIndex: 0);
        var y = emb.Forward(T([2, 0, 2], 3));
        Assert.Multiple(() =>
        {
            Assert.That(y.Data.AsSpan(0, 2).ToArray(), Is.EqualTo(emb.Weight.Value.Data.AsSpan(4, 2).ToArray()));
            Assert.That(y.Data.AsSpan(2, 2).ToArray(), Is.All.Zero);
        });
        emb.Backward(T([1, 1, 5, 5, 1, 1], 3, 2));
        Assert.That(emb.Weight.Grad.Data, Is.EqualTo(new double[] { 0, 0, 0, 0, 2, 2 }));
        Assert.Throws<ArgumentException>(() => emb.Forward(T([3], 1)));
        Assert.Throws<ArgumentException>(() => emb.Forward(T([0.5], 1)));
    }

    [Test]
    public void ShapeHelpersMoveTheRightElements()
    {
        var x = T(Enumerable.Range(0, 12).Select(i => (double)i).ToArray(), 2, 3, 2); // [B=2, T=3, F=2]
        Assert.Multiple(() =>
        {
            Assert.That(new LastTimeStep<double>().Forward(x).Data, Is.EqualTo(new double[] { 4, 5, 10, 11 }));
            var t = new Transpose<double>(1, 2).Forward(x);
            Assert.That(t.Shape.ToArray(), Is.EqualTo(new[] { 2, 2, 3 }));
            Assert.That(t.Data, Is.EqualTo(new double[] { 0, 2, 4, 1, 3, 5, 6, 8, 10, 7, 9, 11 }));
            var r = new Reshape<double>(3, -1).Forward(x);
            Assert.That(r.Shape.ToArray(), Is.EqualTo(new[] { 2, 3, 2 }));
            Assert.That(r.Data, Is.SameAs(x.Data), "reshape is a view");
            Assert.That(new Flatten<double>().Forward(x).Shape.ToArray(), Is.EqualTo(new[] { 2, 6 }));
            Assert.Throws<ArgumentException>(() => new Reshape<double>(5).Forward(x));
        });
    }

    [Test]
    public void ParametersAndBuffersAreNamedByPath()
    {
        var rng = new Random(1);
        var model = new Sequential<double>(new Linear<double>(2, 3, rng), new BatchNorm1d<double>(3), new Sequential<double>(new Relu<double>(), new Linear<double>(3, 1, rng)));
        Assert.Multiple(() =>
        {
            Assert.That(model.Parameters().Select(p => p.Name), Is.EqualTo(new[] { "0.weight", "0.bias", "1.weight", "1.bias", "2.1.weight", "2.1.bias" }));
            Assert.That(model.Buffers().Select(b => b.Name), Is.EqualTo(new[] { "1.running_mean", "1.running_var" }));
            Assert.That(model.ParameterCount(), Is.EqualTo(6 + 3 + 3 + 3 + 3 + 1));
        });
    }

    [Test]
    public void ModeReachesEveryChild()
    {
        var inner = new Dropout<double>(0.5, 1);
        var model = new Sequential<double>(new Sequential<double>(inner));
        model.Eval();
        Assert.That(inner.IsTraining, Is.False);
        model.Train();
        Assert.That(inner.IsTraining, Is.True);
    }

    [Test]
    public void OutputBuffersAreReusedForTheSameShape()
    {
        var layer = new Linear<double>(3, 2, new Random(1));
        var first = layer.Forward(new Tensor<double>(4, 3));
        Assert.That(layer.Forward(new Tensor<double>(4, 3)), Is.SameAs(first));
        Assert.That(layer.Forward(new Tensor<double>(5, 3)), Is.Not.SameAs(first));
    }

    [Test]
    public void BackwardBeforeForwardThrows() =>
        Assert.Throws<InvalidOperationException>(() => new Tanh<double>().Backward(new Tensor<double>(1)));

    [Test]
    public void FloatModelTracksDouble()
    {
        int seed = TestContext.CurrentContext.Random.Next();
        Sequential<TT> Build<TT>() where TT : unmanaged, System.Numerics.IFloatingPointIeee754<TT>
        {
            var rng = new Random(seed);
            return new Sequential<TT>(new Linear<TT>(3, 5, rng), new LayerNorm<TT>(5), new Tanh<TT>(), new LastTimeStep<TT>(), new Linear<TT>(5, 2, rng));
        }
        var md = Build<double>();
        var mf = Build<float>();
        var rng = new Random(seed + 1);
        var xd = GradientCheck.RandomTensor(rng, 2, 4, 3);
        var xf = new Tensor<float>(xd.Data.Select(v => (float)v).ToArray(), 2, 4, 3);
        var yd = md.Forward(xd);
        var yf = mf.Forward(xf);
        Assert.That(yf.ToDoubles(), Is.EqualTo(yd.Data).Within(1e-5));
        var gd = md.Backward(T([1, -1, 0.5, 2], 2, 2));
        var gf = mf.Backward(new Tensor<float>([1, -1, 0.5f, 2], 2, 2));
        Assert.That(gf.ToDoubles(), Is.EqualTo(gd.Data).Within(1e-5));
        Assert.That(mf.Parameters().First().Grad.ToDoubles(), Is.EqualTo(md.Parameters().First().Grad.Data).Within(1e-5));
    }
}

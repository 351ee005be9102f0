using LstmNative.Training;
using LstmNative.Training.Autograd;
using NUnit.Framework;
using static LstmNative.Tests.Training.Autograd.GradientCheck;

namespace LstmNative.Tests.Training.Autograd;

/// <summary>Every operation's gradient against finite differences, on random shapes including size 1 and broadcasting.</summary>
public class OperationGradientTests
{
    private static Random Rng() => new(TestContext.CurrentContext.Random.Next());

    private static readonly int[][][] BroadcastPairs =
    [
        [[2, 3], [2, 3]],
        [[3, 1, 4], [2, 4]],
        [[1], [2, 3]],
        [[4, 1], [1, 5]],
        [[1, 1], [1]],
        [[2, 3, 1], [3, 2]],
    ];

    public static IEnumerable<TestCaseData> Binary()
    {
        foreach (var op in new[] { "add", "sub", "mul", "div" })
            foreach (var pair in BroadcastPairs)
                yield return new TestCaseData(op, pair[0], pair[1]).SetArgDisplayNames($"{op} {Fmt(pair[0])} {Fmt(pair[1])}");
    }

    [TestCaseSource(nameof(Binary))]
    public void ElementwiseBinaryWithBroadcasting(string op, int[] a, int[] b)
    {
        var rng = Rng();
        Check(rng, v => op switch
        {
            "add" => v[0] + v[1],
            "sub" => v[0] - v[1],
            "mul" => v[0] * v[1],
            _ => v[0] / v[1],
        }, Random(rng, a), op == "div" ? Uniform(rng, 0.5, 2, b) : Random(rng, b));
    }

    [TestCase("exp")]
    [TestCase("log")]
    [TestCase("tanh")]
    [TestCase("sigmoid")]
    [TestCase("relu")]
    [TestCase("square")]
    [TestCase("sqrt")]
    [TestCase("neg")]
    [TestCase("scalars")]
    public void ElementwiseUnary(string op)
    {
        var rng = Rng();
        int[] shape = [rng.Next(1, 4), rng.Next(1, 5)];
        bool positive = op is "log" or "sqrt";
        var x = Uniform(rng, positive ? 0.2 : -2, 2, shape);
        if (op == "relu")
            for (int i = 0; i < x.Length; i++)
                x.Data[i] = Math.Abs(x.Data[i]) < 0.05 ? 0.3 : x.Data[i]; // away from the kink
        Check(rng, v => op switch
        {
            "exp" => v[0].Exp(),
            "log" => v[0].Log(),
            "tanh" => v[0].Tanh(),
            "sigmoid" => v[0].Sigmoid(),
            "relu" => v[0].Relu(),
            "square" => v[0].Square(),
            "sqrt" => v[0].Sqrt(),
            "neg" => -v[0],
            _ => (2.5 * v[0] + 1.0) / 3.0 - 0.5,
        }, x);
    }

    [TestCase(0, false)]
    [TestCase(1, true)]
    [TestCase(-1, false)]
    public void SumAndMeanAlongAnAxis(int axis, bool keepDim)
    {
        var rng = Rng();
        var x = Random(rng, rng.Next(1, 4), rng.Next(1, 4), rng.Next(1, 4));
        Check(rng, v => v[0].Sum(axis, keepDim), x);
        Check(rng, v => v[0].Mean(axis, keepDim), x);
        Check(rng, v => v[0].Sum() + v[0].Mean(), x);
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(2)]
    public void SoftmaxAndLogSoftmax(int axis)
    {
        var rng = Rng();
        var x = Uniform(rng, -3, 3, rng.Next(1, 4), rng.Next(1, 5), rng.Next(1, 4));
        Check(rng, v => v[0].Softmax(axis), x);
        Check(rng, v => v[0].LogSoftmax(axis), x);
    }

    [Test]
    public void SoftmaxIsStableForLargeInputs()
    {
        var x = new Var<double>(Tensor<double>.FromDoubles([1000, 1001, 1002], 1, 3));
        var y = x.Softmax(1).Value.Data;
        Assert.That(y.Sum(), Is.EqualTo(1).Within(1e-12));
        Assert.That(y.All(double.IsFinite), Is.True);
        Assert.That(x.LogSoftmax(1).Value.Data.All(double.IsFinite), Is.True);
    }

    [Test]
    public void ShapeOperations()
    {
        var rng = Rng();
        int a = rng.Next(1, 4), b = rng.Next(2, 5), c = rng.Next(1, 4);
        var x = Random(rng, a, b, c);
        Check(rng, v => v[0].Reshape(c, -1), x);
        Check(rng, v => v[0].Transpose(0, 2), x);
        Check(rng, v => v[0].Permute(1, 2, 0), x);
        Check(rng, v => v[0].Slice(1, 1, b - 1), x);
        Check(rng, v => v[0].Select(1, b - 1), x);
        var y = Random(rng, a, 2, c);
        Check(rng, v => Var<double>.Concat(1, v[0], v[1], v[0]), x, y);
        Check(rng, v => Var<double>.Stack(0, v[0], v[1]), x, Random(rng, a, b, c));
        Check(rng, v => Var<double>.Stack(-1, v[0], v[1]), x, Random(rng, a, b, c));
    }

    [Test]
    public void MatrixProducts()
    {
        var rng = Rng();
        int batch = rng.Next(1, 4), m = rng.Next(1, 4), k = rng.Next(1, 5), n = rng.Next(1, 4);
        Check(rng, v => v[0].MatMul(v[1]), Random(rng, m, k), Random(rng, k, n));
        Check(rng, v => v[0].MatMul(v[1]), Random(rng, batch, m, k), Random(rng, batch, k, n));
        Check(rng, v => v[0].MatMul(v[1]), Random(rng, batch, m, k), Random(rng, k, n));
    }

    [Test]
    public void MatMulAgreesWithTheDefinition()
    {
        var a = new Var<double>(Tensor<double>.FromDoubles([1, 2, 3, 4, 5, 6], 2, 3));
        var b = new Var<double>(Tensor<double>.FromDoubles([7, 8, 9, 10, 11, 12], 3, 2));
        Assert.That(a.MatMul(b).Value.Data, Is.EqualTo(new double[] { 58, 64, 139, 154 }));
    }

    [Test]
    public void MaskedFillPassesNoGradientWhereFilled()
    {
        var rng = Rng();
        var mask = new[] { true, false, false, true };
        Check(rng, v => v[0].MaskedFill(mask, [1, 1, 4], -5.0).Softmax(2), Random(rng, 2, 3, 4));
        var x = new Var<double>(Random(rng, 1, 4), requiresGrad: true);
        x.MaskedFill(mask, [4], double.NegativeInfinity).Softmax(1).Select(1, 1).Sum().Backward();
        Assert.That(x.Grad!.Data[0], Is.EqualTo(0));
        Assert.That(x.Grad.Data[3], Is.EqualTo(0));
    }

    [Test]
    public void EmbeddingAddsTheGradientsOfRepeatedIds()
    {
        var rng = Rng();
        int[] ids = [2, 0, 2, 1, 2, 4];
        Check(rng, v => Var<double>.Embedding(v[0], ids, 2, 3), Random(rng, 5, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Var<double>.Embedding(new Var<double>(Random(rng, 5, 3)), [5], 1));
    }

    [TestCase(0.0)]
    [TestCase(0.1)]
    public void CrossEntropyIgnoresPaddingAndSmoothsLabels(double smoothing)
    {
        var rng = Rng();
        int[] targets = [1, -100, 3, 0];
        Check(rng, v => v[0].CrossEntropy(targets, labelSmoothing: smoothing), Uniform(rng, -2, 2, 4, 5));
    }

    [Test]
    public void CrossEntropyMatchesItsDefinition()
    {
        var logits = new Var<double>(Tensor<double>.FromDoubles([1, 2, 3, 0, 0, 0], 2, 3));
        double expected = (-(3 - Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3))) + Math.Log(3)) / 2;
        Assert.That(logits.CrossEntropy([2, 1]).Item(), Is.EqualTo(expected).Within(1e-12));
        Assert.That(logits.CrossEntropy([2, -100]).Item(), Is.EqualTo(Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3)) - 3).Within(1e-12), "the ignored row counts neither in the sum nor in the mean");
    }

    [Test]
    public void MseLossAndArgmax()
    {
        var rng = Rng();
        var target = Random(rng, 3, 2);
        Check(rng, v => v[0].MseLoss(target), Random(rng, 3, 2));
        var x = new Var<double>(Tensor<double>.FromDoubles([0, 5, 1, 7, 7, 2], 2, 3));
        Assert.That(x.Argmax(1), Is.EqualTo(new[] { 1, 0 }));
        Assert.That(x.Argmax(0), Is.EqualTo(new[] { 1, 1, 1 }));
    }

    private static string Fmt(int[] s) => "[" + string.Join(",", s) + "]";
}

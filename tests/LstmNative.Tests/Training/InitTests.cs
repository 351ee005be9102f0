using LstmNative.Model;
using LstmNative.Training.Init;
using NUnit.Framework;

namespace LstmNative.Tests.Training;

public class InitTests
{
    [Test]
    public void XavierUniformStaysInBoundsWithTheRightVariance()
    {
        int fanIn = 300, fanOut = 200;
        var w = new double[fanIn * fanOut];
        Initializers.XavierUniform<double>(w, fanIn, fanOut, new Random(TestContext.CurrentContext.Random.Next()), gain: 2.0);
        double bound = 2.0 * Math.Sqrt(6.0 / (fanIn + fanOut));
        double variance = w.Select(v => v * v).Average();
        Assert.Multiple(() =>
        {
            Assert.That(w.Max(Math.Abs), Is.LessThanOrEqualTo(bound));
            Assert.That(variance, Is.EqualTo(4.0 * 2.0 / (fanIn + fanOut)).Within(3).Percent);
        });
    }

    [Test]
    public void XavierNormalHasTheRightVariance()
    {
        int fanIn = 300, fanOut = 200;
        var w = new double[fanIn * fanOut];
        Initializers.XavierNormal<double>(w, fanIn, fanOut, new Random(TestContext.CurrentContext.Random.Next()));
        double std = Math.Sqrt(2.0 / (fanIn + fanOut));
        Assert.That(w.Select(v => v * v).Average(), Is.EqualTo(std * std).Within(3).Percent);
        Assert.That(w.Average(), Is.EqualTo(0).Within(0.05 * std)); // about 12 standard errors
    }

    [TestCase(5, 5)]
    [TestCase(12, 3)]
    [TestCase(3, 12)]
    [TestCase(1, 1)]
    [TestCase(1, 4)]
    public void OrthogonalIsOrthonormalAlongTheShortSide(int rows, int cols)
    {
        var w = new double[rows * cols];
        Initializers.Orthogonal<double>(w, rows, cols, new Random(TestContext.CurrentContext.Random.Next()), gain: 1.5);
        // rows >= cols: W^T W = gain^2 I; otherwise W W^T = gain^2 I.
        int n = Math.Min(rows, cols);
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
            {
                double dot = 0;
                for (int k = 0; k < Math.Max(rows, cols); k++)
                    dot += rows >= cols ? w[k * cols + a] * w[k * cols + b] : w[a * cols + k] * w[b * cols + k];
                Assert.That(dot, Is.EqualTo(a == b ? 2.25 : 0).Within(1e-12), $"[{a}, {b}]");
            }
    }

    [Test]
    public void InitializersAreDeterministicForASeed()
    {
        int seed = TestContext.CurrentContext.Random.Next();
        var a = new float[40];
        var b = new float[40];
        Initializers.Orthogonal<float>(a, 8, 5, new Random(seed));
        Initializers.Orthogonal<float>(b, 8, 5, new Random(seed));
        Assert.That(a, Is.EqualTo(b));
    }

    [Test]
    public void ForgetGateBiasSetsBlockOneOnly()
    {
        var weights = new LayerWeights<double>(new RnnLayerOptions(RnnCellType.Lstm, 2, 3, RnnDirection.Bidirectional)).Randomize(new Random(1), 0.5);
        var before = weights.Clone();
        RnnInitializers.SetForgetGateBias(weights);
        for (int d = 0; d < 2; d++)
        {
            var bw = weights.Directions[d].Bw;
            var br = weights.Directions[d].Br;
            Assert.Multiple(() =>
            {
                Assert.That(bw[3..6], Is.All.EqualTo(1.0));
                Assert.That(br[3..6], Is.All.EqualTo(0.0));
                Assert.That(bw[..3].Concat(bw[6..]), Is.EqualTo(before.Directions[d].Bw[..3].Concat(before.Directions[d].Bw[6..])));
                Assert.That(br[..3].Concat(br[6..]), Is.EqualTo(before.Directions[d].Br[..3].Concat(before.Directions[d].Br[6..])));
            });
        }
        var gru = new LayerWeights<double>(new RnnLayerOptions(RnnCellType.Gru, 2, 3));
        Assert.Throws<ArgumentException>(() => RnnInitializers.SetForgetGateBias(gru));
    }

    [Test]
    public void RnnInitializeGivesXavierInputsOrthogonalRecurrenceAndForgetBias()
    {
        var weights = new LayerWeights<double>(new RnnLayerOptions(RnnCellType.Lstm, 3, 4) { HasPeepholes = true }).Randomize(new Random(1), 1);
        RnnInitializers.Initialize(weights, new Random(TestContext.CurrentContext.Random.Next()));
        var d = weights.Directions[0];
        double bound = Math.Sqrt(6.0 / (3 + 16));
        Assert.Multiple(() =>
        {
            Assert.That(d.W.Max(Math.Abs), Is.LessThanOrEqualTo(bound));
            Assert.That(d.P, Is.All.Zero);
            Assert.That(d.Bw, Is.EqualTo(new double[] { 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0 }));
            Assert.That(d.Br, Is.All.Zero);
        });
        // R [16, 4] has orthonormal columns.
        for (int a = 0; a < 4; a++)
            for (int b = 0; b < 4; b++)
            {
                double dot = 0;
                for (int k = 0; k < 16; k++)
                    dot += d.R[k * 4 + a] * d.R[k * 4 + b];
                Assert.That(dot, Is.EqualTo(a == b ? 1 : 0).Within(1e-12));
            }
    }
}

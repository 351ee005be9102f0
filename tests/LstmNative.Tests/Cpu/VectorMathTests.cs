using LstmNative.Cpu;
using LstmNative.Cpu.Kernels;
using NUnit.Framework;
using static LstmNative.Tests.Cpu.CpuTestSupport;

namespace LstmNative.Tests.Cpu;

/// <summary><see cref="VectorMath"/> against double-precision math at every width, with lengths that leave tails.</summary>
public class VectorMathTests
{
    private static readonly int[] Lengths = [0, 1, 7, 16, 17, 33, 1000];

    public static IEnumerable<TestCaseData> Cases() =>
        from w in Widths() from n in Lengths select new TestCaseData(w, n).SetArgDisplayNames($"{w} n={n}");

    [TestCaseSource(nameof(Cases))]
    public void ActivationsMatchDoubleMath(KernelWidth width, int n)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var x = RandomFloats(rng, n, 12.0);
        var y = new float[n + 3]; // a tail past n that must stay untouched
        y.AsSpan(n).Fill(42f);
        VectorMath.Exp(x, y, width);
        Check(x, y, Math.Exp, 4e-7, "exp");
        VectorMath.Sigmoid(x, y, width);
        Check(x, y, v => 1 / (1 + Math.Exp(-v)), 6e-7, "sigmoid");
        VectorMath.Tanh(x, y, width);
        Check(x, y, Math.Tanh, 8e-7, "tanh");
        Assert.That(y[n..], Is.All.EqualTo(42f), "wrote past n");
        var inPlace = (float[])x.Clone();
        VectorMath.Tanh(inPlace, inPlace, width);
        Assert.That(inPlace, Is.EqualTo(y[..n]), "in place differs");
    }

    [TestCaseSource(nameof(Cases))]
    public void LogSoftmaxMatchesDoubleMath(KernelWidth width, int n)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var x = RandomFloats(rng, n, 30.0);
        var y = (float[])x.Clone();
        float lse = VectorMath.LogSoftmax(y, width);
        if (n == 0)
        {
            Assert.That(lse, Is.EqualTo(float.NegativeInfinity));
            return;
        }
        double max = x.Max(), sum = x.Sum(v => Math.Exp(v - max)), want = max + Math.Log(sum);
        Assert.That(lse, Is.EqualTo(want).Within(2e-6 * Math.Max(1, Math.Abs(want))));
        for (int i = 0; i < n; i++)
            Assert.That(y[i], Is.EqualTo(x[i] - want).Within(4e-6 * Math.Max(1, Math.Abs(x[i] - want))), $"x[{i}]");
        Assert.That(y.Sum(v => Math.Exp(v)), Is.EqualTo(1.0).Within(1e-5), "probabilities sum to 1");
    }

    [TestCaseSource(typeof(CpuTestSupport), nameof(CpuTestSupport.Widths))]
    public void NaNAndInfinityFollowIeee(KernelWidth width)
    {
        var y = new float[40];
        var x = Enumerable.Repeat(0.5f, 40).ToArray();
        x[19] = float.NaN;
        VectorMath.Sigmoid(x, y, width);
        Assert.That(float.IsNaN(y[19]) && y.Count(float.IsNaN) == 1, "NaN passes through one lane only");
        VectorMath.Tanh([float.PositiveInfinity, float.NegativeInfinity], y, width);
        Assert.That(y[..2], Is.EqualTo(new[] { 1f, -1f }));

        var z = Enumerable.Repeat(1f, 37).ToArray();
        z[36] = float.NaN; // in the scalar tail at every width
        Assert.That(float.IsNaN(VectorMath.LogSoftmax(z, width)) && z.All(float.IsNaN), "NaN poisons the row");
        var masked = Enumerable.Repeat(float.NegativeInfinity, 37).ToArray();
        masked[3] = 2f;
        VectorMath.LogSoftmax(masked, width);
        Assert.That(masked[3], Is.EqualTo(0f), "a single finite logit gets probability 1");
        Assert.That(masked.Count(float.IsNegativeInfinity), Is.EqualTo(36), "masked logits stay at −∞");
    }

    [Test]
    public void ShortOutputIsRefused() =>
        Assert.Throws<ArgumentException>(() => VectorMath.Exp(new float[5], new float[4]));

    private static void Check(float[] x, float[] y, Func<double, double> f, double relTol, string what)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double want = f(x[i]);
            Assert.That(y[i], Is.EqualTo(want).Within(relTol * Math.Abs(want) + 1e-30), $"{what}({x[i]})");
        }
    }
}

using LstmNative.Training;
using LstmNative.Training.Layers;
using LstmNative.Training.Optimizers;
using NUnit.Framework;

namespace LstmNative.Tests.Training;

/// <summary>
/// Optimizer steps against values computed by hand from PyTorch's documented update rules: one scalar parameter
/// starting at 1.0, gradients 0.5, -1.0, 0.25 on three steps, learning rate 0.1.
/// </summary>
public class OptimizerTests
{
    private static readonly double[] Grads = [0.5, -1.0, 0.25];

    private static IEnumerable<TestCaseData> Cases()
    {
        yield return new TestCaseData((Func<Parameter<double>[], Optimizer<double>>)(p => new Sgd<double>(p, 0.1)), new[] { 0.95, 1.05, 1.025 }).SetName("Sgd plain");
        // g = grad + 0.1 p; step 1: b = 0.6, p = 0.94; step 2: g = -0.906, b = 0.54 - 0.906 = -0.366, p = 0.9766.
        yield return new TestCaseData((Func<Parameter<double>[], Optimizer<double>>)(p => new Sgd<double>(p, 0.1, momentum: 0.9, weightDecay: 0.1)), new[] { 0.94, 0.9766, 0.974774 }).SetName("Sgd momentum and weight decay");
        yield return new TestCaseData((Func<Parameter<double>[], Optimizer<double>>)(p => new Sgd<double>(p, 0.1, momentum: 0.9, dampening: 0.5)), new[] { 0.95, 0.955, 0.947 }).SetName("Sgd dampening");
        // step 1: b = 0.5, g = 0.5 + 0.45 = 0.95, p = 0.905; step 2: b = -0.55, g = -1 - 0.495 = -1.495, p = 1.0545.
        yield return new TestCaseData((Func<Parameter<double>[], Optimizer<double>>)(p => new Sgd<double>(p, 0.1, momentum: 0.9, nesterov: true)), new[] { 0.905, 1.0545, 1.05155 }).SetName("Sgd Nesterov");
        // step 1: m_hat = 0.5, v_hat = 0.25, p = 1 - 0.1 * 0.5 / (0.5 + 1e-8).
        yield return new TestCaseData((Func<Parameter<double>[], Optimizer<double>>)(p => new Adam<double>(p, 0.1)), new[] { 0.900000002, 0.9366103542405654, 0.9502794203389762 }).SetName("Adam");
        yield return new TestCaseData((Func<Parameter<double>[], Optimizer<double>>)(p => new Adam<double>(p, 0.1, weightDecay: 0.1)), new[] { 0.9000000016666666, 0.9252635194456061, 0.9247305742687093 }).SetName("Adam L2 weight decay");
        // step 1: p = 1 * (1 - 0.01) = 0.99, then the Adam step of 0.1: 0.890000002.
        yield return new TestCaseData((Func<Parameter<double>[], Optimizer<double>>)(p => new AdamW<double>(p, 0.1, weightDecay: 0.1)), new[] { 0.890000002, 0.9177103542205653, 0.9222023167767704 }).SetName("AdamW decoupled weight decay");
    }

    [TestCaseSource(nameof(Cases))]
    public void StepsMatchHandComputedValues(Func<Parameter<double>[], Optimizer<double>> create, double[] expected)
    {
        var p = new Parameter<double>("p", new Tensor<double>([1.0], 1));
        var optimizer = create([p]);
        for (int t = 0; t < Grads.Length; t++)
        {
            optimizer.ZeroGrad();
            p.Grad.Data[0] += Grads[t];
            optimizer.Step();
            Assert.That(p.Value.Data[0], Is.EqualTo(expected[t]).Within(1e-12), $"step {t + 1}");
        }
        Assert.That(optimizer.StepCount, Is.EqualTo(3));
    }

    [Test]
    public void LearningRateChangesTakeEffectOnTheNextStep()
    {
        var p = new Parameter<double>("p", new Tensor<double>([1.0], 1));
        var sgd = new Sgd<double>([p], 0.1);
        p.Grad.Data[0] = 1;
        sgd.Step();
        sgd.LearningRate = 0.01;
        sgd.Step();
        Assert.That(p.Value.Data[0], Is.EqualTo(0.89).Within(1e-15));
        Assert.Throws<ArgumentException>(() => sgd.LearningRate = double.NaN);
    }

    [Test]
    public void FloatOptimizerTracksDouble()
    {
        var pd = new Parameter<double>("p", new Tensor<double>([1.0, -2.0], 2));
        var pf = new Parameter<float>("p", new Tensor<float>([1.0f, -2.0f], 2));
        var od = new AdamW<double>([pd], 0.05);
        var of = new AdamW<float>([pf], 0.05);
        for (int t = 0; t < 20; t++)
        {
            pd.Grad.Data[0] = pf.Grad.Data[0] = MathF.Sin(t);
            pd.Grad.Data[1] = pf.Grad.Data[1] = MathF.Cos(t);
            od.Step();
            of.Step();
        }
        Assert.That(pf.Value.Data[0], Is.EqualTo(pd.Value.Data[0]).Within(1e-5));
        Assert.That(pf.Value.Data[1], Is.EqualTo(pd.Value.Data[1]).Within(1e-5));
    }

    [Test]
    public void ClipByValueClampsEachElement()
    {
        var p = new Parameter<double>("p", new Tensor<double>(3));
        new[] { -3.0, 0.5, 2.0 }.CopyTo(p.Grad.Data, 0);
        GradientClipping.ClipByValue([p], 1.0);
        Assert.That(p.Grad.Data, Is.EqualTo(new[] { -1.0, 0.5, 1.0 }));
    }

    [Test]
    public void ClipByGlobalNormScalesAllGradientsAndReturnsTheNorm()
    {
        var a = new Parameter<double>("a", new Tensor<double>(1));
        var b = new Parameter<double>("b", new Tensor<double>(1));
        a.Grad.Data[0] = 3;
        b.Grad.Data[0] = 4;
        double norm = GradientClipping.ClipByGlobalNorm([a, b], 1.0);
        Assert.Multiple(() =>
        {
            Assert.That(norm, Is.EqualTo(5.0));
            Assert.That(a.Grad.Data[0], Is.EqualTo(3 / (5 + 1e-6)).Within(1e-15));
            Assert.That(b.Grad.Data[0], Is.EqualTo(4 / (5 + 1e-6)).Within(1e-15));
        });
        // Below the limit nothing changes, and the norm is still reported.
        Assert.That(GradientClipping.ClipByGlobalNorm([a, b], 10.0), Is.EqualTo(1.0).Within(1e-6));
        Assert.That(a.Grad.Data[0], Is.EqualTo(3 / (5 + 1e-6)).Within(1e-15));
    }

    [Test]
    public void GradientNormsPerParameterAndPerLayer()
    {
        var rng = new Random(1);
        var model = new Sequential<double>(new Linear<double>(2, 2, rng), new Relu<double>(), new Sequential<double>(new Linear<double>(2, 1, rng, bias: false)));
        var ps = model.Parameters().ToArray();
        foreach (var p in ps)
            p.Grad.Span.Fill(1.0); // weight [2,2] -> 2, bias [2] -> sqrt 2, weight [1,2] -> sqrt 2
        var perParameter = GradientNorms.PerParameter(ps);
        var perLayer = GradientNorms.PerLayer(ps);
        Assert.Multiple(() =>
        {
            Assert.That(perParameter.Select(n => n.Name), Is.EqualTo(new[] { "0.weight", "0.bias", "2.0.weight" }));
            Assert.That(perParameter.Select(n => n.Norm), Is.EqualTo(new[] { 2.0, Math.Sqrt(2), Math.Sqrt(2) }).Within(1e-15));
            Assert.That(perLayer.Select(n => n.Name), Is.EqualTo(new[] { "0", "2.0" }));
            Assert.That(perLayer.Select(n => n.Norm), Is.EqualTo(new[] { Math.Sqrt(6), Math.Sqrt(2) }).Within(1e-15));
            Assert.That(GradientNorms.Global(ps), Is.EqualTo(Math.Sqrt(8)).Within(1e-15));
        });
    }

    [Test]
    public void InvalidSettingsAreRejected()
    {
        var p = new Parameter<double>("p", new Tensor<double>(1));
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentException>(() => _ = new Sgd<double>([p], 0.1, nesterov: true));
            Assert.Throws<ArgumentException>(() => _ = new Adam<double>([p], 0.1, beta1: 1.0));
            Assert.Throws<ArgumentException>(() => _ = new Sgd<double>([], 0.1));
        });
    }
}

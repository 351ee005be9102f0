using LstmNative.Training;
using LstmNative.Training.Autograd;
using LstmNative.Training.Layers;
using NUnit.Framework;
using static LstmNative.Tests.Training.Autograd.GradientCheck;

namespace LstmNative.Tests.Training.Autograd;

/// <summary>How the graph behaves: shared subexpressions, parameters, modules as nodes, no-grad scopes, misuse.</summary>
public class GraphBehaviourTests
{
    private static Random Rng() => new(TestContext.CurrentContext.Random.Next());

    [Test]
    public void AValueUsedTwiceGetsBothGradients()
    {
        var rng = Rng();
        Check(rng, v => v[0] * v[0].Tanh() + v[0], Random(rng, 3, 2));
        var x = new Var<double>(Tensor<double>.FromDoubles([3], 1), requiresGrad: true);
        (x * x + x).Sum().Backward(); // d/dx (x² + x) = 2x + 1
        Assert.That(x.Grad!.Data[0], Is.EqualTo(7));
    }

    [Test]
    public void ParameterLeavesAccumulateIntoTheParameterGradient()
    {
        var p = new Parameter<double>("w", Tensor<double>.FromDoubles([2, -1], 2));
        p.Grad.Data[0] = 10; // an earlier contribution stays, as PyTorch accumulates .grad
        var w = Var<double>.Parameter(p);
        (w * w).Sum().Backward();
        Assert.That(p.Grad.Data, Is.EqualTo(new double[] { 14, -2 }));
        Assert.That(w.Grad, Is.SameAs(p.Grad));
    }

    [Test]
    public void NoGradBuildsNoGraph()
    {
        var x = new Var<double>(Tensor<double>.FromDoubles([1, 2], 2), requiresGrad: true);
        Var<double> y;
        using (NoGrad.Enter())
            y = (x * 2.0).Sum();
        Assert.That(y.RequiresGrad, Is.False);
        Assert.That(NoGrad.IsActive, Is.False);
        Assert.Throws<InvalidOperationException>(() => y.Backward());
    }

    [Test]
    public void MisuseIsRefusedWithAReason()
    {
        var x = new Var<double>(Tensor<double>.FromDoubles([1, 2], 2), requiresGrad: true);
        var y = x.Tanh();
        Assert.That(Assert.Throws<InvalidOperationException>(() => y.Backward())!.Message, Does.Contain("scalar"));
        var loss = y.Sum();
        loss.Backward();
        Assert.That(Assert.Throws<InvalidOperationException>(() => loss.Backward())!.Message, Does.Contain("already back-propagated"));
        Assert.Throws<ArgumentException>(() => _ = x + new Var<double>(new Tensor<double>(3)));
        Assert.Throws<ArgumentException>(() => x.Reshape(3));
    }

    [Test]
    public void AModuleIsOneNodeWithItsOwnBackward()
    {
        var rng = Rng();
        var linear = new Linear<double>(3, 2, rng);
        var x = Random(rng, 4, 3);
        // Through the graph: loss = Σ tanh(linear(x)) ⊙ R.
        var weight = Random(rng, 4, 2);
        linear.ZeroGrad();
        var input = new Var<double>(x.Clone(), requiresGrad: true);
        (linear.Call(input).Tanh() * new Var<double>(weight)).Sum().Backward();
        var viaGraph = linear.Parameters().Select(p => p.Grad.Clone()).ToArray();
        // By hand with the module's own API.
        linear.ZeroGrad();
        var y = linear.Forward(x);
        var dy = new Tensor<double>(4, 2);
        for (int i = 0; i < dy.Length; i++)
            dy.Data[i] = weight.Data[i] * (1 - Math.Tanh(y.Data[i]) * Math.Tanh(y.Data[i]));
        var dx = linear.Backward(dy);
        Assert.That(input.Grad!.Data, Is.EqualTo(dx.Data).Within(1e-14));
        var byHand = linear.Parameters().Select(p => p.Grad).ToArray();
        for (int i = 0; i < byHand.Length; i++)
            Assert.That(viaGraph[i].Data, Is.EqualTo(byHand[i].Data).Within(1e-14));
    }

    [Test]
    public void LstmNodeGradientsMatchFiniteDifferences()
    {
        var rng = Rng();
        var lstm = new Lstm<double>(inputSize: 3, hiddenSize: 4, rng, numLayers: 2, bidirectional: true);
        var x = Random(rng, 2, 5, 3); // [B, T, I]
        Check(rng, v => lstm.Call(v[0]).Select(1, 4).Softmax(1), x);
        // Parameters: the module's own accumulated gradient against finite differences of one weight.
        var weight = Random(rng, 2, 5, 8);
        lstm.ZeroGrad();
        (lstm.Call(new Var<double>(x)) * new Var<double>(weight)).Sum().Backward();
        var p = lstm.Parameters().First(q => q.Name == "weight_hh_l1_reverse");
        const double h = 1e-6;
        for (int j = 0; j < p.Value.Length; j += 7)
        {
            double saved = p.Value.Data[j];
            p.Value.Data[j] = saved + h;
            double plus = Dot(lstm.Predict(x), weight);
            p.Value.Data[j] = saved - h;
            double minus = Dot(lstm.Predict(x), weight);
            p.Value.Data[j] = saved;
            Assert.That(p.Grad.Data[j], Is.EqualTo((plus - minus) / (2 * h)).Within(1e-6), $"weight_hh_l1_reverse[{j}]");
        }
    }

    [Test]
    public void AModuleCalledTwiceInOneGraphIsRefused()
    {
        var rng = Rng();
        var linear = new Linear<double>(2, 2, rng);
        var a = linear.Call(new Var<double>(Random(rng, 1, 2)));
        var b = linear.Call(new Var<double>(Random(rng, 1, 2)));
        var e = Assert.Throws<InvalidOperationException>(() => (a + b).Sum().Backward());
        Assert.That(e!.Message, Does.Contain("ran forward again"));
    }

    private static double Dot(Tensor<double> a, Tensor<double> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++)
            s += a.Data[i] * b.Data[i];
        return s;
    }
}

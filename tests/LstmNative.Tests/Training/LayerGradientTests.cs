using LstmNative.Training;
using LstmNative.Training.Layers;
using NUnit.Framework;
using static LstmNative.Tests.Training.GradientCheck;

namespace LstmNative.Tests.Training;

/// <summary>Finite-difference checks of every layer's input and parameter gradients, random sizes and size 1.</summary>
public class LayerGradientTests
{
    // minimal: every free size is 1; otherwise sizes are drawn in [1, 4] from the test's random seed.
    private static int Size(Random rng, bool minimal, int max = 4) => minimal ? 1 : rng.Next(1, max + 1);

    [TestCase(false, true, 2)]
    [TestCase(false, false, 3)]
    [TestCase(true, true, 2)]
    [TestCase(true, false, 3)]
    public void Linear(bool minimal, bool bias, int rank)
    {
        var rng = NewRandom(out int seed);
        int n = Size(rng, minimal), t = Size(rng, minimal), i = Size(rng, minimal), o = Size(rng, minimal);
        var layer = new Linear<double>(i, o, rng, bias);
        var x = rank == 2 ? RandomTensor(rng, n, i) : RandomTensor(rng, n, t, i);
        Check(layer, x, rng, $"Linear seed {seed} {x} -> {o}");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Dropout(bool minimal)
    {
        var rng = NewRandom(out int seed);
        int b = Size(rng, minimal), f = minimal ? 1 : rng.Next(4, 9);
        var layer = new Dropout<double>(0.4, seed);
        // Replaying the same mask stream makes the forward deterministic for the finite differences.
        Check(layer, RandomTensor(rng, b, f), rng, $"Dropout seed {seed}", beforeForward: () => layer.Reseed(seed));
    }

    [TestCase(false, 2, false)]
    [TestCase(false, 3, false)]
    [TestCase(false, 3, true)]
    [TestCase(true, 2, false)]
    [TestCase(true, 3, false)]
    [TestCase(true, 3, true)]
    public void BatchNorm1dTraining(bool minimal, int rank, bool featuresLast)
    {
        var rng = NewRandom(out int seed);
        int f = Size(rng, minimal), l = rank == 2 ? 1 : Size(rng, minimal), b = Size(rng, minimal);
        // Training needs two values per feature; with exactly two, near-equal draws put the variance near eps, where
        // the function is too curved for central differences. Three or more keeps the check about the backward pass.
        while (b * l < 3)
            b++;
        var layer = new BatchNorm1d<double>(f, featuresLast: featuresLast);
        RandomizeAffine(layer.Weight!, layer.Bias!, rng);
        var x = rank == 2 ? RandomTensor(rng, b, f) : featuresLast ? RandomTensor(rng, b, l, f) : RandomTensor(rng, b, f, l);
        Check(layer, x, rng, $"BatchNorm1d seed {seed} {x}");
    }

    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(false, true)]
    public void BatchNorm1dEval(bool minimal, bool featuresLast)
    {
        var rng = NewRandom(out int seed);
        int b = Size(rng, minimal), f = Size(rng, minimal), l = Size(rng, minimal);
        var layer = new BatchNorm1d<double>(f, featuresLast: featuresLast);
        RandomizeAffine(layer.Weight!, layer.Bias!, rng);
        for (int c = 0; c < f; c++)
        {
            layer.RunningMean.Data[c] = rng.NextDouble() - 0.5;
            layer.RunningVar.Data[c] = 0.5 + rng.NextDouble();
        }
        layer.Eval();
        var x = featuresLast ? RandomTensor(rng, b, l, f) : RandomTensor(rng, b, f, l);
        Check(layer, x, rng, $"BatchNorm1d eval seed {seed} {x}");
    }

    [TestCase(false, true)]
    [TestCase(false, false)]
    [TestCase(true, true)]
    public void LayerNorm(bool minimal, bool affine)
    {
        var rng = NewRandom(out int seed);
        int b = Size(rng, minimal), t = Size(rng, minimal), f = Size(rng, minimal);
        var layer = new LayerNorm<double>(f, elementwiseAffine: affine);
        if (affine)
            RandomizeAffine(layer.Weight!, layer.Bias!, rng);
        Check(layer, RandomTensor(rng, b, t, f), rng, $"LayerNorm seed {seed} [{b}, {t}, {f}]");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Conv1d(bool minimal)
    {
        var rng = NewRandom(out int seed);
        int b = Size(rng, minimal), c = Size(rng, minimal), o = Size(rng, minimal), k = Size(rng, minimal, 3);
        int stride = Size(rng, minimal, 3), dilation = Size(rng, minimal, 2), padding = minimal ? 0 : rng.Next(0, 3);
        int len = Math.Max(1, dilation * (k - 1) + 1 - 2 * padding) + (minimal ? 0 : rng.Next(0, 5));
        var layer = new Conv1d<double>(c, o, k, rng, stride, padding, dilation, bias: !minimal || rng.Next(2) == 0);
        Check(layer, RandomTensor(rng, b, c, len), rng, $"Conv1d seed {seed} C{c} O{o} K{k} s{stride} p{padding} d{dilation} L{len}");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void MaxPool1d(bool minimal)
    {
        var rng = NewRandom(out int seed);
        int b = Size(rng, minimal), c = Size(rng, minimal), k = Size(rng, minimal, 3);
        int stride = Size(rng, minimal, 3), padding = minimal ? 0 : rng.Next(0, k / 2 + 1);
        int len = Math.Max(1, k - 2 * padding) + (minimal ? 0 : rng.Next(0, 5));
        var layer = new MaxPool1d<double>(k, stride, padding);
        Check(layer, RandomTensor(rng, b, c, len), rng, $"MaxPool1d seed {seed} K{k} s{stride} p{padding} L{len}");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Activations(bool minimal)
    {
        var rng = NewRandom(out int seed);
        int b = Size(rng, minimal), f = Size(rng, minimal);
        // ReLU has a kink at 0: keep inputs at least 0.01 from it.
        Check(new Relu<double>(), RandomAwayFromZero(rng, 0.01, b, f), rng, $"ReLU seed {seed}");
        Check(new Tanh<double>(), RandomTensor(rng, b, f), rng, $"Tanh seed {seed}");
        Check(new Sigmoid<double>(), RandomTensor(rng, b, f), rng, $"Sigmoid seed {seed}");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Embedding(bool minimal)
    {
        var rng = NewRandom(out int seed);
        int b = Size(rng, minimal), t = Size(rng, minimal), n = Size(rng, minimal), d = Size(rng, minimal);
        var layer = new Embedding<double>(n, d, rng);
        var x = new Tensor<double>(b, t);
        for (int i = 0; i < x.Length; i++)
            x.Data[i] = rng.Next(n); // repeats exercise the scatter-add
        Check(layer, x, rng, $"Embedding seed {seed}", checkInput: false);
        Assert.That(layer.Backward(RandomTensor(rng, b, t, d)).Data, Is.All.Zero);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void ShapeHelpers(bool minimal)
    {
        var rng = NewRandom(out int seed);
        int b = Size(rng, minimal), t = Size(rng, minimal), f = Size(rng, minimal);
        Check(new LastTimeStep<double>(), RandomTensor(rng, b, t, f), rng, $"LastTimeStep seed {seed}");
        Check(new Transpose<double>(1, 2), RandomTensor(rng, b, t, f), rng, $"Transpose seed {seed}");
        Check(new Flatten<double>(), RandomTensor(rng, b, t, f), rng, $"Flatten seed {seed}");
        Check(new Reshape<double>(f, -1), RandomTensor(rng, b, t * f), rng, $"Reshape seed {seed}");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void SequentialChain(bool minimal)
    {
        var rng = NewRandom(out int seed);
        int b = Size(rng, minimal), t = Size(rng, minimal), f = Size(rng, minimal), h = Size(rng, minimal);
        // BatchNorm comes first: on raw inputs its batch variance is well away from eps. Deeper in the chain, a batch of
        // two nearly equal activations makes it so curved that central differences, not the backward pass, go wrong.
        var model = new Sequential<double>(
            new BatchNorm1d<double>(f, featuresLast: true),
            new Linear<double>(f, h, rng),
            new LayerNorm<double>(h),
            new Tanh<double>(),
            new Transpose<double>(),
            new Conv1d<double>(h, h, 1, rng),
            new Transpose<double>(),
            new Dropout<double>(0.3, seed),
            new LastTimeStep<double>(),
            new Linear<double>(h, 2, rng),
            new Sigmoid<double>());
        model.Eval(); // dropout off, BatchNorm on running statistics
        Check(model, RandomTensor(rng, b, t, f), rng, $"Sequential eval seed {seed}");
        model.Train();
        var dropout = (Dropout<double>)model.Layers[7];
        var x = RandomTensor(rng, Math.Max(2, b), t, f);
        Check(model, x, rng, $"Sequential train seed {seed}", beforeForward: () => dropout.Reseed(seed));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void CustomModel(bool minimal)
    {
        var rng = NewRandom(out int seed);
        int b = Size(rng, minimal), f = Size(rng, minimal), h = Size(rng, minimal);
        Check(new ResidualBlock(f, h, rng), RandomTensor(rng, b, f), rng, $"custom model seed {seed}");
    }

    private static void RandomizeAffine(Parameter<double> weight, Parameter<double> bias, Random rng)
    {
        for (int i = 0; i < weight.Value.Length; i++)
        {
            weight.Value.Data[i] = 0.5 + rng.NextDouble();
            bias.Value.Data[i] = rng.NextDouble() - 0.5;
        }
    }
}

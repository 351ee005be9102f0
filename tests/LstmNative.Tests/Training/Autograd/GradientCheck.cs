using LstmNative.Training;
using LstmNative.Training.Autograd;
using NUnit.Framework;

namespace LstmNative.Tests.Training.Autograd;

/// <summary>
/// Central finite differences against <see cref="Var{T}.Backward()"/> in double: the loss is Σ f(inputs) ⊙ R with a random
/// R, so every element of the output carries its own weight and a wrong index shows.
/// </summary>
internal static class GradientCheck
{
    public static Tensor<double> Random(Random rng, params int[] shape) => Uniform(rng, -1, 1, shape);

    public static Tensor<double> Uniform(Random rng, double low, double high, params int[] shape)
    {
        var t = new Tensor<double>(shape);
        for (int i = 0; i < t.Length; i++)
            t.Data[i] = low + (high - low) * rng.NextDouble();
        return t;
    }

    /// <summary>Checks the gradient of every input (up to 40 sampled elements each); returns the worst relative error.</summary>
    public static double Check(Random rng, Func<Var<double>[], Var<double>> f, params Tensor<double>[] inputs)
    {
        var leaves = inputs.Select(t => new Var<double>(t.Clone(), requiresGrad: true)).ToArray();
        var output = f(leaves);
        var weight = Random(rng, output.Value.Shape.ToArray());
        (output * new Var<double>(weight)).Sum().Backward();

        double Loss(Tensor<double>[] values)
        {
            using var scope = NoGrad.Enter();
            var y = f(values.Select(v => new Var<double>(v)).ToArray()).Value.Data;
            double s = 0;
            for (int i = 0; i < y.Length; i++)
                s += y[i] * weight.Data[i];
            return s;
        }

        double worst = 0;
        const double h = 1e-6;
        for (int k = 0; k < inputs.Length; k++)
        {
            var grad = leaves[k].Grad;
            int n = inputs[k].Length;
            var picks = n <= 40 ? Enumerable.Range(0, n) : Enumerable.Range(0, 40).Select(_ => rng.Next(n));
            foreach (int j in picks)
            {
                var plus = inputs.Select(t => t.Clone()).ToArray();
                var minus = inputs.Select(t => t.Clone()).ToArray();
                plus[k].Data[j] += h;
                minus[k].Data[j] -= h;
                double numeric = (Loss(plus) - Loss(minus)) / (2 * h);
                double analytic = grad?.Data[j] ?? 0;
                double error = Math.Abs(numeric - analytic) / Math.Max(1, Math.Abs(numeric));
                worst = Math.Max(worst, error);
                Assert.That(error, Is.LessThan(1e-6), $"input {k} element {j}: numeric {numeric:G10}, backward {analytic:G10}");
            }
        }
        return worst;
    }
}

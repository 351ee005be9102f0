using LstmNative.Training;
using LstmNative.Training.Layers;
using NUnit.Framework;

namespace LstmNative.Tests.Training;

/// <summary>
/// Central-difference gradient checks in float64. The scalar under test is <c>L = sum(c * module(x))</c> with a fixed
/// random <c>c</c>, so <c>Backward(c)</c> must equal dL/dx and the parameter gradients.
/// </summary>
internal static class GradientCheck
{
    public const double Eps = 1e-6;
    public const double Tolerance = 1e-6;

    // Central differences carry ~1e-16 * sum|c * y| / eps of rounding error (the terms' size, not their sum's: a loss
    // whose terms cancel rounds like a large one), so a gradient near zero cannot be checked relatively: below this
    // floor (scaled by sum|c * y| when that is larger than 1) the relative error is taken against the floor. With a fixed
    // floor a loss of ~10 made a correct 6e-4 gradient fail at 1.08e-6 (the rounding alone); scaled by |L| instead of
    // sum|c * y|, a forecaster whose terms cancelled failed a correct 3.8e-4 gradient at 1.04e-6 (seed 1945576159,
    // which passes at eps 1e-5 and 1e-4).
    private const double Floor = 1e-3;

    public static Random NewRandom(out int seed)
    {
        seed = TestContext.CurrentContext.Random.Next();
        return new Random(seed);
    }

    public static Tensor<double> RandomTensor(Random rng, params int[] shape)
    {
        var t = new Tensor<double>(shape);
        for (int i = 0; i < t.Length; i++)
            t.Data[i] = rng.NextDouble() * 2 - 1;
        return t;
    }

    /// <summary>Random values in [-1, 1] at least <paramref name="margin"/> away from zero (for kinks at 0).</summary>
    public static Tensor<double> RandomAwayFromZero(Random rng, double margin, params int[] shape)
    {
        var t = RandomTensor(rng, shape);
        for (int i = 0; i < t.Length; i++)
            t.Data[i] = Math.CopySign(margin + Math.Abs(t.Data[i]), t.Data[i]);
        return t;
    }

    public static double RelativeError(double analytic, double numeric, double lossMagnitude = 1) =>
        Math.Abs(analytic - numeric) / Math.Max(Floor * Math.Max(1, lossMagnitude), Math.Max(Math.Abs(analytic), Math.Abs(numeric)));

    /// <summary>Checks dL/dx (unless <paramref name="checkInput"/> is false) and every parameter gradient.</summary>
    public static void Check(IModule<double> module, Tensor<double> input, Random rng, string context, bool checkInput = true, Action? beforeForward = null)
    {
        beforeForward?.Invoke();
        var output = module.Forward(input);
        var c = RandomTensor(rng, output.Shape.ToArray());
        module.ZeroGrad();
        var gradInput = module.Backward(c).Clone();
        var parameters = module.Parameters().ToArray();
        var analyticParams = parameters.Select(p => p.Grad.Clone()).ToArray();

        double Loss(out double magnitude)
        {
            beforeForward?.Invoke();
            var y = module.Forward(input);
            double sum = 0;
            magnitude = 0;
            for (int i = 0; i < y.Length; i++)
            {
                sum += c.Data[i] * y.Data[i];
                magnitude += Math.Abs(c.Data[i] * y.Data[i]);
            }
            return sum;
        }

        double worst = 0;
        string worstAt = "";
        void Probe(double[] values, int i, double analytic, string what)
        {
            double orig = values[i];
            values[i] = orig + Eps;
            double plus = Loss(out double plusMagnitude);
            values[i] = orig - Eps;
            double minus = Loss(out double minusMagnitude);
            values[i] = orig;
            double numeric = (plus - minus) / (2 * Eps);
            double err = RelativeError(analytic, numeric, Math.Max(plusMagnitude, minusMagnitude));
            if (err > worst || double.IsNaN(err))
            {
                worst = double.IsNaN(err) ? double.PositiveInfinity : err;
                worstAt = $"{what}[{i}]: analytic {analytic:R}, numeric {numeric:R}";
            }
        }

        if (checkInput)
            for (int i = 0; i < input.Length; i++)
                Probe(input.Data, i, gradInput.Data[i], "input");
        for (int p = 0; p < parameters.Length; p++)
            for (int i = 0; i < parameters[p].Value.Length; i++)
                Probe(parameters[p].Value.Data, i, analyticParams[p].Data[i], parameters[p].Name);

        Assert.That(worst, Is.LessThan(Tolerance), $"{context}: worst relative error {worst:E2} at {worstAt}");
    }
}

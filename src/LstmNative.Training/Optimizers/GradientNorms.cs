using System.Numerics;

namespace LstmNative.Training.Optimizers;

/// <summary>The L2 norm of the gradient of one parameter, or of one layer's parameters together.</summary>
/// <param name="Name">The parameter's dotted path, or the layer's path (the parameter path without its last segment).</param>
/// <param name="Norm">The L2 norm.</param>
public readonly record struct GradientNorm(string Name, double Norm);

/// <summary>Gradient-norm reporting (computed in double whatever <c>T</c> is).</summary>
public static class GradientNorms
{
    /// <summary>The L2 norm over all gradients together.</summary>
    public static double Global<T>(IEnumerable<Parameter<T>> parameters) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameters);
        double sum = 0;
        foreach (var p in parameters)
            sum += SquaredNorm(p.Grad.Span);
        return Math.Sqrt(sum);
    }

    /// <summary>One norm per parameter, in order.</summary>
    public static IReadOnlyList<GradientNorm> PerParameter<T>(IEnumerable<Parameter<T>> parameters) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return parameters.Select(p => new GradientNorm(p.Name, Math.Sqrt(SquaredNorm(p.Grad.Span)))).ToArray();
    }

    /// <summary>
    /// One norm per layer, in order of first appearance: parameters are grouped by their path without the last
    /// segment (<c>0.weight</c> and <c>0.bias</c> form layer <c>0</c>; a top-level <c>weight</c> forms layer <c>""</c>).
    /// </summary>
    public static IReadOnlyList<GradientNorm> PerLayer<T>(IEnumerable<Parameter<T>> parameters) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var order = new List<string>();
        var sums = new Dictionary<string, double>();
        foreach (var p in parameters)
        {
            int dot = p.Name.LastIndexOf('.');
            string layer = dot < 0 ? "" : p.Name[..dot];
            if (!sums.ContainsKey(layer))
            {
                order.Add(layer);
                sums[layer] = 0;
            }
            sums[layer] += SquaredNorm(p.Grad.Span);
        }
        return order.Select(l => new GradientNorm(l, Math.Sqrt(sums[l]))).ToArray();
    }

    private static double SquaredNorm<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double sum = 0;
        foreach (var v in values)
        {
            double d = double.CreateChecked(v);
            sum += d * d;
        }
        return sum;
    }
}

using System.Numerics;
using System.Text.RegularExpressions;

namespace LstmNative.Training.Optimizers;

/// <summary>The L2 norm of the gradient of one parameter, or of one layer's parameters together.</summary>
/// <param name="Name">The parameter's dotted path, or the layer's name (<see cref="GradientNorms.LayerOf"/>).</param>
/// <param name="Norm">The L2 norm.</param>
public readonly record struct GradientNorm(string Name, double Norm);

/// <summary>Gradient-norm reporting (computed in double whatever <c>T</c> is).</summary>
public static partial class GradientNorms
{
    /// <summary>
    /// The layer a parameter belongs to, for per-layer reports and the gradient-flow plot: the parameter path without
    /// its last segment (<c>head.weight</c> → <c>head</c>; a top-level <c>weight</c> → <c>""</c>), except that a
    /// recurrent module's parameters are grouped per stacked layer and direction, as PyTorch names them
    /// (<c>lstm.weight_ih_l1</c> → <c>lstm.layer1</c>, <c>0.bias_hh_l0_reverse</c> → <c>0.layer0_reverse</c>,
    /// a top-level <c>weight_hh_l2</c> → <c>layer2</c>).
    /// </summary>
    public static string LayerOf(string parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        var m = RecurrentName().Match(parameter);
        if (m.Success)
            return $"{m.Groups[1].Value}layer{m.Groups[2].Value}{m.Groups[3].Value}";
        int dot = parameter.LastIndexOf('.');
        return dot < 0 ? "" : parameter[..dot];
    }

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
    /// One norm per layer, in order of first appearance, grouped by <see cref="LayerOf"/> (<c>0.weight</c> and
    /// <c>0.bias</c> form layer <c>0</c>; an LSTM's <c>lstm.weight_ih_l1</c> … form <c>lstm.layer1</c>).
    /// </summary>
    public static IReadOnlyList<GradientNorm> PerLayer<T>(IEnumerable<Parameter<T>> parameters) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var order = new List<string>();
        var sums = new Dictionary<string, double>();
        foreach (var p in parameters)
        {
            string layer = LayerOf(p.Name);
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

    [GeneratedRegex(@"^(.*?)(?:weight|bias)_(?:ih|hh)_l(\d+)(_reverse)?$")]
    private static partial Regex RecurrentName();
}

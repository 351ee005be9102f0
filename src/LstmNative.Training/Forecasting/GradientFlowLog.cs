using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;

namespace LstmNative.Training.Forecasting;

/// <summary>
/// Per-layer gradient L2 norms at every optimizer step (before clipping): the data of the gradient-flow plot, where
/// vanishing gradients show as lower layers' norms collapsing and exploding ones as spikes. Recurrent parameters are
/// grouped per stacked layer (<c>lstm.l0</c>, <c>lstm.l1</c>), others per module (<c>head</c>).
/// </summary>
public sealed partial class GradientFlowLog
{
    private readonly List<double[]> _steps = [];
    private string[] _layers = [];

    /// <summary>Layer names, in parameter order.</summary>
    public IReadOnlyList<string> Layers => _layers;

    /// <summary>One row per step: the norm of each layer, in <see cref="Layers"/> order.</summary>
    public IReadOnlyList<double[]> Steps => _steps;

    /// <summary>The layer a parameter belongs to: <c>lstm.weight_ih_l1</c> → <c>lstm.l1</c>; <c>head.weight</c> → <c>head</c>.</summary>
    public static string LayerOf(string parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        var m = RecurrentName().Match(parameter);
        if (m.Success)
            return $"{m.Groups[1].Value}l{m.Groups[2].Value}{m.Groups[3].Value}";
        int dot = parameter.LastIndexOf('.');
        return dot < 0 ? "" : parameter[..dot];
    }

    /// <summary>Records the current gradients of <paramref name="parameters"/> as one step.</summary>
    public void Record<T>(IReadOnlyList<Parameter<T>> parameters) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var names = parameters.Select(p => LayerOf(p.Name)).ToArray();
        if (_layers.Length == 0)
            _layers = names.Distinct().ToArray();
        var sums = new double[_layers.Length];
        for (int i = 0; i < parameters.Count; i++)
        {
            int layer = Array.IndexOf(_layers, names[i]);
            foreach (var g in parameters[i].Grad.Data)
            {
                double d = double.CreateChecked(g);
                sums[layer] += d * d;
            }
        }
        _steps.Add(sums.Select(Math.Sqrt).ToArray());
    }

    /// <summary>The log as CSV: <c>step,layer1,layer2,…</c>.</summary>
    public string ToCsv()
    {
        var lines = new List<string> { "step," + string.Join(',', _layers) };
        for (int s = 0; s < _steps.Count; s++)
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{s + 1},{string.Join(',', _steps[s].Select(v => v.ToString("G6", CultureInfo.InvariantCulture)))}"));
        return string.Join('\n', lines) + "\n";
    }

    [GeneratedRegex(@"^(.*?)(?:weight|bias)_(?:ih|hh)_l(\d+)(_reverse)?$")]
    private static partial Regex RecurrentName();
}

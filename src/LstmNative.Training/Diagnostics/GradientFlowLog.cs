using System.Globalization;
using System.Numerics;
using LstmNative.Training.Optimizers;

namespace LstmNative.Training.Diagnostics;

/// <summary>
/// Per-layer gradient L2 norms at every optimizer step (call <see cref="Record{T}"/> after the backward pass, before
/// clipping): the data of the gradient-flow plot (<see cref="DiagnosticPlots.GradientFlow"/>), where vanishing
/// gradients show as lower layers' norms collapsing and exploding ones as spikes. Layers are grouped as
/// <see cref="GradientNorms.PerLayer{T}"/> groups them (<see cref="GradientNorms.LayerOf"/>): recurrent parameters per
/// stacked layer (<c>lstm.layer0</c>, <c>lstm.layer1</c>), others per module (<c>head</c>). Works with any model.
/// </summary>
public sealed class GradientFlowLog
{
    private readonly List<double[]> _steps = [];
    private string[] _layers = [];

    /// <summary>Layer names, in parameter order.</summary>
    public IReadOnlyList<string> Layers => _layers;

    /// <summary>One row per step: the norm of each layer, in <see cref="Layers"/> order.</summary>
    public IReadOnlyList<double[]> Steps => _steps;

    /// <summary>Records the current gradients of <paramref name="parameters"/> as one step.</summary>
    public void Record<T>(IReadOnlyList<Parameter<T>> parameters) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var norms = GradientNorms.PerLayer(parameters);
        if (_layers.Length == 0)
            _layers = norms.Select(n => n.Name).ToArray();
        else if (norms.Count != _layers.Length || norms.Where((n, i) => n.Name != _layers[i]).Any())
            throw new ArgumentException("every step of a gradient-flow log must record the same parameters");
        _steps.Add(norms.Select(n => n.Norm).ToArray());
    }

    /// <summary>The log as CSV: <c>step,layer1,layer2,…</c>.</summary>
    public string ToCsv()
    {
        var lines = new List<string> { "step," + string.Join(',', _layers) };
        for (int s = 0; s < _steps.Count; s++)
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{s + 1},{string.Join(',', _steps[s].Select(v => v.ToString("G6", CultureInfo.InvariantCulture)))}"));
        return string.Join('\n', lines) + "\n";
    }
}

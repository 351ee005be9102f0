using System.Numerics;
using LstmNative.Training.Layers;
using ScottPlot;

namespace LstmNative.Training.Diagnostics;

/// <summary>
/// Training diagnostics as PNGs for any model (ScottPlot 5, rendered headless): the gradient-flow view from a
/// <see cref="GradientFlowLog"/> and a heat map of recurrent states from a <see cref="StateRecorder{T}"/>. Each method
/// returns the encoded image; write it with <c>File.WriteAllBytes</c> or, for a set of files, <c>AtomicFile</c>.
/// </summary>
public static class DiagnosticPlots
{
    private const int Width = 1200, Height = 600;

    /// <summary>Per-layer gradient L2 norm (log10) at every optimizer step: the gradient-flow view.</summary>
    /// <param name="log">The recorded norms.</param>
    /// <param name="title">The title; null for "Gradient flow: per-layer gradient norm before clipping".</param>
    public static byte[] GradientFlow(GradientFlowLog log, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        var plot = new Plot();
        var xs = Enumerable.Range(1, log.Steps.Count).Select(i => (double)i).ToArray();
        // A zero norm (e.g. a layer downstream of a zero-initialised head, on the first step) has no logarithm: show
        // it at the smallest norm seen rather than at an arbitrary floor that would squash the rest of the plot.
        double floor = log.Steps.SelectMany(s => s).Where(v => v > 0).DefaultIfEmpty(1).Min();
        for (int l = 0; l < log.Layers.Count; l++)
        {
            var ys = log.Steps.Select(s => Math.Log10(Math.Max(s[l], floor))).ToArray();
            var line = plot.Add.ScatterLine(xs, ys);
            line.LegendText = log.Layers[l].Length == 0 ? "(top level)" : log.Layers[l];
        }
        plot.Title(title ?? (log.Steps.Count == 0
            ? "Gradient flow: nothing recorded"
            : "Gradient flow: per-layer gradient norm before clipping"));
        plot.XLabel("optimizer step");
        plot.YLabel("log10 ‖gradient‖");
        if (log.Layers.Count > 0)
            plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>
    /// Heat map of recurrent states <c>[layer][step][unit]</c> (e.g. <see cref="RecurrentStates{T}.CellStatesOf"/>):
    /// units down, steps across, layers stacked with layer 0 at the bottom.
    /// </summary>
    /// <param name="states">The states, every layer with the same steps and units.</param>
    /// <param name="title">The title; null for "Cell state over time (layers 0–n stacked, h units each)".</param>
    /// <param name="stepLabel">The x-axis label; null for "time step".</param>
    public static byte[] CellState(double[][][] states, string? title = null, string? stepLabel = null)
    {
        ArgumentNullException.ThrowIfNull(states);
        if (states.Length == 0 || states[0].Length == 0 || states[0][0].Length == 0)
            throw new ArgumentException("the states must hold at least one layer, step and unit");
        int layers = states.Length, steps = states[0].Length, units = states[0][0].Length;
        if (states.Any(l => l.Length != steps || l.Any(s => s.Length != units)))
            throw new ArgumentException($"every layer must hold {steps} steps of {units} units");
        var grid = new double[layers * units, steps];
        for (int l = 0; l < layers; l++)
            for (int t = 0; t < steps; t++)
                for (int u = 0; u < units; u++)
                    grid[layers * units - 1 - (l * units + u), t] = states[l][t][u]; // row 0 is drawn on top
        var plot = new Plot();
        var map = plot.Add.Heatmap(grid);
        map.Colormap = new ScottPlot.Colormaps.Turbo();
        plot.Add.ColorBar(map);
        plot.Title(title ?? $"Cell state over time (layers 0–{layers - 1} stacked, {units} units each)");
        plot.XLabel(stepLabel ?? "time step");
        plot.YLabel("layer · unit (layer 0 at the bottom)");
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>Heat map of one batch row's cell states (LSTM) or hidden states (GRU) from a recorded forward pass.</summary>
    public static byte[] CellState<T>(RecurrentStates<T> states, int row = 0, int direction = 0, string? title = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(states);
        return states.Cell is null
            ? CellState(states.HiddenStatesOf(row, direction), title ?? "Hidden state over time (GRU)")
            : CellState(states.CellStatesOf(row, direction), title);
    }
}

using ScottPlot;

namespace LstmNative.Training.Forecasting;

/// <summary>
/// The forecasting run's PNGs (ScottPlot 5, rendered headless by SkiaSharp): forecast against actual on the test
/// split, the loss curves, per-layer gradient flow, and the LSTM cell state over one test window. Each method returns
/// the encoded image so the caller can write every file at the end, atomically.
/// </summary>
public static class ForecastPlots
{
    private const int Width = 1200, Height = 600;

    /// <summary>Actual values and forecasts (data units) over consecutive test windows; <paramref name="series"/> holds the forecasts, <c>[windows, horizon]</c> each.</summary>
    public static byte[] Forecast(string title, string unit, double[] actual, IReadOnlyList<(string Name, double[] Values)> series)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(series);
        var plot = new Plot();
        var xs = Enumerable.Range(0, actual.Length).Select(i => (double)i).ToArray();
        var a = plot.Add.ScatterLine(xs, actual);
        a.LegendText = "actual";
        a.Color = Colors.Black;
        a.LineWidth = 1.5f;
        var palette = new[] { Colors.DodgerBlue, Colors.OrangeRed, Colors.SeaGreen, Colors.Purple };
        for (int s = 0; s < series.Count; s++)
        {
            var line = plot.Add.ScatterLine(xs, series[s].Values);
            line.LegendText = series[s].Name;
            line.Color = palette[s % palette.Length];
            line.LineWidth = s == 0 ? 1.5f : 1f;
            if (s > 0)
                line.LinePattern = LinePattern.Dashed;
        }
        plot.Title(title);
        plot.XLabel("hours into the test split");
        plot.YLabel(unit);
        plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>Training and validation loss per epoch, with the restored best epoch marked.</summary>
    public static byte[] Loss(IReadOnlyList<EpochRecord> epochs, int bestEpoch)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        var plot = new Plot();
        var xs = epochs.Select(e => (double)e.Epoch).ToArray();
        var train = plot.Add.Scatter(xs, epochs.Select(e => e.TrainLoss).ToArray());
        train.LegendText = "training MSE (mean over the epoch, training mode)";
        var validation = plot.Add.Scatter(xs, epochs.Select(e => e.ValidationLoss).ToArray());
        validation.LegendText = "validation MSE";
        var best = plot.Add.VerticalLine(bestEpoch);
        best.LegendText = $"best epoch ({bestEpoch}), weights restored";
        best.LinePattern = LinePattern.Dotted;
        plot.Title("Loss (standardized scale)");
        plot.XLabel("epoch");
        plot.YLabel("MSE");
        plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>Per-layer gradient L2 norm (log10) at every optimizer step: the gradient-flow view.</summary>
    public static byte[] GradientFlow(GradientFlowLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var plot = new Plot();
        var xs = Enumerable.Range(1, log.Steps.Count).Select(i => (double)i).ToArray();
        // A zero norm (the LSTM's first step, before the zero-initialised head has moved) has no logarithm: show it
        // at the smallest norm seen rather than at an arbitrary floor that would squash the rest of the plot.
        double floor = log.Steps.SelectMany(s => s).Where(v => v > 0).DefaultIfEmpty(1).Min();
        for (int l = 0; l < log.Layers.Count; l++)
        {
            var ys = log.Steps.Select(s => Math.Log10(Math.Max(s[l], floor))).ToArray();
            var line = plot.Add.ScatterLine(xs, ys);
            line.LegendText = log.Layers[l];
        }
        // An accelerator keeps the gradients on the device (reading them back every step would undo its speed).
        plot.Title(log.Steps.Count == 0
            ? "Gradient flow: not recorded (training ran on the GPU, whose gradients stay on the device)"
            : "Gradient flow: per-layer gradient norm before clipping");
        plot.XLabel("optimizer step");
        plot.YLabel("log10 ‖gradient‖");
        plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>Heat map of the cell state <c>[layer][step][unit]</c> over one window: units down, steps across, layers stacked.</summary>
    public static byte[] CellState(double[][][] cells, int patch)
    {
        ArgumentNullException.ThrowIfNull(cells);
        int layers = cells.Length, steps = cells[0].Length, units = cells[0][0].Length;
        var grid = new double[layers * units, steps];
        for (int l = 0; l < layers; l++)
            for (int t = 0; t < steps; t++)
                for (int u = 0; u < units; u++)
                    grid[layers * units - 1 - (l * units + u), t] = cells[l][t][u]; // row 0 is drawn on top
        var plot = new Plot();
        var map = plot.Add.Heatmap(grid);
        map.Colormap = new ScottPlot.Colormaps.Turbo();
        plot.Add.ColorBar(map);
        string stepUnit = patch == 1 ? "time step" : $"LSTM step ({patch} time steps each)";
        plot.Title($"LSTM cell state over the first test window (layers 0–{layers - 1} stacked, {units} units each)");
        plot.XLabel(stepUnit);
        plot.YLabel("layer · unit (layer 0 at the bottom)");
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }
}

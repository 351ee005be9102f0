using ScottPlot;

namespace LstmNative.Training.Forecasting;

/// <summary>
/// The forecasting run's own PNGs (ScottPlot 5, rendered headless by SkiaSharp): forecast against actual on the test
/// split and the loss curves; its gradient-flow and cell-state plots come from <c>Diagnostics.DiagnosticPlots</c>.
/// Each method returns the encoded image so the caller can write every file at the end, atomically.
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
}

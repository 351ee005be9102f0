using ScottPlot;

namespace LstmNative.Forecasting;

/// <summary>
/// The forecasting run's own PNGs (ScottPlot 5, rendered headless by SkiaSharp): forecast against actual on the test
/// split and the loss curves; its gradient-flow and cell-state plots come from <c>Diagnostics.DiagnosticPlots</c>.
/// Each method returns the encoded image so the caller can write every file at the end, atomically;
/// <see cref="EnsureRenderer"/> checks before the work that they can be drawn at all.
/// </summary>
public static class ForecastPlots
{
    private const int Width = 1200, Height = 600;

    // The probe runs once per process: a library that fails to load stays unloaded, and one that loads stays loaded.
    private static readonly Lazy<PlatformNotSupportedException?> RendererFailure =
        new(() => ProbeRenderer(() => new Plot().GetImageBytes(1, 1, ImageFormat.Png)));

    /// <summary>
    /// Checks that plots can be drawn here, before long work whose results include plots: a missing native library
    /// (SkiaSharp's, which renders them) is otherwise found only when the first plot is drawn, after training. The
    /// check renders a 1×1 plot once per process; it costs the libraries' one-time start-up (tens to a few hundred
    /// milliseconds), which the first real plot would pay anyway, and nothing on later calls.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">The plots cannot be drawn: the one-line message names the native
    /// library that did not load, why, and how to restore it.</exception>
    public static void EnsureRenderer()
    {
        if (RendererFailure.Value is { } failure)
            throw new PlatformNotSupportedException(failure.Message, failure.InnerException);
    }

    /// <summary>Runs <paramref name="render"/>; the error <see cref="EnsureRenderer"/> throws when it fails, else null.</summary>
    internal static PlatformNotSupportedException? ProbeRenderer(Action render)
    {
        ArgumentNullException.ThrowIfNull(render);
        try
        {
            render();
            return null;
        }
        catch (Exception e)
        {
            // The failure surfaces as a TypeInitializationException of ScottPlot's or SkiaSharp's; the cause is inside.
            var cause = e;
            while (cause is not DllNotFoundException && cause.InnerException is { } inner)
                cause = inner;
            string advice = cause is DllNotFoundException
                ? "; restore SkiaSharp's native library beside the program (runtimes/<platform>/native/, from the package " +
                  "SkiaSharp.NativeAssets.Linux.NoDependencies on Linux), e.g. by reinstalling or republishing it"
                : "";
            return new PlatformNotSupportedException($"cannot draw the plots: {Gist(cause.Message)}{advice}", e);
        }
    }

    // .NET's message for a library that does not load runs over a dozen lines: advice on strace, then every path it
    // tried. Its first sentence names the library; the first path tried (the program's own runtimes folder) says why.
    private static string Gist(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length == 0)
            return message;
        int end = lines[0].IndexOf(". ", StringComparison.Ordinal);
        string first = (end > 0 ? lines[0][..end] : lines[0]).TrimEnd('.');
        return lines.Length > 1 ? $"{first} ({lines[1]})" : first;
    }

    /// <summary>
    /// Actual values and forecasts (data units) over consecutive test windows; <paramref name="series"/> holds the
    /// forecasts, <c>[windows, horizon]</c> each, and <paramref name="band"/> an optional prediction interval drawn
    /// shaded beneath them (the same length; non-finite values leave gaps).
    /// </summary>
    public static byte[] Forecast(string title, string unit, double[] actual, IReadOnlyList<(string Name, double[] Values)> series, ForecastBand? band = null)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(series);
        var plot = new Plot();
        var xs = Enumerable.Range(0, actual.Length).Select(i => (double)i).ToArray();
        if (band is not null)
            AddBand(plot, xs, band);
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

    // One shaded polygon per run of finite values: a NaN or infinite edge would break the polygon (and the axis limits).
    private static void AddBand(Plot plot, double[] xs, ForecastBand band)
    {
        if (band.Lower.Length != xs.Length || band.Upper.Length != xs.Length)
            throw new ArgumentException($"the band's edges ({band.Lower.Length}, {band.Upper.Length}) must have one value per point ({xs.Length})");
        bool labelled = false;
        for (int start = 0; start < xs.Length;)
        {
            if (!double.IsFinite(band.Lower[start]) || !double.IsFinite(band.Upper[start]))
            {
                start++;
                continue;
            }
            int end = start;
            while (end < xs.Length && double.IsFinite(band.Lower[end]) && double.IsFinite(band.Upper[end]))
                end++;
            var fill = plot.Add.FillY(xs[start..end], band.Lower[start..end], band.Upper[start..end]);
            fill.FillColor = Colors.DodgerBlue.WithAlpha(0.25);
            fill.LineWidth = 0;
            if (!labelled)
            {
                fill.LegendText = band.Name;
                labelled = true;
            }
            start = end;
        }
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

/// <summary>A prediction interval to shade in a forecast plot: its legend text and lower and upper edges (data units).</summary>
/// <param name="Name">Legend text.</param>
/// <param name="Lower">Lower edge, one value per plotted point.</param>
/// <param name="Upper">Upper edge.</param>
public sealed record ForecastBand(string Name, double[] Lower, double[] Upper);

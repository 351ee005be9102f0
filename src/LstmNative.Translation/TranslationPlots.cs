using LstmNative.Formats;
using ScottPlot;

namespace LstmNative.Translation;

/// <summary>
/// PNG plots of a translation run: the loss curves and attention heat maps, written atomically (a failed write leaves
/// the previous plot, and a folder where the file should go is reported as such, not as a permission error).
/// </summary>
public static class TranslationPlots
{
    /// <summary>Training and validation loss per check against epochs.</summary>
    public static void SaveLossPlot(IReadOnlyList<TrainingCheck> checks, string path)
    {
        ArgumentNullException.ThrowIfNull(checks);
        if (checks.Count == 0)
            return;
        var plot = new Plot();
        double[] x = [.. checks.Select(c => c.Epoch)];
        plot.Add.Scatter(x, [.. checks.Select(c => c.TrainLoss)]).LegendText = "train (with dropout)";
        plot.Add.Scatter(x, [.. checks.Select(c => c.ValidationLoss)]).LegendText = "validation";
        plot.Title("Translation loss (label-smoothed cross-entropy per target token)");
        plot.XLabel("epoch");
        plot.YLabel("loss");
        plot.ShowLegend();
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(900, 500, ImageFormat.Png));
    }

    /// <summary>Attention weights <c>[output words, source words]</c> as a heat map with the words on the axes.</summary>
    public static void SaveAttentionMap(IReadOnlyList<string> sourceWords, IReadOnlyList<string> outputWords, float[,] attention, string path, string title)
    {
        ArgumentNullException.ThrowIfNull(sourceWords);
        ArgumentNullException.ThrowIfNull(outputWords);
        ArgumentNullException.ThrowIfNull(attention);
        int rows = outputWords.Count, cols = sourceWords.Count;
        var values = new double[rows, cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                values[i, j] = attention[i, j];
        var plot = new Plot();
        var hm = plot.Add.Heatmap(values);
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        plot.Add.ColorBar(hm);
        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, cols).Select(j => (double)j)], [.. sourceWords]);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Left.SetTicks([.. Enumerable.Range(0, rows).Select(i => (double)(rows - 1 - i))], [.. outputWords]);
        plot.Title(title);
        plot.XLabel("source (German)");
        plot.YLabel("output (English)");
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(80 + 60 * cols + 200, 120 + 40 * rows + 120, ImageFormat.Png));
    }
}

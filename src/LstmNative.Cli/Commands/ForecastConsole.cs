using System.Diagnostics;
using System.Globalization;
using LstmNative.Forecasting;
using Spectre.Console;

namespace LstmNative.Cli.Commands;

/// <summary>
/// Runs a forecasting job with a Spectre.Console progress bar (epoch, loss, validation loss, learning rate, ETA),
/// then prints the results table. Ctrl+C stops training after the current batch; the best checkpoint stays.
/// </summary>
internal static class ForecastConsole
{
    public static int Run(ForecastData data, ForecastJob job, TextWriter stdout, TextWriter stderr, Stopwatch clock)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = AnsiSupport.Detect,
            ColorSystem = ColorSystemSupport.Detect,
            Interactive = InteractionSupport.Detect,
        });
        var s = job.Model;
        string columns = data.Channels > 1
            ? $"all {data.Channels} columns in and out, channel-independent ({string.Join(", ", data.ChannelNames)})"
            : $"inputs {string.Join(", ", data.Table.Columns)}, target {data.Table.Columns[data.TargetColumn]}" +
                (data.TrainingColumnsNote is { } note ? $", {note}" : "");
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"{data.Source}: {data.ChannelRows} rows, {columns}, " +
            $"{data.Protocol} split, {data.TrainOrigins.Length}/{data.ValidationOrigins.Length}/{data.ScoredTestOrigins.Length} train/validation/scored test windows")));
        string engine = job.Accelerator is null ? $"{LstmNative.Engines.CpuLayerEngine.Default.Name} engine" : "trained end to end on the GPU";
        string heads = s.Quantiles is { } q
            ? $"; quantile heads {string.Join(", ", q.Select(l => l.ToString(CultureInfo.InvariantCulture)))} (pinball loss; the point forecast is the median head)"
            : "";
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"model: {s.Layers}-layer LSTM, hidden {s.Hidden}, window {s.Window} ({s.Steps} steps of {s.Patch}), horizon {s.Horizon}, " +
            $"highway {(s.Highway ? "on" : "off")}{HighwayNote(job.Training)}{(s.InstanceScale ? ", instance scale on" : "")}; device {job.Device}, {engine}{heads}")));

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCtrlC = (_, e) =>
        {
            e.Cancel = true; // let training stop cleanly and keep the checkpoint
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCtrlC;
        ForecastOutcome outcome;
        try
        {
            outcome = console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                    new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("training", maxValue: job.Training.Epochs);
                    var progress = new SyncProgress<TrainingProgress>(p =>
                    {
                        task.Value = p.Epoch - 1 + (double)p.Batch / p.Batches;
                        task.Description = Markup.Escape(Describe(p));
                    });
                    var result = ForecastPipeline.Run(data, job, progress, cancel.Token);
                    task.Value = task.MaxValue;
                    return result;
                });
        }
        catch (OperationCanceledException)
        {
            string model = Path.Combine(job.OutputDirectory, ForecastPipeline.PartialModelFile);
            stderr.WriteLine(File.Exists(model)
                ? $"lstmnative: interrupted; the best checkpoint so far is in {model} (a finished run's files were left as they were)"
                : "lstmnative: interrupted before the first epoch finished; nothing was saved");
            return CliApp.Interrupted;
        }
        catch (InvalidOperationException e)
        {
            throw new CliException(e.Message);
        }
        finally
        {
            Console.CancelKeyPress -= onCtrlC;
        }

        PrintResults(console, outcome.Report);
        foreach (var file in outcome.Files)
            console.MarkupLine($"wrote [green]{Markup.Escape(file)}[/]");
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"run time {clock.Elapsed.TotalSeconds:F1} s (training {outcome.Report.TrainSeconds:F1} s)")));
        return CliApp.Ok;
    }

    // " (fitted by ridge, frozen)", " (fitted by ridge)", " (frozen)" or nothing: how the highway starts and whether it trains.
    private static string HighwayNote(TrainingSettings t)
    {
        var parts = new List<string>();
        if (t.HighwayInit == "ridge")
            parts.Add("fitted by ridge");
        if (t.FreezeHighway)
            parts.Add("frozen");
        return parts.Count == 0 ? "" : $" ({string.Join(", ", parts)})";
    }

    private static string Describe(TrainingProgress p)
    {
        string last = p.LastEpoch is { } e ? string.Create(CultureInfo.InvariantCulture, $"  val {e.ValidationLoss:F4}") : "";
        // A GPU run reads its loss every few batches: until the first read there is none to show.
        string loss = double.IsNaN(p.RunningLoss) ? "…" : p.RunningLoss.ToString("F4", CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $"epoch {p.Epoch}/{p.Epochs}  loss {loss}{last}  lr {p.LearningRate:G3}");
    }

    private static void PrintResults(IAnsiConsole console, ForecastReport report)
    {
        int h = report.Settings.Horizon;
        var table = new Table().Title(Markup.Escape($"test split, horizon {h}, {report.Results[0].Windows} windows (standardized scale)"));
        table.AddColumn("forecaster");
        table.AddColumn(new TableColumn("MSE").RightAligned());
        table.AddColumn(new TableColumn("MAE").RightAligned());
        table.AddColumn(new TableColumn("WAPE").RightAligned());
        table.AddColumn(new TableColumn("LSTM MSE vs it").RightAligned());
        var model = report.Results[0];
        foreach (var r in report.Results)
        {
            // A baseline with zero error (a perfectly periodic series) leaves no ratio to show.
            string versus = ReferenceEquals(r, model) ? "" : r.Mse > 0
                ? string.Create(CultureInfo.InvariantCulture, $"{(model.Mse / r.Mse - 1) * 100:+0.0;-0.0}%")
                : "-";
            string name = ReferenceEquals(r, model) ? $"[bold]{Markup.Escape(r.Name)}[/]" : Markup.Escape(r.Name);
            table.AddRow(name, F(r.Mse), F(r.Mae), double.IsNaN(r.Wape) ? "-" : string.Create(CultureInfo.InvariantCulture, $"{r.Wape * 100:F2}%"), versus);
        }
        console.Write(table);
        bool beatsAll = report.Results.Skip(1).All(r => model.Mse < r.Mse);
        console.MarkupLine(beatsAll
            ? "[green]the LSTM beats every baseline on MSE[/]"
            : "[yellow]the LSTM does not beat every baseline on MSE[/]");
        if (report.Highway is { } fit)
            console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"highway fitted by ridge on {fit.TrainingWindows} windows in {fit.Seconds:F1} s (penalty {fit.Penalty:G2}): validation MSE {fit.ValidationMse:F4} before the first epoch")));
        if (report.StartedFrom is { } from)
            console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"started from {from}: validation loss {report.InitialValidationLoss:F4} before the first epoch")));
        if (report.EpochChoice is { } c)
            console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"one-standard-error rule: epoch {c.TrainedEpoch} is {c.Gain:+0.0000;-0.0000} below the fit's validation MSE {c.FitMse:F4} " +
                $"(standard error {c.StandardError:F4} over {c.Blocks} blocks): {(c.KeptFit ? "not enough, the fitted highway is kept" : "the trained epoch is kept")}")));
        string bestNote = report.BestEpoch == 0
            ? report.StartedFrom is not null ? " (no epoch beat the saved model it started from: it is kept)"
            : report.EpochChoice is { KeptFit: true } ? " (the fitted highway, kept by the one-standard-error rule)" : " (no epoch beat the fitted highway: it is the model)"
            : "";
        console.MarkupLine(Markup.Escape($"best epoch {report.BestEpoch} of {report.Epochs.Count}{bestNote}{(report.StoppedEarly ? " (stopped early)" : "")}"));
        if (report.Intervals is { Count: > 0 } intervals)
            PrintIntervals(console, intervals, h);
    }

    private static void PrintIntervals(IAnsiConsole console, IReadOnlyList<IntervalReport> intervals, int horizon)
    {
        var first = intervals[0];
        // The whole horizon, then the first, middle and last lead steps (every step is in the JSON report).
        int[] steps = new[] { 1, (horizon + 1) / 2, horizon }.Distinct().ToArray();
        var table = new Table().Title(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"{first.Nominal:P0} interval ({first.Lower:0.###}–{first.Upper:0.###} heads), test split: coverage / mean width (standardized)")));
        table.AddColumn("band");
        table.AddColumn(new TableColumn("all steps").RightAligned());
        table.AddColumn(new TableColumn("width, units").RightAligned());
        foreach (int step in steps)
            table.AddColumn(new TableColumn($"step {step}").RightAligned());
        foreach (var r in intervals)
        {
            var cells = new List<string> { r.CorrectionPerStep is null ? "heads" : "heads + CQR", Cell(r.Coverage, r.MeanWidth), F(r.MeanWidthUnits) };
            cells.AddRange(steps.Select(k => Cell(r.CoveragePerStep[k - 1], r.MeanWidthPerStep[k - 1])));
            table.AddRow(cells.ToArray());
        }
        console.Write(table);
        if (intervals.Count > 1)
            console.MarkupLine("heads + CQR: each step's band widened (or narrowed) by split conformal prediction on the validation windows");
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"share of actual values below each head: {string.Join(", ", first.Quantiles.Select((q, k) => $"{q:0.###}: {P(first.ShareBelow[k])}"))}; " +
            $"heads crossed (then sorted) at {P(first.CrossedShare)} of window steps; pinball loss {F(first.PinballLoss)}")));
    }

    private static string Cell(double coverage, double width) => $"{P(coverage)} / {F(width)}";

    private static string P(double v) => v.ToString("P1", CultureInfo.InvariantCulture);

    private static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
}

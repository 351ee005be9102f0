using System.Diagnostics;
using System.Globalization;
using LstmNative.Translation;
using Spectre.Console;

namespace LstmNative.Cli.Commands;

/// <summary>
/// Shows a <c>translate train</c> run: on a terminal a Spectre.Console progress bar (epoch, loss, target tokens/s, ETA)
/// with each validation check printed above it; when the output is redirected (a log file, a test) the plain log lines
/// instead: every 50th batch and every check, each with the elapsed time.
/// </summary>
internal static class TranslateTrainConsole
{
    private const int LogEvery = 50;

    /// <summary>Runs <paramref name="train"/> with a progress display on <paramref name="stdout"/> and returns its result.</summary>
    public static TrainingSummary Run(TextWriter stdout, Func<IProgress<TranslationProgress>, TrainingSummary> train) =>
        Run(AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = AnsiSupport.Detect,
            ColorSystem = ColorSystemSupport.Detect,
            Interactive = InteractionSupport.Detect,
        }), stdout, train);

    /// <summary>As above on a given console (tests pass one that claims to be a terminal).</summary>
    internal static TrainingSummary Run(IAnsiConsole console, TextWriter stdout, Func<IProgress<TranslationProgress>, TrainingSummary> train)
    {
        // A live bar only on a real terminal: redirected, its redraws would fill the log and the log lines would be lost.
        if (!console.Profile.Out.IsTerminal || !console.Profile.Capabilities.Interactive)
            return train(new SyncProgress<TranslationProgress>(p => Log(stdout, p)));

        return console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("training", maxValue: 1);
                var summary = train(new SyncProgress<TranslationProgress>(p =>
                {
                    // The share of the run done by the estimate the ETA uses (the planned batches or the time budget).
                    double total = (p.Elapsed + p.Remaining).TotalSeconds;
                    task.Value = total > 0 ? p.Elapsed.TotalSeconds / total : 0;
                    task.Description = Markup.Escape(Describe(p));
                    if (p.CheckText is { } check)
                        console.MarkupLine(Markup.Escape(Line(p, check)));
                }));
                task.Value = task.MaxValue;
                return summary;
            });
    }

    private static void Log(TextWriter stdout, TranslationProgress p)
    {
        if (p.Batch % LogEvery == 0)
            stdout.WriteLine(Line(p, p.ToString()));
        if (p.CheckText is { } check)
            stdout.WriteLine(Line(p, check));
        stdout.Flush();
    }

    private static string Line(TranslationProgress p, string text) =>
        string.Create(CultureInfo.InvariantCulture, $"[{p.Elapsed:hh\\:mm\\:ss}] batch {p.Batch}/{p.Batches} {text}");

    private static string Describe(TranslationProgress p) => string.Create(CultureInfo.InvariantCulture,
        $"epoch {p.Epoch}  batch {p.Batch}/{p.Batches}  loss {p.Loss:F3}  {p.TokensPerSecond:F0} tok/s  ETA {(int)p.Remaining.TotalHours}:{p.Remaining:mm\\:ss}");
}

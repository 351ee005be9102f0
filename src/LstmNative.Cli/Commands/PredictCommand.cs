using System.CommandLine;
using System.Globalization;
using System.Text;
using LstmNative.Formats;
using LstmNative.Forecasting;
using LstmNative.Training.Data;

namespace LstmNative.Cli.Commands;

/// <summary>
/// <c>lstmnative predict [--model forecast-output/model.safetensors]... [--csv FILE] [-o forecast.csv]</c>: forecasts the
/// rows after the end of a series with the model a <c>forecast</c> run saved, standardized with that run's training
/// statistics, and writes the forecast (and a quantile forecaster's band) as CSV in the data's units. With
/// <c>--model</c> given more than once, the forecast is the committee's: the mean of every model's forecast
/// (<see cref="FutureForecast.Mean"/>), each model reading its own look-back.
/// </summary>
internal static class PredictCommand
{
    public static Command Create(TextWriter stdout)
    {
        var model = new Option<FileInfo[]>("--model", "-m")
        {
            Description = "the checkpoint a forecast run wrote; given more than once, the forecast is the mean of the models' forecasts (a committee)",
            DefaultValueFactory = _ => [new FileInfo(Path.Combine("forecast-output", ForecastPipeline.ModelFile))],
        };
        var csv = new Option<FileInfo>("--csv")
        {
            Description = "CSV with a header row holding the model's columns; the forecast follows its last row (default: the built-in synthetic load)",
        };
        var output = new Option<FileInfo>("--output", "-o")
        {
            Description = "CSV to write: lead (1 = the row after the last), the row's time when the CSV has a timestamp column (its last step repeated), then each forecast column and its quantiles",
            DefaultValueFactory = _ => new FileInfo("forecast.csv"),
        };
        var command = new Command("predict", "forecast the rows after a series' end with a model saved by forecast") { model, csv, output };
        command.SetAction(parse =>
        {
            string[] modelPaths = parse.GetValue(model)!.Select(f => f.FullName).ToArray();
            string outPath = parse.GetValue(output)!.FullName;
            string? csvPath = parse.GetValue(csv)?.FullName;
            foreach (string modelPath in modelPaths)
                CommonOptions.RefuseOverwrite(outPath, "--output", modelPath, "the model");
            if (csvPath is not null)
                CommonOptions.RefuseOverwrite(outPath, "--output", csvPath, "the input --csv");
            foreach (string modelPath in modelPaths)
                if (!File.Exists(modelPath))
                    throw new CliException($"no model at {modelPath}: run 'lstmnative forecast' first, or name one with --model");
            var members = modelPaths.Select(ForecasterCheckpoint.Open).ToArray();
            NumericTable history;
            string source;
            if (csvPath is null)
            {
                history = SyntheticLoadSeries.Generate();
                source = "built-in synthetic load";
            }
            else
            {
                // Loads exactly the models' columns (the loader names a missing or non-numeric one with its row).
                history = CsvLoader.Load(csvPath, members.SelectMany(m => m.Columns).Distinct(StringComparer.Ordinal).ToArray());
                source = Path.GetFileName(csvPath);
            }
            var forecasts = members.Select(m => m.Forecast(history, source)).ToArray();
            FutureForecast forecast;
            try
            {
                forecast = FutureForecast.Mean(forecasts);
            }
            catch (ArgumentException e)
            {
                throw new CliException($"the models cannot form a committee: {e.Message}");
            }
            var times = csvPath is null ? null : ForecastDataSource.FollowingTimestamps(csvPath, forecast.Horizon);
            AtomicFile.Write(outPath, stream => stream.Write(Encoding.UTF8.GetBytes(ToCsv(forecast, times))));
            // Names come from the user's files: printed safely (no terminal control characters).
            string from = members.Length == 1
                ? $"from its last {members[0].Window} rows ({CliApp.Printable(Path.GetFileName(modelPaths[0]))})"
                : $"the mean of {members.Length} models' forecasts, from its last {string.Join(" / ", members.Select(m => m.Window))} rows";
            stdout.WriteLine($"{CliApp.Printable(source)}: {history.RowCount} rows; forecast {CliApp.Printable(string.Join(", ", forecast.Columns))} " +
                $"for the {forecast.Horizon} rows after the last, {from}");
            foreach (int lead in Leads(forecast.Horizon))
                stdout.WriteLine($"  +{lead,-4} {(times is null ? "" : times[lead - 1] + "  ")}" + string.Join("  ", forecast.Columns.Select((c, k) =>
                    $"{CliApp.Printable(c)} {forecast[lead, k].ToString("G6", CultureInfo.InvariantCulture)}")));
            stdout.WriteLine($"wrote {CliApp.Printable(outPath, 1000)}");
            return CliApp.Ok;
        });
        return command;
    }

    /// <summary>
    /// The forecast as CSV: <c>lead</c>, the row's time when <paramref name="times"/> gives it, then per column its point
    /// forecast and, from quantile heads, <c>column_qNN</c> per level and, when the run conformalized them, the outer
    /// levels' CQR band <c>column_qLO_cqr</c>, <c>column_qHI_cqr</c>.
    /// </summary>
    internal static string ToCsv(FutureForecast forecast, IReadOnlyList<string>? times = null)
    {
        var text = new StringBuilder(times is null ? "lead" : "lead,time");
        int q = forecast.Levels?.Count ?? 0, columns = forecast.Columns.Count;
        string Level(int j) => (forecast.Levels![j] * 100).ToString("0.###", CultureInfo.InvariantCulture);
        foreach (string column in forecast.Columns)
        {
            text.Append(',').Append(Quoted(column));
            for (int j = 0; j < q; j++)
                text.Append(',').Append(Quoted($"{column}_q{Level(j)}"));
            if (forecast.ConformalBand is not null)
                text.Append(',').Append(Quoted($"{column}_q{Level(0)}_cqr")).Append(',').Append(Quoted($"{column}_q{Level(q - 1)}_cqr"));
        }
        text.Append('\n');
        for (int lead = 1; lead <= forecast.Horizon; lead++)
        {
            text.Append(lead.ToString(CultureInfo.InvariantCulture));
            if (times is not null)
                text.Append(',').Append(times[lead - 1]);
            for (int k = 0; k < columns; k++)
            {
                text.Append(',').Append(forecast[lead, k].ToString("R", CultureInfo.InvariantCulture));
                for (int j = 0; j < q; j++)
                    text.Append(',').Append(forecast.Quantiles![((lead - 1) * columns + k) * q + j].ToString("R", CultureInfo.InvariantCulture));
                if (forecast.ConformalBand is { } band)
                    text.Append(',').Append(band[((lead - 1) * columns + k) * 2].ToString("R", CultureInfo.InvariantCulture))
                        .Append(',').Append(band[((lead - 1) * columns + k) * 2 + 1].ToString("R", CultureInfo.InvariantCulture));
            }
            text.Append('\n');
        }
        return text.ToString();
    }

    // Column names come from the user's file: quoted when they hold a comma, quote or line break.
    private static string Quoted(string name) =>
        name.IndexOfAny([',', '"', '\n', '\r']) < 0 ? name : $"\"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";

    // The console shows the first three lead steps and the last.
    private static IEnumerable<int> Leads(int horizon) => Enumerable.Range(1, Math.Min(3, horizon)).Concat(horizon > 3 ? [horizon] : []);
}

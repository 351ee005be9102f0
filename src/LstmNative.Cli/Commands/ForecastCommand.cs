using System.CommandLine;
using System.Diagnostics;
using LstmNative.Gpu.Training;
using LstmNative.Training.Data;
using LstmNative.Forecasting;

namespace LstmNative.Cli.Commands;

/// <summary>
/// <c>lstmnative forecast</c>: trains a 2-layer LSTM forecaster and scores it against persistence, seasonal naive and
/// linear AR on the same test windows. Without <c>--csv</c> it uses the built-in synthetic hourly load; with
/// <c>--protocol ett</c> it follows the ETT benchmark's split, scaling and scored windows.
/// </summary>
internal static class ForecastCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var csv = new Option<FileInfo>("--csv") { Description = "CSV file with a header row (default: the built-in synthetic hourly load)" };
        var target = new Option<string>("--target") { Description = "column to forecast (required with --csv; built-in: load)" };
        var features = Choice("--features", "input columns: all numeric columns, or the target alone (default: all for the built-in data, target for --csv)", "all", "target");
        var targets = Choice("--targets", "columns forecast: the --target column (default), or all numeric columns in and out, channel-independent " +
            "(one shared univariate LSTM applied to each column, scored over all of them, as PatchTST's multivariate setting; --target then optional)", "target", "all");
        var trainColumns = Choice("--train-columns", "columns whose windows train a univariate forecaster (--features target): the target's own " +
            "(default), or all numeric columns', each standardized with its own training statistics (channel-independent training; the forecast still " +
            "sees the target's history alone, and validation and scores are the target's)", "target", "all");
        var window = Int("--window", "input rows per forecast", 168);
        var horizon = Int("--horizon", "rows to forecast", 24);
        var protocol = Choice("--protocol", "split and scoring: chronological (70/10/20 %), ett (ETTh1's published protocol: Informer's split, " +
            "test windows scored in groups of 32), ett-long (the same split, scored in groups of 128 as PatchTST and DLinear score horizons 96-720) " +
            "or ett-long-backtest (ett-long moved one period back: train rows 0-5759, validation 5760-8639, test 8640-11519; for choosing a " +
            "setting without reading the test period)",
            "chronological", "ett", "ett-long", "ett-long-backtest");
        protocol.DefaultValueFactory = _ => "chronological";
        var patch = Int("--patch", "time steps per LSTM step (0: 24 when the window is a multiple of 24, else 1)", 0);
        var hidden = Int("--hidden", "LSTM hidden size", 64);
        var layers = Int("--layers", "stacked LSTM layers", 2);
        var dropout = new Option<double>("--dropout") { Description = "dropout between LSTM layers", DefaultValueFactory = _ => 0.0 };
        var highway = new Option<bool>("--highway") { Description = "add a linear path from the window to the forecast, LSTNet's AR highway (on by default; --highway false turns it off)", DefaultValueFactory = _ => true };
        var instanceScale = new Option<bool>("--instance-scale")
        {
            Description = "also divide each window, feature by feature, by its own standard deviation and scale the forecast back (RevIN's scaling; CPU only)",
        };
        var highwayInit = Choice("--highway-init", "zero (training starts from persistence) or ridge (the highway is first fitted in closed form: " +
            "ridge least squares on every training window, the penalty chosen on validation; that linear model is 'epoch 0', kept unless an epoch beats it)",
            "zero", "ridge");
        highwayInit.DefaultValueFactory = _ => "zero";
        var freezeHighway = new Option<bool>("--freeze-highway")
        {
            Description = "leave the highway as initialised while the LSTM trains (with --highway-init ridge: the LSTM learns the linear model's residual; CPU only)",
        };
        var epochChoice = Choice("--epoch-choice", "which weights are kept: best (the lowest validation loss, the fitted highway's included) or one-se " +
            "(with --highway-init ridge: the best trained epoch replaces the fitted highway only if its validation MSE is lower by more than one " +
            "standard error, taken over non-overlapping blocks of horizon windows)", "best", "one-se");
        epochChoice.DefaultValueFactory = _ => "best";
        var initFrom = new Option<FileInfo>("--init-from")
        {
            Description = "start from a saved run's weights (its model.safetensors: same model options and columns) instead of a random initialisation, " +
                "to fine-tune or retrain on newer data; scored on validation as epoch 0 and kept unless an epoch beats it (not with --highway-init ridge)",
        };
        var epochs = Int("--epochs", "maximum epochs", 20);
        var batch = Int("--batch-size", "windows per step", 64);
        var lr = new Option<double>("--lr") { Description = "learning rate", DefaultValueFactory = _ => 1e-3 };
        var optimizer = Choice("--optimizer", "optimizer", "adam", "adamw", "sgd");
        optimizer.DefaultValueFactory = _ => "adam";
        var weightDecay = new Option<double>("--weight-decay") { Description = "weight decay", DefaultValueFactory = _ => 0.0 };
        var clip = new Option<double>("--clip") { Description = "global gradient-norm clipping (0: off)", DefaultValueFactory = _ => 1.0 };
        var patience = Int("--patience", "epochs without a better validation loss before stopping", 4);
        var scheduler = Choice("--scheduler", "learning-rate schedule", "plateau", "cosine", "none");
        scheduler.DefaultValueFactory = _ => "plateau";
        var perEpoch = Int("--windows-per-epoch", "training windows drawn per epoch (0: all)", 2048);
        var season = Int("--season", "season length of the seasonal-naive baseline", 24);
        season.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
                r.AddError($"--season must be at least 1, got {r.GetValueOrDefault<int>()}");
        });
        var arima = new Option<string>("--arima") { Description = "add a seasonal ARIMA baseline: p,d,q[,P,D,Q,s] or 'auto' (AIC over p,q in 0..2, P,Q in 0..1, d=0, D=1, s=--season)" };
        var quantiles = new Option<string>("--quantiles")
        {
            Description = "train quantile heads with the pinball loss instead of the MSE point forecast, e.g. 0.1,0.5,0.9 (the median is added " +
                "if missing and is the point forecast); reports the band's coverage and width on the test split and shades it in forecast.png (CPU only)",
        };
        var linear = Choice("--baselines", "baselines: all (persistence, seasonal naive, linear AR, ridge AR, DLinear) or naive (the first two; " +
            "the linear fits do not depend on --seed and dominate long multivariate runs)", "all", "naive");
        linear.DefaultValueFactory = _ => "all";
        var seed = Int("--seed", "random seed (same seed, same run)", 1);
        var outputDir = new Option<DirectoryInfo>("--output-dir", "-o") { Description = "folder for the model, PNGs and gradient log", DefaultValueFactory = _ => new DirectoryInfo("forecast-output") };
        var report = new Option<FileInfo>("--report") { Description = "write the results as JSON to this file" };
        var device = CommonOptions.Device();

        var command = new Command("forecast", "train an LSTM forecaster and compare it with persistence, seasonal naive and linear AR")
        {
            csv, target, features, targets, trainColumns, window, horizon, protocol, patch, hidden, layers, dropout, highway, instanceScale, highwayInit, freezeHighway, epochChoice, initFrom, epochs, batch, lr, optimizer,
            weightDecay, clip, patience, scheduler, perEpoch, season, arima, quantiles, linear, seed, outputDir, report, device,
        };
        command.SetAction(parse =>
        {
            var clock = Stopwatch.StartNew();
            // Quantile heads and per-window scaling train on the CPU only (the GPU step's loss is plain MSE): an explicit
            // cuda is refused before any device probe, so the reason is the option, and auto picks the CPU.
            string? cpuOnly = parse.GetValue(quantiles) is not null ? "--quantiles: the quantile heads train"
                : parse.GetValue(instanceScale) ? "--instance-scale: per-window scaling trains"
                : parse.GetValue(freezeHighway) ? "--freeze-highway: a frozen highway trains" : null;
            if (cpuOnly is not null && parse.GetValue(device) == "cuda")
                throw new CliException($"{cpuOnly} on the CPU only; use --device cpu or auto");
            string dev = cpuOnly is not null ? "cpu" : DeviceSelection.Resolve(parse.GetValue(device), gpu: true);
            string? csvPath = parse.GetValue(csv)?.FullName;
            string? targetName = parse.GetValue(target);
            bool everyColumn = parse.GetValue(targets) == "all";
            if (csvPath is not null && string.IsNullOrEmpty(targetName) && !everyColumn)
                throw new CliException("--csv needs --target COLUMN (the column to forecast) or --targets all");
            if (everyColumn && parse.GetValue(features) == "target")
                throw new CliException("--targets all forecasts every column from its own history: it takes all columns in (leave out --features target)");
            if (everyColumn && parse.GetValue(quantiles) is not null)
                throw new CliException("--quantiles is for one target; it cannot be combined with --targets all");
            bool all = everyColumn || (parse.GetValue(features) ?? (csvPath is null ? "all" : "target")) == "all";
            bool poolColumns = parse.GetValue(trainColumns) == "all";
            if (poolColumns && everyColumn)
                throw new CliException("--targets all trains on every column already; --train-columns all is for one target");
            if (poolColumns && all)
                throw new CliException("--train-columns all trains a univariate forecaster on every column's windows: add --features target");
            int w = parse.GetValue(window), h = parse.GetValue(horizon);
            if (w < 1 || h < 1)
                throw new CliException($"--window and --horizon must be positive, got {w} and {h}");

            string outDir = parse.GetValue(outputDir)!.FullName;
            string? reportPath = parse.GetValue(report)?.FullName;
            var artefacts = ForecastPipeline.OutputFiles.Append(ForecastPipeline.PartialModelFile).Select(f => Path.Combine(outDir, f)).ToList();
            foreach (string artefact in artefacts)
            {
                if (csvPath is not null)
                    CommonOptions.RefuseOverwrite(artefact, "the run's output", csvPath, "the input --csv");
                if (reportPath is not null)
                    CommonOptions.RefuseOverwrite(reportPath, "--report", artefact, $"where the run writes {Path.GetFileName(artefact)}");
            }
            if (csvPath is not null && reportPath is not null)
                CommonOptions.RefuseOverwrite(reportPath, "--report", csvPath, "the input --csv");

            NumericTable table;
            string source, unit;
            if (csvPath is null)
            {
                table = SyntheticLoadSeries.Generate();
                targetName ??= SyntheticLoadSeries.Target;
                if (!all && !poolColumns)
                    table = table.SelectColumns(Checked(table, targetName, "built-in data"));
                source = "built-in synthetic load";
                unit = targetName == SyntheticLoadSeries.Target ? "MW" : "°C";
            }
            else
            {
                if (string.IsNullOrEmpty(targetName))
                {
                    var names = ForecastDataSource.NumericColumnNames(csvPath);
                    targetName = names.Count > 0 ? names[^1] : throw new CliException($"{csvPath} has no numeric columns"); // any will do: every one is forecast
                }
                table = ForecastDataSource.LoadCsv(csvPath, targetName!, all || poolColumns);
                source = Path.GetFileName(csvPath);
                unit = "";
            }
            if (poolColumns && table.ColumnCount < 2)
                throw new CliException($"--train-columns all: {source} has one numeric column ('{table.Columns[0]}'), no others to train on");
            var data = parse.GetValue(protocol) switch
            {
                "ett" => ForecastData.Ett(table, source, targetName!, w, h),
                "ett-long" => ForecastData.EttLongHorizon(table, source, targetName!, w, h),
                "ett-long-backtest" => ForecastData.EttLongHorizonBacktest(table, source, targetName!, w, h),
                _ => ForecastData.Chronological(table, source, targetName!, w, h),
            };
            if (everyColumn)
                data = data.ChannelIndependent();
            else if (poolColumns)
                data = data.TrainedOnEveryColumn();

            int seasonLength = parse.GetValue(season);
            if (parse.GetResult(season) is { Implicit: false } && seasonLength > data.ScoredTestOrigins.Min())
                throw new CliException($"--season {seasonLength} is longer than the {data.ScoredTestOrigins.Min()} rows before the first scored test window");
            ArimaOrder? arimaOrder = null;
            if (parse.GetValue(arima) is { } arimaText)
            {
                try
                {
                    arimaOrder = arimaText == "auto" ? ForecastJob.ArimaAuto : ArimaOrder.Parse(arimaText);
                }
                catch (Exception e) when (e is FormatException or ArgumentException)
                {
                    throw new CliException($"--arima: {e.Message}");
                }
            }
            double[]? levels = null;
            if (parse.GetValue(quantiles) is { } quantileText)
            {
                try
                {
                    levels = ForecasterShape.ParseQuantiles(quantileText);
                }
                catch (FormatException e)
                {
                    throw new CliException($"--quantiles: {e.Message}");
                }
            }
            int p = parse.GetValue(patch);
            if (p == 0)
                p = w % 24 == 0 ? 24 : 1;
            if (p < 0 || w % p != 0)
                throw new CliException($"--window {w} must be a multiple of --patch {p}");
            var shape = new ForecasterShape(data.Features, data.TargetColumn, w, h, parse.GetValue(hidden), parse.GetValue(layers), p,
                parse.GetValue(dropout), parse.GetValue(highway), levels, parse.GetValue(instanceScale));
            var settings = new TrainingSettings(parse.GetValue(epochs), parse.GetValue(batch), parse.GetValue(lr), parse.GetValue(optimizer)!,
                parse.GetValue(weightDecay), parse.GetValue(clip), parse.GetValue(patience), parse.GetValue(scheduler)!, parse.GetValue(perEpoch),
                parse.GetValue(seed), parse.GetValue(highwayInit)!, parse.GetValue(freezeHighway), parse.GetValue(epochChoice)!);
            if (settings.EpochChoice == "one-se" && settings.HighwayInit != "ridge")
                throw new CliException("--epoch-choice one-se weighs the trained LSTM against the fitted highway: add --highway-init ridge");
            if (settings.EpochChoice == "one-se" && levels is not null)
                throw new CliException("--epoch-choice one-se compares point forecasts (MSE); it cannot be combined with --quantiles");
            string? initPath = parse.GetValue(initFrom)?.FullName;
            if (initPath is not null && settings.HighwayInit == "ridge")
                throw new CliException("--init-from keeps the saved model's highway; --highway-init ridge would replace it: leave it out");
            if (initPath is not null && !File.Exists(initPath))
                throw new CliException($"--init-from: no model at {initPath}");
            if (initPath is not null && reportPath is not null)
                CommonOptions.RefuseOverwrite(reportPath, "--report", initPath, "the --init-from model");
            if (!parse.GetValue(highway) && (settings.HighwayInit == "ridge" || settings.FreezeHighway))
                throw new CliException("--highway-init ridge and --freeze-highway need the highway; leave out --highway false");
            return DeviceSelection.RunWithCpuFallback(parse.GetValue(device), dev, d =>
            {
                var job = new ForecastJob(shape, settings, outDir, reportPath,
                    seasonLength, d, unit, d == "cuda" ? GpuForecastAccelerator.CreateOrThrow : null, arimaOrder,
                    LinearBaselines: parse.GetValue(linear) == "all", InitFrom: initPath);
                return ForecastConsole.Run(data, job, stdout, stderr, clock);
            }, stderr);
        });
        return command;
    }

    private static string Checked(NumericTable table, string column, string source) =>
        table.Columns.Contains(column) ? column
            : throw new DataFormatException(source, 0, column, $"no such column; the columns are: {string.Join(", ", table.Columns)}");

    private static Option<int> Int(string name, string description, int defaultValue) =>
        new(name) { Description = description, DefaultValueFactory = _ => defaultValue };

    private static Option<string> Choice(string name, string description, params string[] values)
    {
        var option = new Option<string>(name) { Description = description };
        option.AcceptOnlyFromAmong(values);
        return option;
    }
}

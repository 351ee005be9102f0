using LstmNative.Training;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LstmNative.Engines;
using LstmNative.Formats;
using LstmNative.Model;
using LstmNative.Training.Diagnostics;
using LstmNative.Training.Layers;

namespace LstmNative.Forecasting;

/// <summary>What a forecasting run needs besides the data.</summary>
/// <param name="Model">Forecaster shape (features and target must match the data).</param>
/// <param name="Training">How to train.</param>
/// <param name="OutputDirectory">Folder for the model, the PNGs and the gradient log (created if missing).</param>
/// <param name="ReportPath">Where to write the JSON report, or null.</param>
/// <param name="Season">Season length of the seasonal-naive baseline.</param>
/// <param name="Device">Device label for the report.</param>
/// <param name="Unit">Unit of the target for plots (e.g. <c>MW</c>).</param>
/// <param name="Accelerator">Makes the accelerator that trains the forecaster (the GPU), or null to train on the CPU.</param>
/// <param name="Arima">Adds a seasonal ARIMA baseline fitted on the training split: its orders, or null for none;
/// <see cref="ArimaAuto"/> chooses them by AIC (d = 0, D = 1 with the season).</param>
/// <param name="LinearBaselines">Whether the linear baselines (least-squares AR, ridge AR, DLinear) are fitted; false keeps
/// persistence and seasonal naive only. They do not depend on the seed, and on long windows over many channels their
/// closed-form fits cost more than training the LSTM, so repeated runs (other seeds) may skip them.</param>
/// <param name="InitFrom">A saved run's checkpoint to start training from instead of a random initialisation (same shape,
/// same columns; scored as epoch 0 and kept unless an epoch beats it: <see cref="TrainingSettings.StartsFromWeights"/>), or null.</param>
public sealed record ForecastJob(ForecasterShape Model, TrainingSettings Training, string OutputDirectory, string? ReportPath = null,
    int Season = 24, string Device = "cpu", string Unit = "", ForecastAcceleratorFactory? Accelerator = null, ArimaOrder? Arima = null,
    bool LinearBaselines = true, string? InitFrom = null)
{
    /// <summary>The <see cref="Arima"/> value that asks for orders chosen by AIC.</summary>
    public static readonly ArimaOrder ArimaAuto = new(-1, -1, -1);
}

/// <summary>What a run produced.</summary>
/// <param name="Report">The report (also written when asked).</param>
/// <param name="Files">Every file written, full paths.</param>
public sealed record ForecastOutcome(ForecastReport Report, IReadOnlyList<string> Files);

/// <summary>
/// The forecasting job end to end: baselines (persistence, seasonal naive, linear AR by least squares, ridge AR and
/// DLinear with their penalty chosen on validation) and the LSTM forecaster trained
/// and scored on the same test windows, then the checkpoint, plots, gradient log and report (with quantile heads, the
/// median head is the scored point forecast and the report adds the band's coverage and width). While training, the
/// best weights so far go to <see cref="PartialModelFile"/> (so an interrupted run keeps them; a run that fails removes
/// the file, leaving no debris); a finished run's artefacts (<see cref="OutputFiles"/> and the report) are replaced
/// only at the end, all together, once every new one is complete, so a failed, diverged or interrupted run leaves the
/// previous run's files as they were and consistent with each other.
/// </summary>
public static class ForecastPipeline
{
    /// <summary>The checkpoint's file name in the output folder.</summary>
    public const string ModelFile = "model.safetensors";

    /// <summary>The best weights of a run still in progress (or interrupted), beside a finished run's <see cref="ModelFile"/>.</summary>
    public const string PartialModelFile = "model.partial.safetensors";

    /// <summary>The files a finished run leaves in the output folder.</summary>
    public static IReadOnlyList<string> OutputFiles { get; } =
        [ModelFile, "forecast.png", "loss.png", "gradient_flow.png", "cell_state.png", "gradient_norms.csv"];

    /// <summary>Runs the job. Throws <see cref="OperationCanceledException"/> when cancelled (the best checkpoint stays).</summary>
    /// <exception cref="PlatformNotSupportedException">The plots cannot be drawn here (<see cref="ForecastPlots.EnsureRenderer"/>); nothing has been trained or written.</exception>
    public static ForecastOutcome Run(ForecastData data, ForecastJob job, IProgress<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(job);
        // The plots are drawn after training: a renderer that cannot load must be found before it, and before any file.
        ForecastPlots.EnsureRenderer();
        var clock = Stopwatch.StartNew();
        var shape = job.Model;
        shape.RequireMatches(data);
        shape.Validate();
        // Training scores a saved starting point as epoch 0; the settings are checked, then the file, before any work.
        var trainingSettings = job.InitFrom is null ? job.Training : job.Training with { StartsFromWeights = true };
        trainingSettings.Validate();
        var start = job.InitFrom is { } initFrom ? LoadStart(shape, data, initFrom) : null;
        if (shape.Quantiles is not null && job.Accelerator is not null)
            throw new ArgumentException("quantile heads train on the CPU only (the GPU step computes MSE); run on the CPU");
        string outDir = PrepareOutput(job.OutputDirectory);
        if (job.ReportPath is { } reportPath)
            CheckWritable(reportPath);

        var scored = data.ScoredTestOrigins;
        var actuals = data.Actuals(scored);
        var baselines = new List<IBaselineForecaster> { new PersistenceForecaster() };
        if (scored.Min() >= job.Season && job.Season > 1)
            baselines.Add(new SeasonalNaiveForecaster(job.Season));
        if (job.LinearBaselines)
            baselines.Add(LinearArForecaster.Fit(data, data.Window));
        if (job.LinearBaselines && data.ValidationOrigins.Length > 0)
        {
            // The fair linear baselines: the penalty chosen on validation, for the lags and for DLinear's split.
            baselines.Add(LinearArForecaster.FitOnValidation(data, data.Window));
            baselines.Add(LinearArForecaster.FitOnValidation(data, data.Window, trendKernel: 25));
        }
        if (job.Arima is { } arima)
        {
            var train = data.Target.AsSpan(data.Train.Start, data.Train.Count);
            baselines.Add(ReferenceEquals(arima, ForecastJob.ArimaAuto)
                ? ArimaForecaster.Select(train, 0, 1, job.Season)
                : ArimaForecaster.Fit(train, arima));
        }
        var baselinePredictions = baselines.Select(b => Predict(b, data, scored)).ToArray();

        var model = new LstmForecaster<float>(shape, new Random(trainingSettings.Seed));
        if (start is not null)
            ModelSnapshot<float>.Capture(start).RestoreTo(model);
        string modelPath = Path.Combine(outDir, ModelFile);
        string partialPath = Path.Combine(outDir, PartialModelFile);
        bool wrotePartial = false;
        try
        {
            TrainingResult training;
            double[] predictions;
            QuantileForecasts? quantiles = null;
            IReadOnlyList<IntervalReport>? intervals = null;
            double[]? correction = null;
            string engineName;
            using (var accelerator = job.Accelerator?.Invoke(model, trainingSettings, Math.Max(trainingSettings.BatchSize, ForecastTrainer.PredictionBatch)))
            {
                training = ForecastTrainer.Train(model, data, trainingSettings, progress, e =>
                {
                    AtomicFile.Write(partialPath, Checkpoint(model, data, e));
                    wrotePartial = true;
                }, accelerator, cancel);
                // The model holds the best epoch's weights; the accelerator the last epoch's: it forecasts after an upload.
                accelerator?.Upload(model);
                predictions = ForecastTrainer.Predict(model, data, scored, accelerator: accelerator);
                if (shape.Quantiles is { } levels)
                {
                    // The median head is the point forecast the table scores; the band is scored on the same windows.
                    quantiles = new QuantileForecasts(levels, predictions, data.Horizon);
                    predictions = quantiles.PointForecast();
                    (intervals, correction) = ScoreIntervals(model, data, quantiles, actuals);
                }
                engineName = accelerator?.Name ?? EngineName(model.Lstm.Engine);
            }
            var checkpoint = Checkpoint(model, data, training.Best, correction);

            var results = new List<ForecastMetrics> { Score("LSTM", predictions, actuals, data) };
            for (int i = 0; i < baselines.Count; i++)
                results.Add(Score(baselines[i].Name, baselinePredictions[i], actuals, data));
            if (training.Highway is { } fit && shape.Quantiles is null)
            {
                // What the LSTM adds to the closed-form linear model it started from: that model alone, on the same windows.
                var linear = ForecastTrainer.Predict(fit.LinearModel(shape), data, scored);
                results.Add(Score(string.Create(CultureInfo.InvariantCulture, $"fitted highway alone (ridge {fit.Penalty:G2})"), linear, actuals, data));
            }
            if (training.SetAside is { } trained)
                results.Add(Score(string.Create(CultureInfo.InvariantCulture, $"LSTM epoch {training.EpochChoice!.TrainedEpoch}, set aside by the one-SE rule"),
                    ForecastTrainer.Predict(trained, data, scored), actuals, data));
            // The plot sets the LSTM beside the strongest baseline (lowest test MSE), whichever it is.
            int best = Enumerable.Range(0, baselines.Count).MinBy(i => results[i + 1].Mse);

            var pending = new List<(string Path, Action<Stream> Write)>
            {
                (modelPath, checkpoint),
                (Path.Combine(outDir, "forecast.png"), Bytes(PlotForecast(data, job, scored, predictions, baselinePredictions[best], baselines[best].Name, quantiles))),
                (Path.Combine(outDir, "loss.png"), Bytes(ForecastPlots.Loss(training.Epochs, training.BestEpoch))),
                (Path.Combine(outDir, "gradient_flow.png"), Bytes(PlotGradientFlow(training.GradientFlow))),
                (Path.Combine(outDir, "cell_state.png"), Bytes(PlotCellState(model, data, scored[0]))),
                (Path.Combine(outDir, "gradient_norms.csv"), Bytes(Encoding.UTF8.GetBytes(training.GradientFlow.ToCsv()))),
            };
            var report = BuildReport(data, job, trainingSettings, training, results, clock.Elapsed.TotalSeconds, engineName);
            report = report with { RunTimeSeconds = clock.Elapsed.TotalSeconds, Intervals = intervals };
            if (job.ReportPath is { } rp)
                pending.Add((Path.GetFullPath(rp), Bytes(Encoding.UTF8.GetBytes(report.ToJson() + "\n"))));
            // Everything at once: a failure before the last rename leaves the previous run's files untouched.
            AtomicFile.WriteAll(pending);
            DeletePartial(partialPath);
            return new ForecastOutcome(report, pending.Select(p => p.Path).ToList());
        }
        catch (Exception e) when (wrotePartial && e is not OperationCanceledException)
        {
            // Only an interrupted run keeps its best weights so far (what Ctrl+C promises); a failed one leaves no
            // debris. A partial checkpoint this run has not written (an earlier interrupted run's) is not its to delete.
            DeletePartial(partialPath);
            throw;
        }
    }

    private static void DeletePartial(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A stale partial checkpoint is harmless, and the run's own outcome or failure matters more.
        }
    }

    /// <summary>Creates the output folder and proves it writable before any work, so a bad path fails fast and leaves nothing.</summary>
    public static string PrepareOutput(string directory)
    {
        OutputPaths.CheckFolder(directory, "the output folder");
        string full = Path.GetFullPath(directory);
        Directory.CreateDirectory(full);
        return full;
    }

    private static void CheckWritable(string path) => OutputPaths.CheckFile(path, "the report");

    private static double[] Predict(IBaselineForecaster forecaster, ForecastData data, int[] origins)
    {
        var result = new double[origins.Length * data.Horizon];
        for (int i = 0; i < origins.Length; i++)
            forecaster.Predict(data, origins[i], result.AsSpan(i * data.Horizon, data.Horizon));
        return result;
    }

    /// <summary>
    /// A saved run's model to start training from (fine-tuning, or retraining on newer data): it must have this run's
    /// shape and read the data's columns, in order. Throws <see cref="ArgumentException"/> saying what differs (and
    /// <see cref="ModelFormatException"/> for a file that is not a forecaster checkpoint).
    /// </summary>
    private static LstmForecaster<float> LoadStart(ForecasterShape want, ForecastData data, string path)
    {
        var saved = ForecasterCheckpoint.Open(path);
        var have = saved.Model.Shape;
        if (have with { Quantiles = null } != want with { Quantiles = null } || !(have.Quantiles ?? []).SequenceEqual(want.Quantiles ?? []))
            throw new ArgumentException($"--init-from {path}: the saved model is {Describe(have)}, this run's is {Describe(want)}");
        if (saved.ChannelIndependent != data.Channels > 1 || !saved.Columns.SequenceEqual(data.Columns))
            throw new ArgumentException($"--init-from {path}: the saved model reads [{string.Join(", ", saved.Columns)}]" +
                $"{(saved.ChannelIndependent ? " channel-independent" : "")}, this run [{string.Join(", ", data.Columns)}]{(data.Channels > 1 ? " channel-independent" : "")}");
        return saved.Model;
    }

    private static string Describe(ForecasterShape s) =>
        $"{s.Features} feature(s) (target {s.TargetFeature}), window {s.Window}, horizon {s.Horizon}, hidden {s.Hidden}, {s.Layers} layer(s), " +
        $"patch {s.Patch}, dropout {s.Dropout}, highway {(s.Highway ? "on" : "off")}, instance scale {(s.InstanceScale ? "on" : "off")}, " +
        $"quantiles {(s.Quantiles is { } q ? string.Join(",", q) : "none")}";

    // Channel-independent data mixes columns of different units: no WAPE (NaN), only the standardized MSE and MAE.
    private static ForecastMetrics Score(string name, double[] predictions, double[] actuals, ForecastData data) => data.Channels > 1
        ? ForecastMetrics.Compute(name, predictions, actuals, data.Horizon)
        : ForecastMetrics.Compute(name, predictions, actuals, data.Horizon, data.Unscale(predictions), data.Unscale(actuals));

    private static Action<Stream> Bytes(byte[] bytes) => stream => stream.Write(bytes);

    // conformalCorrection: the quantile heads' CQR correction per lead step (standardized scale), kept with a finished
    // run's model so that `predict` can give the calibrated band; stored only when every step's is finite.
    private static Action<Stream> Checkpoint(LstmForecaster<float> model, ForecastData data, EpochRecord epoch, double[]? conformalCorrection = null)
    {
        var tensors = model.Parameters()
            .Select(p => new KeyValuePair<string, NdArray>(p.Name, NdArray.FromFloats((float[])p.Value.Data.Clone(), p.Value.Shape.ToArray())))
            .ToList();
        var scaler = data.Scaler;
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "lstmnative.forecaster/1",
            ["shape"] = JsonSerializer.Serialize(model.Shape),
            ["columns"] = JsonSerializer.Serialize(data.Columns),
            ["target"] = data.Table.Columns[data.TargetColumn],
            ["scaler_mean"] = JsonSerializer.Serialize(scaler.Mean),
            ["scaler_std"] = JsonSerializer.Serialize(scaler.StandardDeviation),
            ["epoch"] = epoch.Epoch.ToString(CultureInfo.InvariantCulture),
            ["validation_mse"] = epoch.ValidationLoss.ToString("R", CultureInfo.InvariantCulture),
        };
        if (conformalCorrection is not null && conformalCorrection.All(double.IsFinite))
            metadata[ForecasterCheckpoint.ConformalCorrectionKey] = JsonSerializer.Serialize(conformalCorrection);
        // The format's one writer (Formats/SafetensorsWriter); encoded now, written atomically by the caller.
        byte[] bytes = SafetensorsWriter.ToBytes(tensors, metadata);
        return stream => stream.Write(bytes);
    }

    /// <summary>
    /// The heads' band on the test windows, and the same band widened by split conformal prediction on the validation
    /// windows (when there are any), which corrects heads that are too narrow or too wide out of sample; with that
    /// correction per lead step (null without validation windows).
    /// </summary>
    private static (IntervalReport[] Reports, double[]? Correction) ScoreIntervals(LstmForecaster<float> model, ForecastData data,
        QuantileForecasts test, double[] actuals)
    {
        double scale = data.Scaler.StandardDeviation[data.TargetColumn];
        var heads = test.Score("quantile heads", actuals, scale);
        if (data.ValidationOrigins.Length == 0)
            return ([heads], null);
        var validation = new QuantileForecasts(test.Levels, ForecastTrainer.Predict(model, data, data.ValidationOrigins), data.Horizon);
        var correction = validation.ConformalCorrection(data.Actuals(data.ValidationOrigins));
        return ([heads, test.Score("quantile heads, conformalized on the validation split (CQR)", actuals, scale, correction)], correction);
    }

    private static byte[] PlotForecast(ForecastData data, ForecastJob job, int[] scored, double[] model, double[] baseline, string baselineName,
        QuantileForecasts? quantiles)
    {
        // Consecutive, non-overlapping windows from the start of the test split: each forecast as the model issued it.
        int h = data.Horizon, span = Math.Max(4 * h, 336);
        var chosen = new List<int>();
        for (int i = 0; i < scored.Length && (chosen.Count + 1) * h <= span; i += h)
            chosen.Add(i);
        if (chosen.Count == 0)
            chosen.Add(0);
        var actual = new List<double>();
        var forecast = new List<double>();
        var other = new List<double>();
        var lower = new List<double>();
        var upper = new List<double>();
        double[]? lowerAll = quantiles?.Lower(), upperAll = quantiles?.Upper();
        foreach (int i in chosen)
        {
            actual.AddRange(data.Target.AsSpan(scored[i], h).ToArray());
            forecast.AddRange(model.AsSpan(i * h, h).ToArray());
            other.AddRange(baseline.AsSpan(i * h, h).ToArray());
            if (lowerAll is not null && upperAll is not null)
            {
                lower.AddRange(lowerAll.AsSpan(i * h, h).ToArray());
                upper.AddRange(upperAll.AsSpan(i * h, h).ToArray());
            }
        }
        // Channel-independent data: the windows shown are the first channel's (its scored origins come first).
        string target = data.Channels > 1 ? $"{data.ChannelNames[0]} (standardized; one of {data.Channels} channels)" : data.Table.Columns[data.TargetColumn];
        ForecastBand? band = quantiles is null ? null : new ForecastBand(
            string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"LSTM {quantiles.Levels[0]:0.###}–{quantiles.Levels[^1]:0.###} quantile band ({quantiles.Nominal:P0} nominal)"),
            data.Unscale(lower.ToArray()), data.Unscale(upper.ToArray()));
        return ForecastPlots.Forecast($"{data.Source}: {target}, {chosen.Count} consecutive {h}-step forecasts on the test split",
            string.IsNullOrEmpty(job.Unit) ? target : $"{target} ({job.Unit})",
            data.Unscale(actual.ToArray()), [(quantiles is null ? "LSTM" : "LSTM (median head)", data.Unscale(forecast.ToArray())),
                (baselineName, data.Unscale(other.ToArray()))], band);
    }

    private static byte[] PlotCellState(LstmForecaster<float> model, ForecastData data, int origin)
    {
        var window = new Tensor<float>(1, data.Window, data.Features);
        data.Fill<float>([origin], window, null);
        var cells = model.CellStates(window);
        int patch = model.Shape.Patch;
        return DiagnosticPlots.CellState(cells,
            $"LSTM cell state over the first test window (layers 0–{cells.Length - 1} stacked, {model.Shape.Hidden} units each)",
            patch == 1 ? "time step" : $"LSTM step ({patch} time steps each)");
    }

    // An accelerator keeps the gradients on the device (reading them back every step would undo its speed).
    private static byte[] PlotGradientFlow(GradientFlowLog log) => DiagnosticPlots.GradientFlow(log, log.Steps.Count == 0
        ? "Gradient flow: not recorded (training ran on the GPU, whose gradients stay on the device)"
        : "Gradient flow: per-layer gradient norm before clipping");

    private static string EngineName(IRnnLayerEngine<float> engine) => engine is ReferenceLayerEngine<float> r
        ? $"{r.Name} ({r.Shards} batch shards on {Environment.ProcessorCount} cores)"
        : engine.Name;

    private static ForecastReport BuildReport(ForecastData data, ForecastJob job, TrainingSettings trainingSettings, TrainingResult training,
        List<ForecastMetrics> results, double seconds,
        string engineName)
    {
        var d = new ReportData(data.Source, data.Protocol, data.ChannelRows, data.Columns,
            data.Channels > 1 ? $"all {data.Channels} columns, channel-independent"
                : data.TrainingColumnsNote is { } note ? $"{data.Table.Columns[data.TargetColumn]}, {note}"
                : data.Table.Columns[data.TargetColumn],
            [data.Train.Start, data.Train.End], [data.Validation.Start, data.Validation.End], [data.Test.Start, data.Test.End],
            data.TrainOrigins.Length, data.ValidationOrigins.Length, data.TestOrigins.Length, data.ScoredTestOrigins.Length,
            "MSE and MAE on the standardized scale (training mean and population std); WAPE in data units");
        var settings = new ReportSettings(data.Window, data.Horizon, job.Model, trainingSettings, job.Season, data.Window);
        string machine = $"{Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
        var rows = results.Select(m => new ReportResult(m.Name, data.Horizon, m.Windows, m.Mse, m.Mae, m.Wape, m.MsePerStep, m.MaePerStep)).ToArray();
        return new ForecastReport("lstmnative forecast", d, settings, job.Device, engineName, machine, seconds, training.Seconds,
            training.BestEpoch, training.StoppedEarly, rows, training.Epochs) { Highway = training.Highway, InitialValidationLoss = training.Initial?.ValidationLoss,
                EpochChoice = training.EpochChoice, StartedFrom = job.InitFrom };
    }
}

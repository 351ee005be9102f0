using System.Text.Json;
using System.Text.Json.Serialization;

namespace LstmNative.Forecasting;

/// <summary>The machine-readable record of a forecasting run (<c>--report FILE.json</c>).</summary>
/// <param name="Tool">The command that produced it.</param>
/// <param name="Data">What was forecast and how it was split.</param>
/// <param name="Settings">Every setting that shaped the result.</param>
/// <param name="Device">Where it ran (<c>cpu</c> or <c>cuda</c>).</param>
/// <param name="Engine">The recurrent engine and its parallelism.</param>
/// <param name="Machine">Processor count and OS, for reading the run time.</param>
/// <param name="RunTimeSeconds">Wall time of the whole run (data, baselines, training, evaluation, files).</param>
/// <param name="TrainSeconds">Wall time of training alone.</param>
/// <param name="BestEpoch">The epoch whose weights were kept.</param>
/// <param name="StoppedEarly">Whether early stopping ended training.</param>
/// <param name="Results">Test-split metrics of the model (first) and each baseline, on the same scored windows.</param>
/// <param name="Epochs">The training history.</param>
/// <param name="Intervals">With quantile heads, the prediction interval on the test split (the heads' band, then the band
/// conformalized on the validation split), scored on the model's windows; else null. The model's row in
/// <paramref name="Results"/> is then the median head.</param>
public sealed record ForecastReport(string Tool, ReportData Data, ReportSettings Settings, string Device, string Engine, string Machine,
    double RunTimeSeconds, double TrainSeconds, int BestEpoch, bool StoppedEarly, IReadOnlyList<ReportResult> Results, IReadOnlyList<EpochRecord> Epochs,
    IReadOnlyList<IntervalReport>? Intervals = null)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The closed-form highway fit (<c>--highway-init ridge</c>), or null.</summary>
    public HighwayFit? Highway { get; init; }

    /// <summary>With a fitted highway or saved starting weights, the validation loss before the first epoch (best epoch 0 keeps that model); else null.</summary>
    public double? InitialValidationLoss { get; init; }

    /// <summary>The checkpoint training started from (<see cref="ForecastJob.InitFrom"/>), or null.</summary>
    public string? StartedFrom { get; init; }

    /// <summary>What the one-standard-error rule compared (<c>--epoch-choice one-se</c>), when it ran; else null.</summary>
    public EpochChoiceCheck? EpochChoice { get; init; }

    /// <summary>The report as indented JSON with camelCase names.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

/// <summary>The data part of a report.</summary>
/// <param name="Source">File name or <c>built-in synthetic load</c>.</param>
/// <param name="Protocol"><c>ett</c>, <c>ett-long</c>, <c>ett-long-backtest</c> or <c>chronological</c>.</param>
/// <param name="Rows">Rows in the series.</param>
/// <param name="Inputs">Input columns.</param>
/// <param name="Target">Target column.</param>
/// <param name="TrainRows">Training rows <c>[start, end)</c>.</param>
/// <param name="ValidationRows">Validation rows <c>[start, end)</c>.</param>
/// <param name="TestRows">Test rows <c>[start, end)</c>.</param>
/// <param name="TrainWindows">Training windows.</param>
/// <param name="ValidationWindows">Validation windows.</param>
/// <param name="TestWindows">All test windows.</param>
/// <param name="ScoredTestWindows">Test windows scored.</param>
/// <param name="Scale">How the metrics are scaled.</param>
public sealed record ReportData(string Source, string Protocol, int Rows, IReadOnlyList<string> Inputs, string Target, int[] TrainRows,
    int[] ValidationRows, int[] TestRows, int TrainWindows, int ValidationWindows, int TestWindows, int ScoredTestWindows, string Scale);

/// <summary>The settings part of a report.</summary>
/// <param name="Window">Input rows per window.</param>
/// <param name="Horizon">Predicted rows.</param>
/// <param name="Model">Forecaster shape.</param>
/// <param name="Training">Training settings.</param>
/// <param name="Season">Season of the seasonal-naive baseline.</param>
/// <param name="ArLags">Lags of the linear AR baseline.</param>
public sealed record ReportSettings(int Window, int Horizon, ForecasterShape Model, TrainingSettings Training, int Season, int ArLags);

/// <summary>One forecaster's test metrics for the run's horizon.</summary>
/// <param name="Name">The forecaster.</param>
/// <param name="Horizon">The horizon.</param>
/// <param name="Windows">Windows scored.</param>
/// <param name="Mse">MSE (standardized scale).</param>
/// <param name="Mae">MAE (standardized scale).</param>
/// <param name="Wape">Absolute error relative to the mean absolute actual value, data units.</param>
/// <param name="MsePerStep">MSE at each lead step 1 … horizon.</param>
/// <param name="MaePerStep">MAE at each lead step.</param>
public sealed record ReportResult(string Name, int Horizon, int Windows, double Mse, double Mae, double Wape, double[] MsePerStep, double[] MaePerStep);

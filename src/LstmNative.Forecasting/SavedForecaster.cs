using LstmNative.Training;
using LstmNative.Training.Data;

namespace LstmNative.Forecasting;

/// <summary>
/// A finished forecasting run's model, ready to forecast what comes after new data: the columns it reads, the training
/// split's standardization and the model, as <see cref="ForecasterCheckpoint.Open"/> reads them from
/// <c>model.safetensors</c>. The forecast is the one the run scored on its test windows, from the last
/// <see cref="Window"/> rows of the history given, in the data's units.
/// </summary>
public sealed class SavedForecaster
{
    private readonly StandardScaler _scaler;
    private readonly double[]? _correction;

    internal SavedForecaster(LstmForecaster<float> model, IReadOnlyList<string> columns, StandardScaler scaler, bool channelIndependent,
        double[]? conformalCorrection = null)
    {
        Model = model;
        _correction = conformalCorrection;
        Columns = columns;
        _scaler = scaler;
        ChannelIndependent = channelIndependent;
        ForecastColumns = channelIndependent ? columns : [columns[model.Shape.TargetFeature]];
    }

    /// <summary>The model (in evaluation mode).</summary>
    public LstmForecaster<float> Model { get; }

    /// <summary>The columns the history must hold, by name (any order, other columns ignored).</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>The columns forecast: the target, or with <see cref="ChannelIndependent"/> every column.</summary>
    public IReadOnlyList<string> ForecastColumns { get; }

    /// <summary>
    /// Whether the run forecast every column with one shared univariate model (<c>--targets all</c>): each column's
    /// forecast then sees that column's history alone.
    /// </summary>
    public bool ChannelIndependent { get; }

    /// <summary>Rows of history each forecast reads.</summary>
    public int Window => Model.Shape.Window;

    /// <summary>Rows forecast.</summary>
    public int Horizon => Model.Shape.Horizon;

    /// <summary>
    /// Forecasts the <see cref="Horizon"/> rows after the last row of <paramref name="history"/> from its last
    /// <see cref="Window"/> rows, standardized with the training split's statistics and scaled back. Throws
    /// <see cref="DataFormatException"/> when a column is missing, the history is shorter than the window, or a value
    /// the forecast reads is not finite.
    /// </summary>
    public FutureForecast Forecast(NumericTable history, string source = "the history")
    {
        ArgumentNullException.ThrowIfNull(history);
        int w = Window, rows = history.RowCount;
        if (rows < w)
            throw new DataFormatException($"{source} has {rows} rows; the model reads the last {w}");
        var index = Columns.Select(c => history.Columns.Contains(c) ? history.ColumnIndex(c)
            : throw new DataFormatException(source, 0, c, $"no such column; the model reads {string.Join(", ", Columns)}")).ToArray();
        // Standardized windows: one of every column (features innermost), or one per column when channel-independent.
        var window = new double[w * Columns.Count];
        for (int c = 0; c < Columns.Count; c++)
        {
            var values = new double[w];
            for (int r = 0; r < w; r++)
            {
                double v = history[rows - w + r, index[c]];
                if (!double.IsFinite(v))
                    throw new DataFormatException(source, rows - w + r + 1, Columns[c], $"{v} in the last {w} rows, which the forecast reads");
                values[r] = v;
            }
            _scaler.TransformFeature(values, c);
            int at = ChannelIndependent ? c * w : c, stride = ChannelIndependent ? 1 : Columns.Count;
            for (int r = 0; r < w; r++)
                window[at + r * stride] = values[r];
        }
        int batch = ChannelIndependent ? Columns.Count : 1, features = Model.Shape.Features;
        var x = new Tensor<float>(batch, w, features);
        for (int i = 0; i < window.Length; i++)
            x.Data[i] = (float)window[i];
        var y = Model.Forward(x);
        return Unscaled(y.Data);
    }

    // The model's outputs [batch, horizon · levels] back in data units, as [horizon, columns] (and levels innermost).
    private FutureForecast Unscaled(float[] outputs)
    {
        var shape = Model.Shape;
        int h = shape.Horizon, q = shape.OutputsPerStep, columns = ForecastColumns.Count;
        var values = new double[h * columns];
        double[]? quantiles = shape.Quantiles is null ? null : new double[h * columns * q];
        double[]? band = _correction is null ? null : new double[h * columns * 2];
        for (int k = 0; k < columns; k++)
        {
            int feature = ChannelIndependent ? k : shape.TargetFeature;
            var raw = new double[h * q];
            for (int i = 0; i < raw.Length; i++)
                raw[i] = outputs[k * h * q + i];
            double[] point = raw;
            if (shape.Quantiles is { } levels)
            {
                // Quantile heads, sorted where they cross (as the run scored them); the median head is the point forecast.
                var sorted = new QuantileForecasts(levels, raw, h);
                point = sorted.PointForecast();
                if (_correction is { } corr)
                {
                    // The run's CQR band: the outer heads moved out (or in) by each lead step's correction, as its report scored it.
                    var (lower, upper) = (sorted.Lower(), sorted.Upper());
                    for (int l = 0; l < h; l++)
                        (lower[l], upper[l]) = (lower[l] - corr[l], upper[l] + corr[l]);
                    _scaler.InverseTransformFeature(lower, feature);
                    _scaler.InverseTransformFeature(upper, feature);
                    for (int l = 0; l < h; l++)
                        (band![(l * columns + k) * 2], band[(l * columns + k) * 2 + 1]) = (lower[l], upper[l]);
                }
                for (int j = 0; j < q; j++)
                {
                    var level = sorted.Level(j);
                    _scaler.InverseTransformFeature(level, feature);
                    for (int l = 0; l < h; l++)
                        quantiles![(l * columns + k) * q + j] = level[l];
                }
            }
            _scaler.InverseTransformFeature(point, feature);
            for (int l = 0; l < h; l++)
                values[l * columns + k] = point[l];
        }
        return new FutureForecast(ForecastColumns, h, values, shape.Quantiles, quantiles) { ConformalBand = band };
    }
}

/// <summary>
/// A forecast of the rows after a history: <see cref="Values"/> <c>[horizon, columns]</c> row-major in the data's units
/// and, from quantile heads, <see cref="Quantiles"/> <c>[horizon, columns, levels]</c>.
/// </summary>
/// <param name="Columns">The columns forecast.</param>
/// <param name="Horizon">Rows forecast; lead step 1 is the row after the history's last.</param>
/// <param name="Values">The point forecasts.</param>
/// <param name="Levels">The quantile levels, or null for a point forecaster.</param>
/// <param name="Quantiles">The quantile forecasts, or null.</param>
public sealed record FutureForecast(IReadOnlyList<string> Columns, int Horizon, double[] Values, IReadOnlyList<double>? Levels, double[]? Quantiles)
{
    /// <summary>
    /// The outer heads' band conformalized on the run's validation split (CQR), <c>[horizon, columns, 2]</c> (lower,
    /// upper) in the data's units, when the checkpoint carries the correction; else null.
    /// </summary>
    public double[]? ConformalBand { get; init; }

    /// <summary>The point forecast of column <paramref name="column"/> at lead step <paramref name="lead"/> (1-based).</summary>
    public double this[int lead, int column] => Values[(lead - 1) * Columns.Count + column];

    /// <summary>
    /// The committee forecast of several models' forecasts of the same rows: the element-wise mean of the point
    /// forecasts and, when every member has quantile heads of the same levels, of each level's forecasts (the mean of
    /// quantiles, "Vincentization") and of the CQR bands when every member carries one. Averaging forecasts instead of
    /// choosing one model is the safer choice when held-out periods disagree about which model is best
    /// (docs/forecasting.md, "A committee of the candidates"). Throws <see cref="ArgumentException"/> naming the first
    /// difference when the members forecast different columns, horizons or quantile levels, or only some carry a band.
    /// </summary>
    public static FutureForecast Mean(IReadOnlyList<FutureForecast> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count == 0)
            throw new ArgumentException("a committee needs at least one forecast", nameof(members));
        var first = members[0];
        for (int m = 1; m < members.Count; m++)
        {
            var other = members[m];
            string? difference =
                !other.Columns.SequenceEqual(first.Columns) ? $"columns [{string.Join(", ", other.Columns)}] against [{string.Join(", ", first.Columns)}]"
                : other.Horizon != first.Horizon ? $"horizon {other.Horizon} against {first.Horizon}"
                : (other.Levels is null) != (first.Levels is null) || (other.Levels is not null && !other.Levels.SequenceEqual(first.Levels!))
                    ? $"quantile levels [{LevelList(other)}] against [{LevelList(first)}]"
                : (other.ConformalBand is null) != (first.ConformalBand is null) ? "a conformal band in only one of them"
                : null;
            if (difference is not null)
                throw new ArgumentException($"forecast {m + 1} of the committee does not match the first: {difference}");
        }
        return new FutureForecast(first.Columns, first.Horizon, Average(members, f => f.Values)!, first.Levels, Average(members, f => f.Quantiles))
        {
            ConformalBand = Average(members, f => f.ConformalBand),
        };
    }

    private static string LevelList(FutureForecast f) => f.Levels is null ? "none" : string.Join(", ", f.Levels);

    private static double[]? Average(IReadOnlyList<FutureForecast> members, Func<FutureForecast, double[]?> part)
    {
        if (part(members[0]) is not { } first)
            return null;
        var mean = new double[first.Length];
        foreach (var member in members)
        {
            var values = part(member)!;
            for (int i = 0; i < mean.Length; i++)
                mean[i] += values[i];
        }
        for (int i = 0; i < mean.Length; i++)
            mean[i] /= members.Count;
        return mean;
    }
}

using LstmNative.Training;
using System.Numerics;
using LstmNative.Training.Data;

namespace LstmNative.Forecasting;

/// <summary>
/// A forecasting problem on a standardized series: which columns are inputs, which one is the target, the window
/// and horizon, and the forecast origins of each split. Origin <c>s</c> predicts target rows <c>s … s+horizon−1</c>
/// from input rows <c>s−window … s−1</c>; validation and test windows may reach back into the previous split for
/// context, never forward. Scaling statistics come from the training rows only.
/// </summary>
public sealed class ForecastData
{
    private ForecastData(string source, NumericTable scaled, StandardScaler scaler, int target, int window, int horizon,
        RowRange train, RowRange validation, RowRange test, int scoredTest, string protocol)
        : this(source, scaled, scaler, target, window, horizon, train, validation, test, protocol, channelNames: null,
            trainingColumns: null, Origins(Math.Max(train.Start + window, 0), train.End, horizon), Origins(validation.Start, validation.End, horizon),
            Origins(test.Start, test.End, horizon), scoredTest, scaled.RowCount)
    {
    }

    private ForecastData(string source, NumericTable scaled, StandardScaler scaler, int target, int window, int horizon,
        RowRange train, RowRange validation, RowRange test, string protocol, IReadOnlyList<string>? channelNames,
        IReadOnlyList<string>? trainingColumns, int[] trainOrigins, int[] validationOrigins, int[] testOrigins, int scoredPerChannel,
        int channelRows)
    {
        Source = source;
        Table = scaled;
        Scaler = scaler;
        TargetColumn = target;
        Window = window;
        Horizon = horizon;
        Train = train;
        Validation = validation;
        Test = test;
        Protocol = protocol;
        ChannelNames = channelNames ?? [scaled.Columns[target]];
        TrainingColumns = trainingColumns ?? ChannelNames;
        ChannelRows = channelRows;
        TrainOrigins = trainOrigins;
        ValidationOrigins = validationOrigins;
        TestOrigins = testOrigins;
        // Every channel has the same test origins, so the first scoredPerChannel of each channel's run are scored.
        int perChannel = testOrigins.Length / ChannelNames.Count;
        ScoredTestOrigins = Enumerable.Range(0, ChannelNames.Count)
            .SelectMany(c => testOrigins.AsSpan(c * perChannel, scoredPerChannel).ToArray()).ToArray();
        Target = new double[scaled.RowCount];
        for (int r = 0; r < Target.Length; r++)
            Target[r] = scaled[r, target];
    }

    /// <summary>Where the data came from (file name or <c>built-in</c>).</summary>
    public string Source { get; }

    /// <summary>The input columns, standardized with the training rows' mean and population std.</summary>
    public NumericTable Table { get; }

    /// <summary>The fitted scaler (one feature per column of <see cref="Table"/>).</summary>
    public StandardScaler Scaler { get; }

    /// <summary>Index of the target column in <see cref="Table"/>.</summary>
    public int TargetColumn { get; }

    /// <summary>The standardized target column.</summary>
    public double[] Target { get; }

    /// <summary>Input rows per window.</summary>
    public int Window { get; }

    /// <summary>Rows predicted per window.</summary>
    public int Horizon { get; }

    /// <summary>Rows whose values training windows predict (their inputs lie in it too).</summary>
    public RowRange Train { get; }

    /// <summary>Rows the validation windows predict.</summary>
    public RowRange Validation { get; }

    /// <summary>Rows the test windows predict.</summary>
    public RowRange Test { get; }

    /// <summary><c>ett</c>, <c>ett-long</c> or <c>chronological</c>.</summary>
    public string Protocol { get; }

    /// <summary>Forecast origins of the training windows.</summary>
    public int[] TrainOrigins { get; }

    /// <summary>Forecast origins of the validation windows.</summary>
    public int[] ValidationOrigins { get; }

    /// <summary>Forecast origins of every test window.</summary>
    public int[] TestOrigins { get; }

    /// <summary>The test origins that are scored (all of them, except under the ETT protocol).</summary>
    public int[] ScoredTestOrigins { get; }

    /// <summary>Features per input step.</summary>
    public int Features => Table.ColumnCount;

    /// <summary>
    /// The series forecast: the target column's name, or after <see cref="ChannelIndependent"/> every column's, in the
    /// order their runs are stacked in <see cref="Table"/>.
    /// </summary>
    public IReadOnlyList<string> ChannelNames { get; }

    /// <summary>Number of series forecast (1 unless <see cref="ChannelIndependent"/> stacked several).</summary>
    public int Channels => ChannelNames.Count;

    /// <summary>
    /// The columns by name as a model of this data sees them: every column a channel-independent model forecasts, else
    /// the input columns (what a checkpoint records and a saved model is matched against).
    /// </summary>
    public IReadOnlyList<string> Columns => Channels > 1 ? ChannelNames : Table.Columns;

    /// <summary>
    /// Rows of one column's run in <see cref="Table"/> (the original table's row count); origin <c>s</c> of stacked
    /// data (<see cref="ChannelIndependent"/>, <see cref="TrainedOnEveryColumn"/>) is row <c>s % ChannelRows</c> of
    /// run <c>s / ChannelRows</c>.
    /// </summary>
    public int ChannelRows { get; }

    /// <summary>
    /// The columns whose windows train the forecaster: <see cref="ChannelNames"/>, or after
    /// <see cref="TrainedOnEveryColumn"/> the target and then every other column.
    /// </summary>
    public IReadOnlyList<string> TrainingColumns { get; }

    /// <summary>Whether the training windows come from more columns than are forecast (<see cref="TrainedOnEveryColumn"/>).</summary>
    public bool TrainsOnOtherColumns => TrainingColumns.Count > ChannelNames.Count;

    /// <summary>"trained on the windows of all N columns (…)" when <see cref="TrainsOnOtherColumns"/>, else null: one wording for the report and the console.</summary>
    public string? TrainingColumnsNote => TrainsOnOtherColumns
        ? $"trained on the windows of all {TrainingColumns.Count} columns ({string.Join(", ", TrainingColumns)})"
        : null;

    /// <summary>
    /// Splits chronologically (first <paramref name="trainFraction"/> of the rows for training, the next
    /// <paramref name="validationFraction"/> for validation, the rest for testing) and standardizes with the training rows.
    /// </summary>
    public static ForecastData Chronological(NumericTable table, string source, string target, int window, int horizon,
        double trainFraction = 0.7, double validationFraction = 0.1)
    {
        ArgumentNullException.ThrowIfNull(table);
        CheckSizes(window, horizon);
        int rows = table.RowCount;
        int train = (int)(rows * trainFraction), validation = (int)(rows * validationFraction);
        var trainRange = new RowRange(0, train);
        var validationRange = new RowRange(train, validation);
        var testRange = new RowRange(train + validation, rows - train - validation);
        string what = $"{source} has {rows} rows";
        if (train - window - horizon + 1 < 1)
            throw new DataFormatException($"{what}: the first {trainFraction:P0} ({train} rows) are too few for one training window of {window} + {horizon} rows");
        if (validation < horizon || testRange.Count < horizon)
            throw new DataFormatException($"{what}: the validation ({validation} rows) and test ({testRange.Count} rows) splits must each hold at least one horizon of {horizon} rows");
        int testWindows = testRange.Count - horizon + 1;
        return Build(table, source, target, window, horizon, trainRange, validationRange, testRange, testWindows, "chronological");
    }

    /// <summary>
    /// The ETT protocol (Informer's): train rows 0–8639, validation 8640–11519, test 11520–14399; standardized with the
    /// training rows; of the <c>2881 − horizon</c> test windows the first <c>floor(n / 32) · 32</c> are scored.
    /// </summary>
    public static ForecastData Ett(NumericTable table, string source, string target, int window, int horizon) =>
        EttSplit(table, source, target, window, horizon, 32, "ett");

    /// <summary>
    /// The long-horizon protocol of current papers (PatchTST, DLinear) on ETTh: the split and scaling of <see cref="Ett"/>,
    /// but of the <c>2881 − horizon</c> test windows the first <c>floor(n / 128) · 128</c> are scored (their scripts' test
    /// batch of 128 with <c>drop_last</c>). Horizons 96–720 with look-back 336 or 512 are the published settings.
    /// </summary>
    public static ForecastData EttLongHorizon(NumericTable table, string source, string target, int window, int horizon) =>
        EttSplit(table, source, target, window, horizon, 128, "ett-long", train: EttTrainRows);

    /// <summary>
    /// <see cref="EttLongHorizon"/> moved one period back, for choosing a setting without the test period: train rows
    /// 0–5759, validation 5760–8639, test 8640–11519 (the protocol's validation period), standardized with rows 0–5759,
    /// scored in groups of 128. No row from 11520 on enters a window, so a choice made on this split's test score has
    /// not seen the protocol's test period; it is a second held-out period beside the protocol's validation split.
    /// </summary>
    public static ForecastData EttLongHorizonBacktest(NumericTable table, string source, string target, int window, int horizon) =>
        EttSplit(table, source, target, window, horizon, 128, "ett-long-backtest", train: EttTrainRows - EttBorderRows);

    private const int EttTrainRows = 12 * 30 * 24, EttBorderRows = 4 * 30 * 24;

    private static ForecastData EttSplit(NumericTable table, string source, string target, int window, int horizon, int group, string protocol,
        int train = EttTrainRows)
    {
        ArgumentNullException.ThrowIfNull(table);
        CheckSizes(window, horizon);
        const int Border = EttBorderRows;
        if (table.RowCount < train + 2 * Border)
            throw new DataFormatException($"{source} has {table.RowCount} rows; the {protocol} protocol needs {train + 2 * Border} " +
                $"(train 0–{train - 1}, validation {train}–{train + Border - 1}, test {train + Border}–{train + 2 * Border - 1})");
        if (window > train - horizon || horizon > Border)
            throw new DataFormatException($"window {window} + horizon {horizon} do not fit the {protocol} splits (train {train} rows, validation and test {Border} rows each)");
        int windows = Border - horizon + 1;
        if (windows / group * group < 1)
            throw new DataFormatException($"{source}: horizon {horizon} leaves {windows} test window(s) under the {protocol} protocol, which scores " +
                $"whole groups of {group}; the horizon can be at most {Border - group + 1}");
        return Build(table, source, target, window, horizon, new RowRange(0, train), new RowRange(train, Border),
            new RowRange(train + Border, Border), windows / group * group, protocol);
    }

    /// <summary>
    /// Channel independence (as PatchTST): every column of this data becomes a univariate series of its own, each column's
    /// run of rows stacked after the previous one in a one-column <see cref="Table"/>, with the same splits, origins and
    /// scored windows per column. A univariate forecaster trained on the result shares its weights across the columns;
    /// its forecast for one column sees only that column's history, and the scores (MSE and MAE over every scored window,
    /// lead step and column, on each column's standardized scale) are the papers' multivariate scores. Windows never
    /// straddle two columns: every origin lies at least a window past its column's first row.
    /// </summary>
    public ForecastData ChannelIndependent()
    {
        if (Channels > 1)
            throw new InvalidOperationException("the data is channel-independent already");
        int rows = Table.RowCount, columns = Table.ColumnCount;
        var stacked = new double[rows * columns];
        for (int c = 0; c < columns; c++)
            for (int r = 0; r < rows; r++)
                stacked[c * rows + r] = Table[r, c];
        int[] Repeat(int[] origins) => Enumerable.Range(0, columns).SelectMany(c => origins.Select(s => c * rows + s)).ToArray();
        return new ForecastData(Source, new NumericTable(["all columns"], stacked), Scaler, 0, Window, Horizon, Train, Validation, Test,
            Protocol, Table.Columns, trainingColumns: null, Repeat(TrainOrigins), Repeat(ValidationOrigins), Repeat(TestOrigins),
            ScoredTestOrigins.Length, rows);
    }

    /// <summary>
    /// A univariate forecast of the target trained on the windows of every column: the target column alone is the
    /// input, forecast, validated and scored, as in the univariate setting, but the training windows are those of
    /// every column, each standardized with its own training statistics and stacked as in <see cref="ChannelIndependent"/>
    /// (the target's run first, so validation and test origins are the target's own). It is the channel-independent
    /// model's way of learning, with the penalty, epoch and scores chosen and measured on the target only; the
    /// forecast still sees the target's history alone. Needs the data built with every column loaded.
    /// </summary>
    public ForecastData TrainedOnEveryColumn()
    {
        if (Channels > 1)
            throw new InvalidOperationException("channel-independent data trains on every column already");
        int rows = Table.RowCount, columns = Table.ColumnCount;
        if (columns < 2)
            throw new InvalidOperationException($"the data holds only the column '{Table.Columns[TargetColumn]}'; build it with every column loaded");
        int[] order = [TargetColumn, .. Enumerable.Range(0, columns).Where(c => c != TargetColumn)];
        var stacked = new double[rows * columns];
        for (int k = 0; k < columns; k++)
            for (int r = 0; r < rows; r++)
                stacked[k * rows + r] = Table[r, order[k]];
        int[] trainOrigins = Enumerable.Range(0, columns).SelectMany(k => TrainOrigins.Select(s => k * rows + s)).ToArray();
        string target = Table.Columns[TargetColumn];
        return new ForecastData(Source, new NumericTable([target], stacked), Scaler.Select(TargetColumn), 0, Window, Horizon,
            Train, Validation, Test, Protocol, channelNames: null, order.Select(c => Table.Columns[c]).ToArray(), trainOrigins,
            ValidationOrigins, TestOrigins, ScoredTestOrigins.Length, rows);
    }

    /// <summary>Copies the windows at <paramref name="origins"/> into <paramref name="inputs"/> <c>[B, window, F]</c> and <paramref name="targets"/> <c>[B, horizon]</c>.</summary>
    public void Fill<T>(ReadOnlySpan<int> origins, Tensor<T> inputs, Tensor<T>? targets) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(inputs);
        int b = origins.Length, f = Features;
        if (!inputs.HasShape([b, Window, f]) || (targets is not null && !targets.HasShape([b, Horizon])))
            throw new ArgumentException($"buffers {inputs} and {targets} do not fit {b} windows");
        var data = Table.Data;
        for (int n = 0; n < b; n++)
        {
            int s = origins[n];
            var x = inputs.Data.AsSpan(n * Window * f, Window * f);
            var rows = data.AsSpan((s - Window) * f, Window * f);
            for (int i = 0; i < x.Length; i++)
                x[i] = T.CreateChecked(rows[i]);
            if (targets is not null)
                for (int h = 0; h < Horizon; h++)
                    targets.Data[n * Horizon + h] = T.CreateChecked(Target[s + h]);
        }
    }

    /// <summary>The true standardized targets of <paramref name="origins"/>, <c>[n, horizon]</c> row-major.</summary>
    public double[] Actuals(ReadOnlySpan<int> origins)
    {
        var result = new double[origins.Length * Horizon];
        for (int n = 0; n < origins.Length; n++)
            Target.AsSpan(origins[n], Horizon).CopyTo(result.AsSpan(n * Horizon, Horizon));
        return result;
    }

    /// <summary>
    /// Standardized target values back in the data's units. Channel-independent data (<see cref="Channels"/> &gt; 1)
    /// mixes columns of different units, so its values stay on the standardized scale.
    /// </summary>
    public double[] Unscale(ReadOnlySpan<double> values)
    {
        var result = values.ToArray();
        if (Channels > 1)
            return result;
        Scaler.InverseTransformFeature(result, TargetColumn);
        return result;
    }

    private static ForecastData Build(NumericTable table, string source, string target, int window, int horizon,
        RowRange train, RowRange validation, RowRange test, int scoredTest, string protocol)
    {
        int targetIndex = Array.IndexOf(table.Columns.ToArray(), target);
        if (targetIndex < 0)
            throw new DataFormatException(source, 0, target, $"no such column; the columns are: {string.Join(", ", table.Columns)}");
        var scaler = new StandardScaler();
        scaler.Fit(table.SliceRows(train));
        for (int c = 0; c < table.ColumnCount; c++)
            if (!double.IsFinite(scaler.Mean[c]) || !double.IsFinite(scaler.StandardDeviation[c]))
                throw new DataFormatException($"{source}, column '{table.Columns[c]}': " +
                    "values too large to standardize (their mean or standard deviation overflows a double); rescale the column");
        var scaled = scaler.Transform(table);
        foreach (double v in scaled.Data)
            if (!double.IsFinite(v))
                throw new DataFormatException($"{source}: values outside the training rows' range overflow when standardized; rescale the data");
        return new ForecastData(source, scaled, scaler, targetIndex, window, horizon, train, validation, test, scoredTest, protocol);
    }

    private static int[] Origins(int first, int end, int horizon)
    {
        int last = end - horizon;
        return last < first ? [] : Enumerable.Range(first, last - first + 1).ToArray();
    }

    private static void CheckSizes(int window, int horizon)
    {
        if (window < 1 || horizon < 1)
            throw new ArgumentException($"window and horizon must be positive, got {window} and {horizon}");
    }
}

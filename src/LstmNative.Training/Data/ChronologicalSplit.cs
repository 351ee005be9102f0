namespace LstmNative.Training.Data;

/// <summary>A contiguous range of rows.</summary>
/// <param name="Start">First row.</param>
/// <param name="Count">Number of rows.</param>
public readonly record struct RowRange(int Start, int Count)
{
    /// <summary>One past the last row.</summary>
    public int End => Start + Count;
}

/// <summary>Train, validation and test row ranges, in time order.</summary>
/// <param name="Train">The earliest rows.</param>
/// <param name="Validation">The rows after them (possibly preceded by context rows, see <see cref="ChronologicalSplit"/>).</param>
/// <param name="Test">The latest rows (likewise).</param>
public sealed record DataSplit(RowRange Train, RowRange Validation, RowRange Test);

/// <summary>
/// Chronological splitting for time series: no shuffling across the boundaries, so the model is always evaluated on
/// data later than anything it trained on (a shuffled split leaks the future into training).
/// </summary>
public static class ChronologicalSplit
{
    /// <summary>
    /// Splits <paramref name="rows"/> rows: the first <c>floor(rows * trainFraction)</c> for training, the next
    /// <c>floor(rows * validationFraction)</c> for validation, the rest for testing. With <paramref name="contextRows"/>
    /// &gt; 0 the validation and test ranges also include that many rows before them (set it to the window length so
    /// their first windows have history); those rows serve as inputs only when window == contextRows.
    /// </summary>
    public static DataSplit Split(int rows, double trainFraction, double validationFraction, int contextRows = 0)
    {
        if (rows < 0 || contextRows < 0)
            throw new ArgumentException("rows and context rows must be non-negative");
        if (!(trainFraction > 0) || !(validationFraction >= 0) || trainFraction + validationFraction > 1)
            throw new ArgumentException($"fractions must satisfy train > 0, validation >= 0 and train + validation <= 1, got {trainFraction} and {validationFraction}");
        int train = (int)Math.Floor(rows * trainFraction);
        int validation = (int)Math.Floor(rows * validationFraction);
        int test = rows - train - validation;
        int valStart = Math.Max(0, train - contextRows);
        int testStart = Math.Max(0, train + validation - contextRows);
        return new DataSplit(
            new RowRange(0, train),
            new RowRange(valStart, train + validation - valStart),
            new RowRange(testStart, train + validation + test - testStart));
    }

    /// <summary>Splits a table's rows as <see cref="Split(int, double, double, int)"/> does, returning copies.</summary>
    public static (NumericTable Train, NumericTable Validation, NumericTable Test) Split(NumericTable table, double trainFraction, double validationFraction, int contextRows = 0)
    {
        ArgumentNullException.ThrowIfNull(table);
        var s = Split(table.RowCount, trainFraction, validationFraction, contextRows);
        return (table.SliceRows(s.Train), table.SliceRows(s.Validation), table.SliceRows(s.Test));
    }
}

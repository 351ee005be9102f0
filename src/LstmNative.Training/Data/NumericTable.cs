namespace LstmNative.Training.Data;

/// <summary>
/// A table of doubles with named columns, row-major: rows are time steps, columns are features. The exchange type
/// between CSV loading, splitting, scaling and windowing.
/// </summary>
public sealed class NumericTable
{
    private readonly string[] _columns;

    /// <summary>Wraps row-major data (not copied) of <c>data.Length / columns.Count</c> rows.</summary>
    public NumericTable(IReadOnlyList<string> columns, double[] data)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(data);
        if (columns.Count == 0)
            throw new ArgumentException("a table needs at least one column");
        if (data.Length % columns.Count != 0)
            throw new ArgumentException($"{data.Length} values do not fill rows of {columns.Count} columns");
        _columns = columns.ToArray();
        Data = data;
    }

    /// <summary>Column names, in order.</summary>
    public IReadOnlyList<string> Columns => _columns;

    /// <summary>Number of columns (features).</summary>
    public int ColumnCount => _columns.Length;

    /// <summary>Number of rows (time steps).</summary>
    public int RowCount => Data.Length / _columns.Length;

    /// <summary>The values, row-major <c>[RowCount, ColumnCount]</c>.</summary>
    public double[] Data { get; }

    /// <summary>One value.</summary>
    public double this[int row, int column]
    {
        get => Data[row * ColumnCount + column];
        set => Data[row * ColumnCount + column] = value;
    }

    /// <summary>The index of a column; throws naming the available columns when absent.</summary>
    public int ColumnIndex(string name)
    {
        int index = Array.IndexOf(_columns, name);
        return index >= 0 ? index : throw new ArgumentException($"no column '{name}'; columns are: {string.Join(", ", _columns)}");
    }

    /// <summary>A copy of one column.</summary>
    public double[] Column(int column)
    {
        if ((uint)column >= (uint)ColumnCount)
            throw new ArgumentOutOfRangeException(nameof(column));
        var values = new double[RowCount];
        for (int r = 0; r < values.Length; r++)
            values[r] = Data[r * ColumnCount + column];
        return values;
    }

    /// <summary>A copy of rows <c>[start, start + count)</c>.</summary>
    public NumericTable SliceRows(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > RowCount)
            throw new ArgumentOutOfRangeException(nameof(count), $"rows [{start}, {start + count}) are outside the table's {RowCount} rows");
        return new NumericTable(_columns, Data.AsSpan(start * ColumnCount, count * ColumnCount).ToArray());
    }

    /// <summary>A copy of rows in <paramref name="range"/>.</summary>
    public NumericTable SliceRows(RowRange range) => SliceRows(range.Start, range.Count);

    /// <summary>A copy holding only the named columns, in the order given.</summary>
    public NumericTable SelectColumns(params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var indices = names.Select(ColumnIndex).ToArray();
        var data = new double[RowCount * indices.Length];
        for (int r = 0; r < RowCount; r++)
            for (int c = 0; c < indices.Length; c++)
                data[r * indices.Length + c] = Data[r * ColumnCount + indices[c]];
        return new NumericTable(names, data);
    }
}

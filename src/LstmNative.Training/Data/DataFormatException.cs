namespace LstmNative.Training.Data;

/// <summary>
/// Bad input data, reported in one line that names the source, the row and the column, e.g.
/// <c>prices.csv, row 5 (line 6), column 'close': 'abc' is not a number</c>.
/// Rows count data records from 1; lines count records from 1 with the header as line 1.
/// </summary>
public sealed class DataFormatException : Exception
{
    /// <summary>Creates the exception with a full message.</summary>
    public DataFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public DataFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception without a message.</summary>
    public DataFormatException()
    {
    }

    /// <summary>Creates the exception for a cell (<paramref name="row"/> 0: the header) and builds the one-line message.</summary>
    public DataFormatException(string source, int row, string? column, string problem, Exception? innerException = null)
        : base(Format(source, row, column, problem), innerException)
    {
        SourceName = source;
        Row = row;
        Column = column;
    }

    /// <summary>The file name or label of the data.</summary>
    public string? SourceName { get; }

    /// <summary>1-based data row, or 0 for the header.</summary>
    public int Row { get; }

    /// <summary>The column involved, when there is one.</summary>
    public string? Column { get; }

    private static string Format(string source, int row, string? column, string problem)
    {
        string where = row == 0 ? $"{source}, header (line 1)" : $"{source}, row {row} (line {row + 1})";
        return column is null ? $"{where}: {problem}" : $"{where}, column '{column}': {problem}";
    }
}

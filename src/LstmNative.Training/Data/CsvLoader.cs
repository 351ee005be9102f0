using System.Globalization;
using Sylvan.Data.Csv;

namespace LstmNative.Training.Data;

/// <summary>
/// Loads numeric columns of a CSV file with a header row (Sylvan.Data.Csv) into a <see cref="NumericTable"/>.
/// Numbers are parsed with the invariant culture (<c>1234.5</c>, <c>1e-3</c>); an empty, non-numeric, NaN or
/// infinite cell, a short row or a missing column throws a <see cref="DataFormatException"/> naming row and column.
/// </summary>
public static class CsvLoader
{
    /// <summary>Loads a file; <paramref name="columns"/> picks and orders columns by header name (null: all).</summary>
    public static NumericTable Load(string path, IReadOnlyList<string>? columns = null, char? delimiter = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var reader = new StreamReader(path);
        return Load(reader, Path.GetFileName(path), columns, delimiter);
    }

    /// <summary>Loads from a reader; <paramref name="sourceName"/> labels error messages.</summary>
    public static NumericTable Load(TextReader reader, string sourceName, IReadOnlyList<string>? columns = null, char? delimiter = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var options = new CsvDataReaderOptions { HasHeaders = true };
        if (delimiter is { } d)
            options.Delimiter = d;
        CsvDataReader csv;
        try
        {
            csv = CsvDataReader.Create(reader, options);
        }
        catch (CsvMissingHeadersException ex)
        {
            throw new DataFormatException(sourceName, 0, null, "no header row", ex);
        }
        catch (CsvFormatException ex)
        {
            throw new DataFormatException(sourceName, 0, null, $"malformed CSV: {ex.Message}", ex);
        }
        using (csv)
            return Read(csv, sourceName, columns);
    }

    private static NumericTable Read(CsvDataReader csv, string sourceName, IReadOnlyList<string>? columns)
    {
        var header = Enumerable.Range(0, csv.FieldCount).Select(csv.GetName).ToArray();
        if (header.Length == 0 || (header.Length == 1 && header[0].Length == 0))
            throw new DataFormatException(sourceName, 0, null, "no header row");
        string[] names = columns?.ToArray() ?? header;
        if (names.Length == 0)
            throw new ArgumentException("select at least one column");
        var ordinals = new int[names.Length];
        for (int c = 0; c < names.Length; c++)
        {
            ordinals[c] = Array.IndexOf(header, names[c]);
            if (ordinals[c] < 0)
                throw new DataFormatException(sourceName, 0, names[c], $"no such column; the header has: {string.Join(", ", header)}");
        }

        var data = new List<double>();
        int row = 0;
        while (NextRecord(csv, sourceName, row + 1))
        {
            row++;
            for (int c = 0; c < names.Length; c++)
            {
                if (ordinals[c] >= csv.RowFieldCount)
                    throw new DataFormatException(sourceName, row, names[c], $"missing cell (the row has {csv.RowFieldCount} fields, the header {header.Length})");
                var cell = csv.GetFieldSpan(ordinals[c]);
                data.Add(Parse(cell, sourceName, row, names[c]));
            }
        }
        return new NumericTable(names, data.ToArray());
    }

    private static bool NextRecord(CsvDataReader csv, string sourceName, int row)
    {
        try
        {
            return csv.Read();
        }
        catch (CsvFormatException ex)
        {
            throw new DataFormatException(sourceName, row, null, $"malformed CSV: {ex.Message}", ex);
        }
    }

    private static double Parse(ReadOnlySpan<char> cell, string source, int row, string column)
    {
        var text = cell.Trim();
        if (text.IsEmpty)
            throw new DataFormatException(source, row, column, "empty cell");
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            throw new DataFormatException(source, row, column, $"'{text.ToString()}' is not a number");
        if (double.IsNaN(value))
            throw new DataFormatException(source, row, column, $"'{text.ToString()}' is NaN; fill or drop missing values first");
        if (double.IsInfinity(value))
            throw new DataFormatException(source, row, column, $"'{text.ToString()}' is infinite");
        return value;
    }
}

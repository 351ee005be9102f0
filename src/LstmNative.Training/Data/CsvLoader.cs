using System.Globalization;
using Sylvan.Data.Csv;

namespace LstmNative.Training.Data;

/// <summary>
/// Loads numeric columns of a CSV file with a header row (Sylvan.Data.Csv) into a <see cref="NumericTable"/>.
/// Numbers are parsed with the invariant culture (<c>1234.5</c>, <c>1e-3</c>); an empty, non-numeric, NaN or
/// infinite cell, a row with more or fewer fields than the header, a missing column, a column name the header holds
/// twice or leaves empty, or a record longer than <see cref="MaxRecordLength"/> throws a <see cref="DataFormatException"/>
/// naming row and column.
/// </summary>
public static class CsvLoader
{
    /// <summary>The longest record (line) read, in characters: the reader's buffer, which a record must fit.</summary>
    public const int MaxRecordLength = 16383;

    /// <summary>Loads a file; <paramref name="columns"/> picks and orders columns by header name (null: all).</summary>
    /// <exception cref="IOException"><paramref name="path"/> is a folder.</exception>
    public static NumericTable Load(string path, IReadOnlyList<string>? columns = null, char? delimiter = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // Opening a folder would fail as "access denied", which sends the user looking at permissions.
        if (Directory.Exists(path))
            throw new IOException($"{path} is a folder, not a CSV file");
        using var reader = new StreamReader(path);
        return Load(reader, Path.GetFileName(path), columns, delimiter);
    }

    /// <summary>Loads from a reader; <paramref name="sourceName"/> labels error messages.</summary>
    public static NumericTable Load(TextReader reader, string sourceName, IReadOnlyList<string>? columns = null, char? delimiter = null)
    {
        using var csv = Open(reader, sourceName, delimiter);
        return Read(csv, sourceName, columns);
    }

    /// <summary>
    /// Opens <paramref name="reader"/> as <see cref="Load(TextReader, string, IReadOnlyList{string}?, char?)"/> does, for
    /// callers that read cells themselves: read records with <see cref="ReadRecord"/>, so that malformed input is
    /// reported the same way (a <see cref="DataFormatException"/> naming <paramref name="sourceName"/> and the row).
    /// </summary>
    public static CsvDataReader Open(TextReader reader, string sourceName, char? delimiter = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(sourceName);
        // The buffer a record must fit is set here, not left to Sylvan's default, so that the message can name it.
        var options = new CsvDataReaderOptions { HasHeaders = true, BufferSize = MaxRecordLength + 1 };
        if (delimiter is { } d)
            options.Delimiter = d;
        try
        {
            return CsvDataReader.Create(reader, options);
        }
        catch (CsvMissingHeadersException ex)
        {
            throw new DataFormatException(sourceName, 0, null, "no header row", ex);
        }
        catch (CsvFormatException ex)
        {
            // Sylvan reads ahead into the first record here, so the fault may be there rather than in the header.
            throw Malformed(ex, sourceName);
        }
    }

    /// <summary>Advances <paramref name="csv"/> (from <see cref="Open"/>) to its next record; false at the end.</summary>
    public static bool ReadRecord(CsvDataReader csv, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(csv);
        try
        {
            return csv.Read();
        }
        catch (CsvFormatException ex)
        {
            throw Malformed(ex, sourceName);
        }
    }

    // Sylvan counts data records from 1 (the header is 0), as DataFormatException does; its own advice for an
    // oversized record names a setting the user of this library cannot reach.
    private static DataFormatException Malformed(CsvFormatException ex, string sourceName) => ex is CsvRecordTooLargeException
        ? new DataFormatException(sourceName, ex.RowNumber, null,
            $"the record is longer than {MaxRecordLength} characters, the most a row may hold", ex)
        : new DataFormatException(sourceName, ex.RowNumber, null, $"malformed CSV: {ex.Message}", ex);

    private static NumericTable Read(CsvDataReader csv, string sourceName, IReadOnlyList<string>? columns)
    {
        var header = Enumerable.Range(0, csv.FieldCount).Select(csv.GetName).ToArray();
        if (header.Length == 0 || (header.Length == 1 && header[0].Length == 0))
            throw new DataFormatException(sourceName, 0, null, "no header row");
        string[] names = columns?.ToArray() ?? header;
        if (names.Length == 0)
            throw new ArgumentException("select at least one column");
        var ordinals = names.Select(name => Ordinal(header, name, sourceName)).ToArray();

        var data = new List<double>();
        int row = 0;
        while (ReadRecord(csv, sourceName))
        {
            row++;
            // A missing or extra cell shifts every cell after it into the wrong column, so the row cannot be trusted.
            if (csv.RowFieldCount != header.Length)
                throw new DataFormatException(sourceName, row, null,
                    $"{(csv.RowFieldCount < header.Length ? "missing" : "extra")} cells: the row has {csv.RowFieldCount} fields, the header {header.Length}");
            for (int c = 0; c < names.Length; c++)
            {
                var cell = csv.GetFieldSpan(ordinals[c]);
                data.Add(Parse(cell, sourceName, row, names[c]));
            }
        }
        return new NumericTable(names, data.ToArray());
    }

    // A column is picked by name, so a name the header holds twice is ambiguous (the first match would silently be
    // read), and an unnamed column (such as a pandas index) cannot be told apart from another.
    private static int Ordinal(string[] header, string name, string sourceName)
    {
        int first = Array.IndexOf(header, name);
        if (first < 0)
            throw new DataFormatException(sourceName, 0, name, $"no such column; the header has: {string.Join(", ", header)}");
        if (name.Length == 0)
            throw new DataFormatException(sourceName, 0, null, $"column {first + 1} has no name; name it or remove it");
        int second = Array.IndexOf(header, name, first + 1);
        if (second >= 0)
            throw new DataFormatException(sourceName, 0, name, $"two columns have this name, columns {first + 1} and {second + 1}; rename one");
        return first;
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

using System.Globalization;
using LstmNative.Training.Data;

namespace LstmNative.Forecasting;

/// <summary>Loads the series a forecasting run works on: a CSV file's columns, or the built-in synthetic load.</summary>
public static class ForecastDataSource
{
    /// <summary>
    /// Loads the target column, and with <paramref name="allFeatures"/> every other numeric column too (a leading
    /// timestamp column such as ETT's <c>date</c>, recognised by its first cell parsing as a date, is skipped). The
    /// columns keep their file order. Bad cells throw <see cref="DataFormatException"/> naming row and column.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="IOException"><paramref name="path"/> is a folder.</exception>
    public static NumericTable LoadCsv(string path, string target, bool allFeatures)
    {
        RequireFile(path);
        ArgumentException.ThrowIfNullOrEmpty(target);
        if (!allFeatures)
            return CsvLoader.Load(path, [target]);
        var columns = NumericColumns(path);
        if (!columns.Contains(target))
            columns.Add(target); // let the loader report the missing or non-numeric target with its row
        return CsvLoader.Load(path, columns);
    }

    /// <summary>
    /// The columns <see cref="LoadCsv"/> loads with all features: every column but a leading timestamp, in file order
    /// (judged by the first data row; the loader checks every row).
    /// </summary>
    public static IReadOnlyList<string> NumericColumnNames(string path)
    {
        RequireFile(path);
        return NumericColumns(path);
    }

    /// <summary>
    /// The times of the <paramref name="count"/> rows after the file's last, when it has a timestamp column (the first
    /// whose first cell parses as a date and not as a number) and its last two rows are spaced by a positive step:
    /// that step repeated, formatted <c>yyyy-MM-dd HH:mm:ss</c>. Null otherwise (no such column, unparsable or
    /// unordered last rows) — the caller then numbers the rows instead.
    /// </summary>
    public static string[]? FollowingTimestamps(string path, int count)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        using var reader = new StreamReader(path);
        using var csv = CsvLoader.Open(reader, Path.GetFileName(path));
        int column = -1;
        DateTime previous = default, last = default;
        int rows = 0;
        while (CsvLoader.ReadRecord(csv, Path.GetFileName(path)))
        {
            if (column < 0)
            {
                for (int c = 0; c < csv.RowFieldCount && column < 0; c++)
                    if (ParsesAsTimestamp(csv.GetString(c)))
                        column = c;
                if (column < 0)
                    return null;
            }
            if (column >= csv.RowFieldCount || !DateTime.TryParse(csv.GetString(column).Trim(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
                return null;
            (previous, last) = (last, time);
            rows++;
        }
        var step = last - previous;
        if (rows < 2 || step <= TimeSpan.Zero)
            return null;
        try
        {
            return [.. Enumerable.Range(1, count).Select(k => (last + k * step).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))];
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or OverflowException)
        {
            return null; // past the last representable date
        }
    }

    private static bool ParsesAsTimestamp(string cell)
    {
        cell = cell.Trim();
        return !double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
               && DateTime.TryParse(cell, CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
    }

    private static void RequireFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // A folder is no missing file: saying "not found" would send the user looking for a typo.
        if (Directory.Exists(path))
            throw new IOException($"{path} is a folder, not a CSV file");
        if (!File.Exists(path))
            throw new FileNotFoundException($"CSV file not found: {path}", path);
    }

    private static List<string> NumericColumns(string path)
    {
        using var reader = new StreamReader(path);
        using var csv = CsvLoader.Open(reader, Path.GetFileName(path));
        var names = Enumerable.Range(0, csv.FieldCount).Select(csv.GetName).ToList();
        if (!CsvLoader.ReadRecord(csv, Path.GetFileName(path)))
            return names;
        var keep = new List<string>();
        for (int c = 0; c < names.Count; c++)
        {
            if (!(c < csv.RowFieldCount && ParsesAsTimestamp(csv.GetString(c))))
                keep.Add(names[c]);
        }
        return keep;
    }
}

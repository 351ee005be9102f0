using System.Globalization;
using LstmNative.Training.Data;
using Sylvan.Data.Csv;

namespace LstmNative.Forecasting;

/// <summary>Loads the series a forecasting run works on: a CSV file's columns, or the built-in synthetic load.</summary>
public static class ForecastDataSource
{
    /// <summary>
    /// Loads the target column, and with <paramref name="allFeatures"/> every other numeric column too (a leading
    /// timestamp column such as ETT's <c>date</c>, recognised by its first cell parsing as a date, is skipped). The
    /// columns keep their file order. Bad cells throw <see cref="DataFormatException"/> naming row and column.
    /// </summary>
    public static NumericTable LoadCsv(string path, string target, bool allFeatures)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(target);
        if (!File.Exists(path))
            throw new FileNotFoundException($"CSV file not found: {path}", path);
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
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"CSV file not found: {path}", path);
        return NumericColumns(path);
    }

    private static List<string> NumericColumns(string path)
    {
        using var reader = new StreamReader(path);
        CsvDataReader created;
        try
        {
            created = CsvDataReader.Create(reader, new CsvDataReaderOptions { HasHeaders = true });
        }
        catch (CsvMissingHeadersException ex)
        {
            throw new DataFormatException(Path.GetFileName(path), 0, null, "no header row", ex);
        }
        catch (CsvFormatException ex)
        {
            throw new DataFormatException(Path.GetFileName(path), 0, null, $"malformed CSV: {ex.Message}", ex);
        }
        using var csv = created;
        var names = Enumerable.Range(0, csv.FieldCount).Select(csv.GetName).ToList();
        if (!csv.Read())
            return names;
        var keep = new List<string>();
        for (int c = 0; c < names.Count; c++)
        {
            string cell = c < csv.RowFieldCount ? csv.GetString(c).Trim() : "";
            bool number = double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
            bool timestamp = !number && DateTime.TryParse(cell, CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
            if (!timestamp)
                keep.Add(names[c]);
        }
        return keep;
    }
}

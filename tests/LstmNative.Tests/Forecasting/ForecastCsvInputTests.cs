using LstmNative.Forecasting;
using LstmNative.Training.Data;
using NUnit.Framework;

namespace LstmNative.Tests.Forecasting;

/// <summary>
/// The CSV a forecast or predict run reads: input that would be read into the wrong column, or that the reader cannot
/// hold, is refused in one line naming the file, the line and what is wrong.
/// </summary>
public sealed class ForecastCsvInputTests
{
    private DirectoryInfo _dir = null!;

    [SetUp]
    public void CreateFolder() => _dir = Directory.CreateTempSubdirectory("lstmnative-csv-");

    [TearDown]
    public void DeleteFolder() => _dir.Delete(recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Refusal(TestDelegate load)
    {
        string message = Assert.Throws<DataFormatException>(load)!.Message;
        Assert.That(message, Does.Not.Contain('\n'));
        return message;
    }

    [Test]
    public void ANameTheHeaderHoldsTwiceIsRefusedNamingBothColumns()
    {
        // ETTh1 with HUFL renamed OT: the first "OT" is HUFL's data.
        string path = Write("dup.csv", "date,OT,HULL,OT\n2016-07-01 00:00:00,5.8,2.0,30.5\n2016-07-01 01:00:00,5.7,2.1,27.8\n");
        const string Expected = "dup.csv, header (line 1), column 'OT': two columns have this name, columns 2 and 4; rename one";
        Assert.That(Refusal(() => ForecastDataSource.LoadCsv(path, "OT", allFeatures: false)), Is.EqualTo(Expected));
        Assert.That(Refusal(() => ForecastDataSource.LoadCsv(path, "HULL", allFeatures: true)), Is.EqualTo(Expected), "every column is loaded");
        Assert.That(Refusal(() => CsvLoader.Load(path, ["OT"])), Is.EqualTo(Expected), "predict's reader");
        Assert.That(ForecastDataSource.LoadCsv(path, "HULL", allFeatures: false).Column(0), Is.EqualTo(new[] { 2.0, 2.1 }),
            "a column named once is unambiguous");
    }

    [Test]
    public void AnUnnamedColumnIsRefusedWhenItWouldBeLoaded()
    {
        // A pandas index column has an empty name.
        string path = Write("index.csv", ",a,OT\n0,1,2\n1,3,4\n");
        Assert.That(Refusal(() => ForecastDataSource.LoadCsv(path, "OT", allFeatures: true)),
            Is.EqualTo("index.csv, header (line 1): column 1 has no name; name it or remove it"));
        Assert.That(ForecastDataSource.LoadCsv(path, "OT", allFeatures: false).Column(0), Is.EqualTo(new[] { 2.0, 4.0 }));
    }

    [Test]
    public void ARowWithMoreOrFewerFieldsThanTheHeaderIsRefused()
    {
        string longer = Write("long.csv", "a,OT\n1,2\n3,4,5\n6,7\n");
        Assert.That(Refusal(() => ForecastDataSource.LoadCsv(longer, "OT", allFeatures: false)),
            Is.EqualTo("long.csv, row 2 (line 3): extra cells: the row has 3 fields, the header 2"));
        // The target's cell is there, but a missing cell before it may have shifted it.
        string shorter = Write("short.csv", "a,OT,b\n1,2,3\n4,5\n");
        Assert.That(Refusal(() => ForecastDataSource.LoadCsv(shorter, "OT", allFeatures: false)),
            Is.EqualTo("short.csv, row 2 (line 3): missing cells: the row has 2 fields, the header 3"));
    }

    [Test]
    public void ARecordTooLongToReadNamesTheFileItsLineAndTheLimit()
    {
        // Within the limit: one number padded with spaces to the longest record read.
        string atLimit = Write("at.csv", "OT\n1" + new string(' ', CsvLoader.MaxRecordLength - 1) + "\n");
        Assert.That(ForecastDataSource.LoadCsv(atLimit, "OT", allFeatures: false).Column(0), Is.EqualTo(new[] { 1.0 }));

        string first = Write("first.csv", "date,OT\n2016-01-01," + new string('9', 100_000) + "\n");
        const string Expected = "first.csv, row 1 (line 2): the record is longer than 16383 characters, the most a row may hold";
        Assert.That(Refusal(() => ForecastDataSource.LoadCsv(first, "OT", allFeatures: false)), Is.EqualTo(Expected));
        Assert.That(Refusal(() => ForecastDataSource.NumericColumnNames(first)), Is.EqualTo(Expected), "--features all reads the first row");
        string later = Write("later.csv", "OT\n1\n2\n" + new string('9', CsvLoader.MaxRecordLength + 1) + "\n");
        Assert.That(Refusal(() => ForecastDataSource.LoadCsv(later, "OT", allFeatures: false)), Does.StartWith("later.csv, row 3 (line 4): the record is longer"));
    }

    [Test]
    public void AFolderIsSaidToBeAFolder()
    {
        string folder = _dir.CreateSubdirectory("data.csv").FullName;
        foreach (var load in new TestDelegate[]
        {
            () => ForecastDataSource.LoadCsv(folder, "OT", allFeatures: false),
            () => ForecastDataSource.NumericColumnNames(folder),
            () => CsvLoader.Load(folder, ["OT"]),
        })
        {
            var e = Assert.Throws<IOException>(load)!;
            Assert.That(e, Is.Not.InstanceOf<FileNotFoundException>());
            Assert.That(e.Message, Is.EqualTo($"{folder} is a folder, not a CSV file"));
        }
    }
}

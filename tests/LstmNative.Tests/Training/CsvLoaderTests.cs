using LstmNative.Training.Data;
using NUnit.Framework;

namespace LstmNative.Tests.Training;

public class CsvLoaderTests
{
    private static NumericTable Load(string csv, IReadOnlyList<string>? columns = null, char? delimiter = null) =>
        CsvLoader.Load(new StringReader(csv), "data.csv", columns, delimiter);

    private static DataFormatException Fails(string csv, IReadOnlyList<string>? columns = null, char? delimiter = null) =>
        Assert.Throws<DataFormatException>(() => Load(csv, columns, delimiter))!;

    [Test]
    public void LoadsChosenColumnsInTheGivenOrderWithInvariantNumbers()
    {
        var table = Load("date,temp,load\n2024-01-01,1.5,1e3\n2024-01-02, -2.25 ,\"7\"\n", ["load", "temp"]);
        Assert.Multiple(() =>
        {
            Assert.That(table.Columns, Is.EqualTo(new[] { "load", "temp" }));
            Assert.That(table.RowCount, Is.EqualTo(2));
            Assert.That(table.Data, Is.EqualTo(new[] { 1000.0, 1.5, 7.0, -2.25 }));
        });
    }

    [Test]
    public void LoadsAllColumnsAndOtherDelimiters()
    {
        var table = Load("a;b\n1;2\n3;4\n", delimiter: ';');
        Assert.That(table.Data, Is.EqualTo(new[] { 1.0, 2, 3, 4 }));
    }

    [Test]
    public void LoadsFromAFileNamingItInErrors()
    {
        string path = Path.Combine(Path.GetTempPath(), $"lstmnative-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, "x,y\n1,2\n3,oops\n");
        try
        {
            var ex = Assert.Throws<DataFormatException>(() => CsvLoader.Load(path));
            Assert.That(ex!.Message, Is.EqualTo($"{Path.GetFileName(path)}, row 2 (line 3), column 'y': 'oops' is not a number"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void MissingColumnNamesTheColumnAndTheHeader()
    {
        var ex = Fails("a,b\n1,2\n", ["a", "c"]);
        Assert.Multiple(() =>
        {
            Assert.That(ex.Message, Is.EqualTo("data.csv, header (line 1), column 'c': no such column; the header has: a, b"));
            Assert.That(ex.Row, Is.Zero);
            Assert.That(ex.Column, Is.EqualTo("c"));
        });
    }

    [Test]
    public void NonNumericCellNamesRowAndColumn()
    {
        var ex = Fails("a,b\n1,2\n3,4\n5,x\n");
        Assert.That(ex.Message, Is.EqualTo("data.csv, row 3 (line 4), column 'b': 'x' is not a number"));
        // A decimal comma is not a number in the invariant culture.
        var comma = Fails("a;b\n1;2,5\n", delimiter: ';');
        Assert.Multiple(() =>
        {
            Assert.That(comma.Message, Is.EqualTo("data.csv, row 1 (line 2), column 'b': '2,5' is not a number"));
            Assert.That(comma.Row, Is.EqualTo(1));
            Assert.That(comma.Column, Is.EqualTo("b"));
        });
    }

    [TestCase("a,b\n1,2\n3,NaN\n", "data.csv, row 2 (line 3), column 'b': 'NaN' is NaN; fill or drop missing values first")]
    [TestCase("a,b\n1,2\n,4\n", "data.csv, row 2 (line 3), column 'a': empty cell")]
    [TestCase("a,b\n1,2\n3\n", "data.csv, row 2 (line 3): missing cells: the row has 1 fields, the header 2")]
    [TestCase("a,b\n1,Infinity\n", "data.csv, row 1 (line 2), column 'b': 'Infinity' is infinite")]
    [TestCase("a,b\n1,1e999\n", "data.csv, row 1 (line 2), column 'b': '1e999' is infinite")]
    public void BadCellsGiveOneClearLine(string csv, string message)
    {
        var ex = Fails(csv);
        Assert.That(ex.Message, Is.EqualTo(message));
        Assert.That(ex.Message, Does.Not.Contain('\n'));
    }

    [Test]
    public void EmptyInputHasNoHeader() =>
        Assert.That(Fails("").Message, Is.EqualTo("data.csv, header (line 1): no header row"));

    [Test]
    public void MalformedQuotingNamesTheRow()
    {
        var ex = Fails("a,b\n1,2\n3,\"4\"x\n");
        Assert.That(ex.Message, Does.StartWith("data.csv, row 2 (line 3): malformed CSV: "));
        Assert.That(ex.Message, Does.Not.Contain('\n'));
    }
}

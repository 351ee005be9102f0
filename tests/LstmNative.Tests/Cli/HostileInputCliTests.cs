using System.Globalization;
using System.Text;
using LstmNative.Cli;
using LstmNative.Cli.Commands;
using LstmNative.Formats;
using LstmNative.Model;
using LstmNative.Tests.Formats;
using NUnit.Framework;

namespace LstmNative.Tests.Cli;

/// <summary>Issue 18: hostile probes against the CLI: nothing already saved is lost, inputs are never overwritten.</summary>
public class HostileInputCliTests
{
    private static readonly string[] Tiny = ["--window", "24", "--horizon", "6", "--hidden", "4", "--epochs", "1", "--windows-per-epoch", "64"];

    private static string WriteCsv(CliHarness cli, int rows, Func<int, string>? cell = null)
    {
        var sb = new StringBuilder("date,load,temp\n");
        for (int r = 1; r <= rows; r++)
        {
            string load = cell?.Invoke(r) ?? (100 + 10 * Math.Sin(r * 2 * Math.PI / 24)).ToString("F3", CultureInfo.InvariantCulture);
            sb.Append(CultureInfo.InvariantCulture, $"2020-01-01 {r % 24:00}:00:00,{load},{r % 7}\n");
        }
        string path = cli.PathOf("data.csv");
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    private static Dictionary<string, byte[]> Snapshot(string dir) =>
        Directory.GetFiles(dir).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);

    private static void AssertOneLine((int Exit, string Out, string Err) r, params string[] fragments)
    {
        Assert.That(r.Exit, Is.Not.Zero, r.Out);
        string line = r.Err.TrimEnd('\n');
        Assert.That(line, Does.Not.Contain('\n'), "one line");
        Assert.That(line, Does.StartWith("lstmnative: error: "));
        Assert.That(line, Does.Not.Contain("internal error"));
        foreach (var f in fragments)
            Assert.That(line, Does.Contain(f));
    }

    [Test]
    public void ADivergingSecondRunLeavesTheFirstRunsFilesAsTheyWere()
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 400);
        string[] common = ["forecast", "--csv", csv, "--target", "load", .. Tiny, "--output-dir", cli.PathOf("out"), "--report", cli.PathOf("report.json")];
        var first = cli.Run(common);
        Assert.That(first.Exit, Is.Zero, first.Err);
        var before = Snapshot(cli.PathOf("out"));
        byte[] report = File.ReadAllBytes(cli.PathOf("report.json"));

        string[] diverging = [.. common.Select(a => a == "1" ? "4" : a), "--lr", "1e30"]; // 4 epochs (Tiny's --epochs 1)
        var second = cli.Run(diverging);
        AssertOneLine(second, "diverged");
        var after = Snapshot(cli.PathOf("out"));
        foreach (var (name, bytes) in before)
            Assert.That(after[name], Is.EqualTo(bytes), $"{name} of the finished run was replaced");
        Assert.That(File.ReadAllBytes(cli.PathOf("report.json")), Is.EqualTo(report));
        Assert.That(after.Keys.Where(k => k.EndsWith(".tmp", StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public void ReportOverTheCheckpointOrTheCsvIsRefused()
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 400);
        byte[] data = File.ReadAllBytes(csv);
        AssertOneLine(cli.Run(["forecast", "--csv", csv, "--target", "load", .. Tiny, "-o", cli.PathOf("out"), "--report", csv]), "--report", "--csv");
        Assert.That(File.ReadAllBytes(csv), Is.EqualTo(data));
        AssertOneLine(cli.Run(["forecast", "--csv", csv, "--target", "load", .. Tiny, "-o", cli.PathOf("out"),
            "--report", cli.PathOf("out/model.safetensors")]), "--report", "model.safetensors");
    }

    [Test]
    public void CsvInsideTheOutputFolderUnderAnArtefactNameIsRefused()
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 400);
        Directory.CreateDirectory(cli.PathOf("out"));
        string inside = cli.PathOf("out/gradient_norms.csv");
        File.Copy(csv, inside);
        byte[] data = File.ReadAllBytes(inside);
        AssertOneLine(cli.Run(["forecast", "--csv", inside, "--target", "load", .. Tiny, "-o", cli.PathOf("out")]), "--csv");
        Assert.That(File.ReadAllBytes(inside), Is.EqualTo(data));
    }

    [Test]
    public void ExportOntoItsOwnInputIsRefused()
    {
        using var cli = new CliHarness();
        SafetensorsWriter.Write(cli.PathOf("m.safetensors"), PyTorchStateDictTests.StateDict(RnnCellType.Gru, 3, 4, 1, true, seed: 1));
        byte[] before = File.ReadAllBytes(cli.PathOf("m.safetensors"));
        AssertOneLine(cli.Run("export", cli.PathOf("m.safetensors"), "--onnx", cli.PathOf("./m.safetensors")), "--onnx", "the model being exported");
        Assert.That(File.ReadAllBytes(cli.PathOf("m.safetensors")), Is.EqualTo(before));
    }

    [TestCase("0")]
    [TestCase("-3")]
    [TestCase("2147483647")]
    public void SeasonOutOfRangeIsRefused(string season)
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 400);
        AssertOneLine(cli.Run(["forecast", "--csv", csv, "--target", "load", .. Tiny, "-o", cli.PathOf("out"), "--season", season]), "--season");
        Assert.That(Directory.Exists(cli.PathOf("out")), Is.False);
    }

    [Test]
    public void RunOutputsAreWrittenAsASet()
    {
        using var cli = new CliHarness();
        var dir = new DirectoryInfo(cli.PathOf("out"));
        BoundModel.WriteAll(dir, [("Y", NdArray.FromFloats([1f], 1)), ("Y_h", NdArray.FromFloats([2f], 1))], []);
        var before = Snapshot(dir.FullName);
        // The second name is not a valid file name: nothing may be written, not even the first file.
        var e = Assert.Throws<CliException>(() => BoundModel.WriteAll(dir, [("Y", NdArray.FromFloats([9f], 1)), ("a/b\u001b[31m", NdArray.FromFloats([9f], 1))], []));
        Assert.That(e!.Message, Does.Contain("cannot be used as a file name").And.Contain("\\u001b").And.Not.Contain("\u001b"));
        Assert.That(Snapshot(dir.FullName), Is.EqualTo(before));
    }

    [Test]
    public void AFailingWriterInASetLeavesEveryTargetAsItWas()
    {
        using var cli = new CliHarness();
        File.WriteAllText(cli.PathOf("a"), "old a");
        File.WriteAllText(cli.PathOf("b"), "old b");
        Assert.Throws<IOException>(() => AtomicFile.WriteAll(
        [
            (cli.PathOf("a"), s => s.Write("new a"u8)),
            (cli.PathOf("b"), _ => throw new IOException("No space left on device")),
        ]));
        Assert.That(File.ReadAllText(cli.PathOf("a")), Is.EqualTo("old a"));
        Assert.That(File.ReadAllText(cli.PathOf("b")), Is.EqualTo("old b"));
        Assert.That(Directory.GetFiles(cli.Root, "*.tmp"), Is.Empty);
    }

    [Test]
    public void MessagesEscapeControlCharactersAndCutLongText()
    {
        string s = CliApp.Printable("op\u001b]0;pwned\u0007" + new string('x', 60_000));
        Assert.That(s, Does.Not.Contain("\u001b").And.Not.Contain("\u0007"));
        Assert.That(s, Does.Contain("\\u001b").And.Contain("60012 characters"));
        Assert.That(s.Length, Is.LessThan(200));
        Assert.That(CliApp.Describe(new CliException("bad \ud800 name")), Does.Contain("\\ud800"));
    }

    [Test]
    public void AnEmptyCsvWithAllFeaturesNamesTheFile()
    {
        using var cli = new CliHarness();
        File.WriteAllText(cli.PathOf("empty.csv"), "");
        AssertOneLine(cli.Run(["forecast", "--csv", cli.PathOf("empty.csv"), "--target", "load", "--features", "all", .. Tiny, "-o", cli.PathOf("out")]),
            "empty.csv", "no header row");
    }

    [Test]
    public void AHiddenSizeTooLargeForAnArrayIsOneLineNamingIt()
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 400);
        AssertOneLine(cli.Run(["forecast", "--csv", csv, "--target", "load", "--window", "24", "--horizon", "6", "--hidden", "1000000", "-o", cli.PathOf("out")]),
            "hidden size 1000000");
    }

    [TestCase("run", "m\0.onnx", "-o", "out")]
    [TestCase("run", "m.onnx", "-o", "out", "--repeat", "4294967296")]
    public void ParserExceptionsAreOneLineUsageErrors(params string[] args)
    {
        // Found by the cli fuzz target: these threw out of the parser.
        using var cli = new CliHarness();
        var r = cli.Run(args);
        AssertOneLine(r);
        Assert.That(r.Exit, Is.EqualTo(CliApp.Usage));
    }
}

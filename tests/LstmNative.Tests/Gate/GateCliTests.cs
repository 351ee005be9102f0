using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using LstmNative.PerfGate.Baseline;
using LstmNative.Tests.Cli;
using NUnit.Framework;

namespace LstmNative.Tests.Gate;

/// <summary>
/// <c>lstmnative gate</c> end to end, in-process: exit 0 / 1 / 2, one-line errors, nothing overwritten on an error,
/// atomic <c>--update</c>, and the reports. Measurements use a tiny ONNX model and tiny settings so each run takes a
/// moment; the verdicts are forced by editing the recorded baseline, never by hoping for timing noise.
/// </summary>
public class GateCliTests
{
    private static readonly string[] Fast = ["--launches", "1", "--rounds", "10", "--sample-ms", "0.2", "--warmup-ms", "1"];

    private static (int Exit, string Out, string Err) Gate(CliHarness cli, params string[] args) =>
        cli.Run(["gate", "--suite", cli.PathOf("suite.json"), .. Fast, .. args]);

    /// <summary>A harness with the tiny suite and a freshly recorded baseline.</summary>
    private static CliHarness Recorded()
    {
        var cli = new CliHarness();
        SuiteFileTests.WriteSuite(cli.Root);
        var (exit, _, err) = Gate(cli, "--baseline", cli.PathOf("baseline.json"), "--update");
        Assert.That(exit, Is.Zero, err);
        return cli;
    }

    /// <summary>Shifts every recorded log-ratio of the judged clock by <paramref name="delta"/> (negative: the baseline was faster).</summary>
    private static void ShiftBaseline(CliHarness cli, double delta, Action<JsonObject>? more = null)
    {
        var root = JsonNode.Parse(File.ReadAllText(cli.PathOf("baseline.json")))!.AsObject();
        foreach (var c in root["cases"]!.AsArray())
        {
            string clock = (string)c!["clock"]!;
            var values = c["logRatios"]![clock]!.AsArray();
            for (int i = 0; i < values.Count; i++)
                values[i] = (double)values[i]! + delta;
        }
        more?.Invoke(root);
        File.WriteAllText(cli.PathOf("baseline.json"), root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private static void AssertOneLineError(string err, string contains)
    {
        Assert.That(err, Does.StartWith("lstmnative: error: ").And.Contain(contains));
        Assert.That(err.TrimEnd().Split('\n'), Has.Length.EqualTo(1), "one line on stderr");
    }

    [Test]
    public void UpdateRecordsABaselineAtomically()
    {
        using var cli = Recorded();
        var baseline = BaselineReader.Read(cli.PathOf("baseline.json"));
        Assert.That(baseline.SuiteId, Is.EqualTo("my-models/3"));
        Assert.That(baseline.Cases.Single().Samples.Wall.Count, Is.EqualTo(10));
        // The write went through a temporary file that was renamed: nothing else is left in the folder.
        Assert.That(Directory.GetFiles(cli.Root).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "baseline.json", "model.onnx", "suite.json" }));
    }

    [Test]
    public void UnchangedRunPassesAndWritesReports()
    {
        using var cli = Recorded();
        // The baseline made 4x slower than measured: a comfortable pass whatever the timing noise of this run.
        ShiftBaseline(cli, Math.Log(4));
        var (exit, stdout, err) = Gate(cli, "--baseline", cli.PathOf("baseline.json"), "--json", cli.PathOf("r.json"), "--junit", cli.PathOf("r.xml"));
        Assert.That(exit, Is.Zero, err);
        Assert.That(stdout, Does.Contain("result: PASS").And.Contain("improved"));
        using var json = JsonDocument.Parse(File.ReadAllText(cli.PathOf("r.json")));
        Assert.That(json.RootElement.GetProperty("result").GetString(), Is.EqualTo("pass"));
        Assert.That((string?)XDocument.Load(cli.PathOf("r.xml")).Root!.Attribute("failures"), Is.EqualTo("0"));
    }

    [Test]
    public void RegressionExitsOneAndNamesTheCase()
    {
        using var cli = Recorded();
        ShiftBaseline(cli, -Math.Log(4));
        var (exit, stdout, err) = Gate(cli, "--baseline", cli.PathOf("baseline.json"), "--junit", cli.PathOf("r.xml"));
        Assert.That(exit, Is.EqualTo(1), stdout + err);
        Assert.That(stdout, Does.Contain("regression: tiny:").And.Contain("result: FAIL"));
        var failure = XDocument.Load(cli.PathOf("r.xml")).Descendants("failure").Single();
        Assert.That((string?)failure.Parent!.Attribute("name"), Is.EqualTo("tiny"));
    }

    [Test]
    public void OtherMachineWarnsAndReportPolicyDoesNotFail()
    {
        using var cli = Recorded();
        ShiftBaseline(cli, -Math.Log(4), root => root["machine"]!["cpu"] = "Some Other CPU");
        var (exit, stdout, _) = Gate(cli, "--baseline", cli.PathOf("baseline.json"));
        Assert.That(exit, Is.EqualTo(1), "enforced by default");
        Assert.That(stdout, Does.Contain("warning: machine differs from the baseline's: CPU: 'Some Other CPU' in the baseline"));
        (exit, stdout, _) = Gate(cli, "--baseline", cli.PathOf("baseline.json"), "--on-other-machine", "report");
        Assert.That(exit, Is.Zero);
        Assert.That(stdout, Does.Contain("regressions not enforced"));
    }

    [Test]
    public void MissingBaselineIsExitTwoAndCreatesNothing()
    {
        using var cli = new CliHarness();
        SuiteFileTests.WriteSuite(cli.Root);
        var (exit, stdout, err) = Gate(cli, "--baseline", cli.PathOf("baseline.json"), "--junit", cli.PathOf("r.xml"));
        Assert.That(exit, Is.EqualTo(2));
        AssertOneLineError(err, "baseline file not found");
        Assert.That(File.Exists(cli.PathOf("baseline.json")) || File.Exists(cli.PathOf("r.xml")), Is.False);
        Assert.That(stdout, Does.Not.Contain("result:"));
    }

    [TestCase("{ not json", "not valid JSON")]
    [TestCase("""{ "format": "lstmnative-perf-baseline", "formatVersion": 1 }""", "missing property")]
    public void MalformedBaselineIsExitTwoAndLeftAlone(string text, string message)
    {
        using var cli = new CliHarness();
        SuiteFileTests.WriteSuite(cli.Root);
        File.WriteAllText(cli.PathOf("baseline.json"), text);
        var (exit, _, err) = Gate(cli, "--baseline", cli.PathOf("baseline.json"));
        Assert.That(exit, Is.EqualTo(2));
        AssertOneLineError(err, message);
        Assert.That(File.ReadAllText(cli.PathOf("baseline.json")), Is.EqualTo(text));
    }

    [Test]
    public void BaselineOfAnotherSuiteVersionIsExitTwoAndLeftAlone()
    {
        using var cli = Recorded();
        string before = File.ReadAllText(cli.PathOf("baseline.json"));
        File.WriteAllText(cli.PathOf("suite.json"), File.ReadAllText(cli.PathOf("suite.json")).Replace("\"version\": 3", "\"version\": 4", StringComparison.Ordinal));
        var (exit, _, err) = Gate(cli, "--baseline", cli.PathOf("baseline.json"));
        Assert.That(exit, Is.EqualTo(2));
        AssertOneLineError(err, "recorded for suite my-models/3, but this run's suite is my-models/4");
        Assert.That(File.ReadAllText(cli.PathOf("baseline.json")), Is.EqualTo(before));
    }

    [Test]
    public void ModelThatFailsToLoadIsExitTwoEvenWithUpdateAndNothingIsOverwritten()
    {
        using var cli = Recorded();
        string before = File.ReadAllText(cli.PathOf("baseline.json"));
        File.WriteAllBytes(cli.PathOf("model.onnx"), [0x08, 0xff, 0xff]);
        foreach (string[] extra in new[] { Array.Empty<string>(), ["--update"] })
        {
            var (exit, _, err) = Gate(cli, ["--baseline", cli.PathOf("baseline.json"), .. extra]);
            Assert.That(exit, Is.EqualTo(2), string.Join(" ", extra));
            AssertOneLineError(err, "cannot be loaded");
            Assert.That(File.ReadAllText(cli.PathOf("baseline.json")), Is.EqualTo(before));
        }
    }

    [Test]
    public void UpdateReplacesAMalformedBaseline()
    {
        using var cli = new CliHarness();
        SuiteFileTests.WriteSuite(cli.Root);
        File.WriteAllText(cli.PathOf("baseline.json"), "garbage");
        var (exit, stdout, err) = Gate(cli, "--baseline", cli.PathOf("baseline.json"), "--update");
        Assert.That(exit, Is.Zero, err);
        Assert.That(stdout, Does.Contain("wrote baseline"));
        Assert.That(BaselineReader.Read(cli.PathOf("baseline.json")).SuiteId, Is.EqualTo("my-models/3"));
    }

    [TestCase("--rounds", "abc")]
    [TestCase("--on-other-machine", "ignore")]
    public void MalformedCommandLineIsExitTwo(string option, string value)
    {
        using var cli = new CliHarness();
        var (exit, _, err) = cli.Run("gate", "--baseline", cli.PathOf("b.json"), option, value);
        Assert.That(exit, Is.EqualTo(2));
        AssertOneLineError(err, "lstmnative gate --help");
    }

    [TestCase("--rounds", "5", "rounds must be between 10")]
    [TestCase("--threshold", "0", "threshold must be a fraction")]
    [TestCase("--launches", "0", "--launches must be between 1")]
    public void UnusableSettingsAreExitTwo(string option, string value, string message)
    {
        using var cli = Recorded();
        string before = File.ReadAllText(cli.PathOf("baseline.json"));
        // The fast settings with the one under test replaced.
        var settings = Fast.ToList();
        int at = settings.IndexOf(option);
        if (at >= 0)
            settings.RemoveRange(at, 2);
        var (exit, _, err) = cli.Run(["gate", "--suite", cli.PathOf("suite.json"), "--baseline", cli.PathOf("baseline.json"), "--update", .. settings, option, value]);
        Assert.That(exit, Is.EqualTo(2));
        AssertOneLineError(err, message);
        Assert.That(File.ReadAllText(cli.PathOf("baseline.json")), Is.EqualTo(before));
    }

    [Test]
    public void SlowdownHookNamingAnUnknownCaseIsExitTwo()
    {
        using var cli = Recorded();
        var result = WithVariable("LSTMNATIVE_GATE_SLOWDOWN", "nope:0.2", () => Gate(cli, "--baseline", cli.PathOf("baseline.json")));
        Assert.That(result.Exit, Is.EqualTo(2));
        AssertOneLineError(result.Err, "names case 'nope', which is not in suite my-models/3");
    }

    [Test]
    public void MeasurementProcessesArePooled()
    {
        // The default path: separate worker processes (dotnet exec lstmnative.dll gate worker), rounds pooled.
        using var cli = new CliHarness();
        SuiteFileTests.WriteSuite(cli.Root);
        var (exit, stdout, err) = cli.Run("gate", "--suite", cli.PathOf("suite.json"), "--baseline", cli.PathOf("baseline.json"), "--update",
            "--launches", "2", "--rounds", "20", "--sample-ms", "0.2", "--warmup-ms", "1");
        Assert.That(exit, Is.Zero, stdout + err);
        Assert.That(stdout, Does.Contain("measurement process 2/2 done"));
        var baseline = BaselineReader.Read(cli.PathOf("baseline.json"));
        Assert.That((baseline.Launches, baseline.Rounds), Is.EqualTo((2, 20)));
    }

    private static T WithVariable<T>(string name, string value, Func<T> action)
    {
        string? old = Environment.GetEnvironmentVariable(name);
        Environment.SetEnvironmentVariable(name, value);
        try
        {
            return action();
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, old);
        }
    }
}

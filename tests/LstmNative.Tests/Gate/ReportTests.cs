using System.Text.Json;
using System.Xml.Linq;
using LstmNative.PerfGate;
using LstmNative.PerfGate.Reports;
using NUnit.Framework;

namespace LstmNative.Tests.Gate;

/// <summary>The table, JSON and JUnit XML reports of a synthetic run in which one case regressed.</summary>
public class ReportTests
{
    private static GateReport OneRegression(bool enforced = true) =>
        GateTestData.Report(GateTestData.Baseline(("steady", 0.5), ("slowed", 1.0)), [0.5, 1.0 + Math.Log(1.25)], enforced);

    private static string Write(Action<Stream> write)
    {
        using var stream = new MemoryStream();
        write(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    [Test]
    public void JUnitHasOneTestcasePerCaseAndAFailureForTheRegression()
    {
        var report = OneRegression();
        var xml = XDocument.Parse(Write(s => JUnitReport.Write(s, report)));
        var root = xml.Root!;
        Assert.That(root.Name.LocalName, Is.EqualTo("testsuites"));
        Assert.That((string?)root.Attribute("tests"), Is.EqualTo("2"));
        Assert.That((string?)root.Attribute("failures"), Is.EqualTo("1"));
        var suite = root.Elements("testsuite").Single();
        Assert.That((string?)suite.Attribute("name"), Is.EqualTo("lstmnative.gate.builtin/1"));
        Assert.That((string?)suite.Attribute("failures"), Is.EqualTo("1"));
        Assert.That(suite.Element("properties")!.Elements("property").Select(p => (string?)p.Attribute("name")),
            Does.Contain("machine.cpu").And.Contain("machine.simd").And.Contain("machine.gpuDriver").And.Contain("rule"));
        var cases = suite.Elements("testcase").ToList();
        Assert.That(cases.Select(c => (string?)c.Attribute("name")), Is.EqualTo(new[] { "steady", "slowed" }));
        Assert.That(cases.All(c => c.Attribute("classname") is not null && c.Attribute("time") is not null), Is.True);
        Assert.That(cases[0].Element("failure"), Is.Null);
        var failure = cases[1].Element("failure")!;
        Assert.That((string?)failure.Attribute("type"), Is.EqualTo("regression"));
        Assert.That((string?)failure.Attribute("message"), Does.StartWith("+2").And.Contain("slower than the baseline"));
        Assert.That(failure.Value, Does.Contain("slowed"));
        Assert.That(cases[1].Element("system-out")!.Value, Does.Contain("config of slowed"));
    }

    [Test]
    public void NotEnforcedRegressionIsSkippedNotFailed()
    {
        var xml = XDocument.Parse(Write(s => JUnitReport.Write(s, OneRegression(enforced: false))));
        Assert.That((string?)xml.Root!.Attribute("failures"), Is.EqualTo("0"));
        Assert.That((string?)xml.Root!.Attribute("skipped"), Is.EqualTo("1"));
        Assert.That(xml.Descendants("skipped").Single().Attribute("message")!.Value, Does.Contain("machine differs"));
    }

    [Test]
    public void JsonCarriesTheResultTheNumbersAndTheSamples()
    {
        var report = OneRegression();
        using var json = JsonDocument.Parse(Write(s => JsonReport.Write(s, report)));
        var root = json.RootElement;
        Assert.That(root.GetProperty("format").GetString(), Is.EqualTo(JsonReport.FormatName));
        Assert.That(root.GetProperty("result").GetString(), Is.EqualTo("fail"));
        Assert.That(root.GetProperty("exitCode").GetInt32(), Is.EqualTo(1));
        Assert.That(root.GetProperty("rule").GetProperty("threshold").GetDouble(), Is.EqualTo(0.1));
        var cases = root.GetProperty("cases").EnumerateArray().ToList();
        Assert.That(cases[0].GetProperty("verdict").GetString(), Is.EqualTo("pass"));
        Assert.That(cases[1].GetProperty("verdict").GetString(), Is.EqualTo("regressed"));
        Assert.That(cases[1].GetProperty("change").GetDouble(), Is.EqualTo(0.25).Within(0.03));
        Assert.That(cases[1].GetProperty("otherClock").GetProperty("clock").GetString(), Is.EqualTo("wall"));
        Assert.That(cases[1].GetProperty("logRatios").GetProperty("thread-cpu").GetArrayLength(), Is.EqualTo(20));
    }

    [Test]
    public void TableNamesTheRegressedCaseAndTheResult()
    {
        var w = new StringWriter();
        TableReport.Write(w, OneRegression(), "perf/baseline.json");
        string text = w.ToString();
        Assert.That(text, Does.Contain("REGRESSED").And.Contain("regression: slowed: +2").And.Contain("result: FAIL: 2 case(s), 1 regressed"));
        Assert.That(text.Split('\n').Count(l => l.StartsWith("steady", StringComparison.Ordinal) && l.TrimEnd().EndsWith("pass", StringComparison.Ordinal)), Is.EqualTo(1));
    }

    [Test]
    public void ExitCodesFollowTheVerdicts()
    {
        Assert.That(OneRegression().ExitCode, Is.EqualTo(1));
        Assert.That(OneRegression(enforced: false).ExitCode, Is.Zero);
        var steady = GateTestData.Report(GateTestData.Baseline(("a", 0.5)), [0.5]);
        Assert.That((steady.ExitCode, steady.AnyRegression), Is.EqualTo((0, false)));
    }
}

using LstmNative.PerfGate;
using LstmNative.PerfGate.Baseline;
using LstmNative.PerfGate.Measurement;
using LstmNative.PerfGate.Suite;
using NUnit.Framework;

namespace LstmNative.Tests.Gate;

/// <summary>Baseline JSON: a round trip keeps everything; every defect is a clear error naming the file and property.</summary>
public class BaselineFileTests
{
    private static string Json(BaselineFile baseline)
    {
        using var stream = new MemoryStream();
        BaselineWriter.Write(stream, baseline);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    [Test]
    public void RoundTripKeepsEveryField()
    {
        var original = GateTestData.Baseline(("a", 0.5), ("b-2", -1.25));
        var read = BaselineReader.Parse("b.json", Json(original));
        Assert.That(read.SuiteId, Is.EqualTo("builtin/1"));
        Assert.That(read.Calibration, Is.EqualTo(Calibration.Version));
        Assert.That(read.Recorded, Is.EqualTo(original.Recorded));
        Assert.That(read.Machine, Is.EqualTo(original.Machine));
        Assert.That((read.Rounds, read.Launches, read.SampleMs), Is.EqualTo((20, 2, 2.0)));
        Assert.That(read.Cases.Select(c => c.Name), Is.EqualTo(new[] { "a", "b-2" }));
        for (int i = 0; i < 2; i++)
        {
            var (x, y) = (original.Cases[i], read.Cases[i]);
            Assert.That((y.Config, y.Clock, y.CpuWeight, y.WallWeight), Is.EqualTo((x.Config, x.Clock, x.CpuWeight, x.WallWeight)));
            Assert.That(y.Samples.Cpu.Case, Is.EqualTo(x.Samples.Cpu.Case).Within(1e-6));
            Assert.That(y.Samples.Cpu.Memory, Is.EqualTo(x.Samples.Cpu.Memory).Within(1e-6));
            Assert.That(y.Samples.Wall.Case, Is.EqualTo(x.Samples.Wall.Case).Within(1e-6));
            Assert.That(y.Samples.MedianCpuSeconds, Is.EqualTo(x.Samples.MedianCpuSeconds).Within(1e-9));
        }
    }

    [Test]
    public void MissingFileSaysHowToRecordOne()
    {
        string path = Path.Combine(Path.GetTempPath(), $"no-such-baseline-{Guid.NewGuid():N}.json");
        Assert.That(() => BaselineReader.Read(path),
            Throws.TypeOf<GateException>().With.Message.Contains("baseline file not found").And.Message.Contains("--update"));
    }

    private static IEnumerable<TestCaseData> Defects()
    {
        var good = Json(GateTestData.Baseline(("a", 0.5)));
        TestCaseData Case(string name, string text, string message) => new TestCaseData(text, message).SetName($"Defect_{name}");
        yield return Case("NotJson", "{ \"format\": ", "not valid JSON");
        yield return Case("Array", "[1, 2]", "expected a JSON object");
        yield return Case("OtherFormat", good.Replace("lstmnative-perf-baseline", "something-else"), "not a gate baseline");
        yield return Case("FormatVersion", good.Replace("\"formatVersion\": 1", "\"formatVersion\": 99"), "format version 99 is not supported");
        yield return Case("MissingSuite", good.Replace("\"suite\": \"builtin\",", ""), "missing property 'suite'");
        yield return Case("UnknownProperty", good.Replace("\"rounds\":", "\"rounds_typo\": 1, \"rounds\":"), "rounds_typo: unknown property");
        yield return Case("WrongType", good.Replace("\"launches\": 2", "\"launches\": \"two\""), "launches: expected an integer");
        yield return Case("NoCases", good[..good.IndexOf("\"cases\"", StringComparison.Ordinal)] + "\"cases\": []}", "no cases");
        yield return Case("SampleCount", good.Replace("\"rounds\": 20", "\"rounds\": 21"), "expected one per round (21)");
        yield return Case("Weight", good.Replace("\"thread-cpu\": 0.25", "\"thread-cpu\": 7"), "expected a weight between 0 and 2");
        yield return Case("BadDate", good.Replace("2026-11-27T08:00:00Z", "yesterday"), "recorded: expected a date");
    }

    [TestCaseSource(nameof(Defects))]
    public void DefectIsAClearError(string text, string message) =>
        Assert.That(() => BaselineReader.Parse("perf/baseline.json", text),
            Throws.TypeOf<GateException>().With.Message.StartsWith("perf/baseline.json: ").And.Message.Contains(message));

    [Test]
    public void OtherSuiteVersionIsRefused()
    {
        var baseline = GateTestData.Baseline(("a", 0.5));
        var suite = new GateSuite("builtin", 2, [new FakeCase("a")]);
        Assert.That(() => BaselineMatch.CheckSuite(baseline, "b.json", suite),
            Throws.TypeOf<GateException>().With.Message.Contains("recorded for suite builtin/1, but this run's suite is builtin/2").And.Message.Contains("--update"));
    }

    [Test]
    public void OtherCalibrationIsRefused()
    {
        var baseline = GateTestData.Baseline(("a", 0.5)) with { Calibration = "old-yardstick/0" };
        Assert.That(() => BaselineMatch.CheckSuite(baseline, "b.json", new GateSuite("builtin", 1, [new FakeCase("a")])),
            Throws.TypeOf<GateException>().With.Message.Contains("calibration 'old-yardstick/0'"));
    }

    [Test]
    public void DifferentCaseSetsAreRefused()
    {
        var baseline = GateTestData.Baseline(("a", 0.5), ("gone", 0.1));
        Assert.That(() => BaselineMatch.CheckSuite(baseline, "b.json", new GateSuite("builtin", 1, [new FakeCase("a"), new FakeCase("new")])),
            Throws.TypeOf<GateException>().With.Message.Contains("cases not in the baseline: new").And.Message.Contains("cases only in the baseline: gone"));
    }

    [Test]
    public void ChangedConfigOrClockIsRefused()
    {
        var baseline = GateTestData.Baseline(("a", 0.5));
        Assert.That(() => BaselineMatch.CheckCases(baseline, "b.json", [new PreparedCase("a", "something else", ClockKind.ThreadCpu, new NoWork())]),
            Throws.TypeOf<GateException>().With.Message.Contains("was recorded as 'config of a' but is now 'something else'"));
        Assert.That(() => BaselineMatch.CheckCases(baseline, "b.json", [new PreparedCase("a", "config of a", ClockKind.Wall, new NoWork())]),
            Throws.TypeOf<GateException>().With.Message.Contains("judged on the thread-cpu clock, now on wall"));
    }

    private sealed class FakeCase(string name) : GateCase(name)
    {
        public override PreparedCase Prepare() => new(Name, "fake", ClockKind.ThreadCpu, new NoWork());
    }

    private sealed class NoWork : IGateWorkload
    {
        public void Run()
        {
        }

        public void Dispose()
        {
        }
    }
}

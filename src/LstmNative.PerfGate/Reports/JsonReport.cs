using System.Globalization;
using System.Text.Json;
using LstmNative.PerfGate.Json;
using LstmNative.PerfGate.Measurement;
using LstmNative.PerfGate.Statistics;

namespace LstmNative.PerfGate.Reports;

/// <summary>
/// The machine-readable report: the result, the rule, both machines, warnings, and per case the decision, the numbers
/// behind it (on the judged clock and, for analysis, the other clock) and every sample.
/// </summary>
internal static class JsonReport
{
    /// <summary>The value of the "format" property.</summary>
    public const string FormatName = "lstmnative-perf-report";

    /// <summary>Writes <paramref name="report"/> to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, GateReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("format", FormatName);
        w.WriteNumber("formatVersion", 1);
        w.WriteString("suite", report.SuiteId);
        w.WriteString("started", report.Started.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        w.WriteString("result", Result(report));
        w.WriteNumber("exitCode", report.ExitCode);
        w.WriteBoolean("enforced", report.Enforced);
        if (report.Slowdown is { } hook)
            w.WriteString("slowdownHook", hook);
        else
            w.WriteNull("slowdownHook");
        w.WriteStartObject("rule");
        w.WriteNumber("threshold", report.Rule.Threshold);
        w.WriteNumber("alpha", report.Rule.Alpha);
        w.WriteString("test", "one-sided Mann-Whitney U on per-round log(case time / calibration time); change = exp(Hodges-Lehmann shift) - 1");
        w.WriteEndObject();
        JsonWriting.WriteMachine(w, "machine", report.Machine);
        if (report.Baseline is { } b)
            JsonWriting.WriteMachine(w, "baselineMachine", b.Machine);
        w.WriteStartArray("warnings");
        foreach (string warning in report.Warnings)
            w.WriteStringValue(warning);
        w.WriteEndArray();
        w.WriteNumber("elapsedSeconds", JsonWriting.Round(report.Samples.ElapsedSeconds));
        w.WriteNumber("calibrationCpuMs", JsonWriting.Round(report.Samples.CalibrationCpuSeconds * 1e3));
        w.WriteNumber("calibrationWallMs", JsonWriting.Round(report.Samples.CalibrationWallSeconds * 1e3));
        w.WriteStartArray("cases");
        foreach (var c in report.Cases)
            WriteCase(w, c);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>"pass", "fail", "pass-not-enforced" or "recorded".</summary>
    public static string Result(GateReport report) =>
        report.Baseline is null ? "recorded"
        : !report.AnyRegression ? "pass"
        : report.Enforced ? "fail" : "pass-not-enforced";

    private static void WriteCase(Utf8JsonWriter w, CaseResult c)
    {
        w.WriteStartObject();
        w.WriteString("name", c.Name);
        w.WriteString("config", c.Config);
        w.WriteString("clock", c.Clock.Name());
        w.WriteString("verdict", ReportText.Verdict(c).ToLowerInvariant());
        if (c.Comparison is { } cmp)
            WriteComparison(w, cmp);
        w.WriteNumber("medianRatio", JsonWriting.Round(c.MedianRatio));
        if (c.Comparison is not null)
            w.WriteNumber("baselineMedianRatio", JsonWriting.Round(c.BaselineMedianRatio));
        w.WriteNumber("spread", JsonWriting.Round(c.Spread));
        w.WriteNumber("medianCpuMs", JsonWriting.Round(c.Current.MedianCpuSeconds * 1e3));
        w.WriteNumber("medianWallMs", JsonWriting.Round(c.Current.MedianWallSeconds * 1e3));
        w.WriteNumber("repetitions", c.Current.Repetitions);
        if (c.OtherClock is { } other)
        {
            w.WriteStartObject("otherClock");
            w.WriteString("clock", (c.Clock == ClockKind.ThreadCpu ? ClockKind.Wall : ClockKind.ThreadCpu).Name());
            w.WriteString("verdict", other.Verdict.ToString().ToLowerInvariant());
            WriteComparison(w, other);
            w.WriteEndObject();
        }
        w.WriteNumber("memoryWeight", JsonWriting.Round(c.Weight));
        JsonWriting.WriteSamples(w, c.Current);
        w.WriteEndObject();
    }

    private static void WriteComparison(Utf8JsonWriter w, Comparison cmp)
    {
        w.WriteNumber("change", JsonWriting.Round(cmp.Change));
        w.WriteNumber("pSlower", cmp.PSlower);
        w.WriteNumber("pFaster", cmp.PFaster);
    }
}

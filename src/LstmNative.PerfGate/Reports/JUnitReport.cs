using System.Globalization;
using System.Text;
using System.Xml;
using LstmNative.PerfGate.Statistics;

namespace LstmNative.PerfGate.Reports;

/// <summary>
/// The report as JUnit XML (the de-facto schema Jenkins, GitLab, GitHub and Azure Pipelines read): one
/// <c>testsuite</c> for the suite, one <c>testcase</c> per case, a <c>failure</c> for each regression (type
/// "regression"; when regressions are not enforced on another machine, <c>skipped</c> with the reason instead), the
/// machine facts and the rule as <c>properties</c>, and each case's numbers in its <c>system-out</c>.
/// </summary>
internal static class JUnitReport
{
    /// <summary>Writes <paramref name="report"/> to <paramref name="stream"/> (UTF-8, no BOM).</summary>
    public static void Write(Stream stream, GateReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) };
        using var x = XmlWriter.Create(stream, settings);
        int failures = report.Enforced ? report.Cases.Count(IsRegression) : 0;
        int skipped = report.Enforced ? 0 : report.Cases.Count(IsRegression);
        string tests = report.Cases.Count.ToString(CultureInfo.InvariantCulture);
        string time = report.Samples.ElapsedSeconds.ToString("F3", CultureInfo.InvariantCulture);
        x.WriteStartDocument();
        x.WriteStartElement("testsuites");
        x.WriteAttributeString("name", "lstmnative gate");
        x.WriteAttributeString("tests", tests);
        x.WriteAttributeString("failures", failures.ToString(CultureInfo.InvariantCulture));
        x.WriteAttributeString("errors", "0");
        x.WriteAttributeString("skipped", skipped.ToString(CultureInfo.InvariantCulture));
        x.WriteAttributeString("time", time);

        x.WriteStartElement("testsuite");
        x.WriteAttributeString("name", $"lstmnative.gate.{report.SuiteId}");
        x.WriteAttributeString("tests", tests);
        x.WriteAttributeString("failures", failures.ToString(CultureInfo.InvariantCulture));
        x.WriteAttributeString("errors", "0");
        x.WriteAttributeString("skipped", skipped.ToString(CultureInfo.InvariantCulture));
        x.WriteAttributeString("time", time);
        x.WriteAttributeString("timestamp", report.Started.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture));
        x.WriteAttributeString("hostname", Environment.MachineName);

        x.WriteStartElement("properties");
        void Property(string name, string value)
        {
            x.WriteStartElement("property");
            x.WriteAttributeString("name", name);
            x.WriteAttributeString("value", value);
            x.WriteEndElement();
        }
        Property("rule", ReportText.Rule(report.Rule));
        Property("machine.cpu", report.Machine.Cpu);
        Property("machine.logicalCores", report.Machine.LogicalCores.ToString(CultureInfo.InvariantCulture));
        Property("machine.simd", report.Machine.Simd);
        Property("machine.gpu", report.Machine.Gpu);
        Property("machine.gpuDriver", report.Machine.GpuDriver);
        if (report.Baseline is { } b)
            Property("baseline.machine.cpu", b.Machine.Cpu);
        if (report.Slowdown is { } hook)
            Property("testHook", hook);
        for (int i = 0; i < report.Warnings.Count; i++)
            Property($"warning.{i + 1}", report.Warnings[i]);
        x.WriteEndElement();

        double perCase = report.Samples.ElapsedSeconds / Math.Max(1, report.Cases.Count);
        foreach (var c in report.Cases)
        {
            x.WriteStartElement("testcase");
            x.WriteAttributeString("classname", $"lstmnative.gate.{report.SuiteId.Replace('/', '.')}");
            x.WriteAttributeString("name", c.Name);
            x.WriteAttributeString("time", perCase.ToString("F3", CultureInfo.InvariantCulture));
            if (IsRegression(c))
            {
                x.WriteStartElement(report.Enforced ? "failure" : "skipped");
                x.WriteAttributeString("message", report.Enforced
                    ? $"{ReportText.Change(c.Comparison!.Change)} slower than the baseline (p = {ReportText.P(c.Comparison.PSlower)})"
                    : "regression not enforced: the machine differs from the baseline's");
                if (report.Enforced)
                {
                    x.WriteAttributeString("type", "regression");
                    x.WriteString(ReportText.Explain(c));
                }
                x.WriteEndElement();
            }
            x.WriteElementString("system-out", $"{c.Config}\n{ReportText.Explain(c)}");
            x.WriteEndElement();
        }
        x.WriteEndElement();
        x.WriteEndElement();
        x.WriteEndDocument();
    }

    private static bool IsRegression(CaseResult c) => c.Comparison?.Verdict == Verdict.Regressed;
}

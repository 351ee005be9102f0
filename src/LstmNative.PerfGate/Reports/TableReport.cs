using LstmNative.PerfGate.Measurement;
using LstmNative.PerfGate.Statistics;

namespace LstmNative.PerfGate.Reports;

/// <summary>The human-readable report: a header, one row per case, warnings, and a one-line result.</summary>
internal static class TableReport
{
    /// <summary>Writes <paramref name="report"/> to <paramref name="w"/>.</summary>
    public static void Write(TextWriter w, GateReport report, string baselinePath)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(report);
        var m = report.Machine;
        w.WriteLine($"machine: {m.Cpu}, {m.LogicalCores} logical cores, {m.Simd}, GPU {m.Gpu} (driver {m.GpuDriver}); {m.Runtime}");
        if (report.Baseline is { } b)
            w.WriteLine($"baseline: {baselinePath}, suite {b.SuiteId}, recorded {b.Recorded.UtcDateTime:yyyy-MM-dd HH:mm}Z on {b.Machine.Cpu}, {b.Machine.LogicalCores} cores");
        if (report.Slowdown is { } hook)
            w.WriteLine($"TEST HOOK ACTIVE: {SlowdownHook.Variable}={hook}");
        w.WriteLine();

        var rows = new List<string[]>
        {
            report.Baseline is null
                ? ["case", "clock", "ms/run", "× calib", "spread"]
                : ["case", "clock", "ms/run", "× calib (base)", "× calib (now)", "change", "p(slower)", "spread", "verdict"],
        };
        foreach (var c in report.Cases)
        {
            double ms = (c.Clock == ClockKind.ThreadCpu ? c.Current.MedianCpuSeconds : c.Current.MedianWallSeconds) * 1e3;
            string spread = "±" + ReportText.Percent(c.Spread / 2);
            rows.Add(c.Comparison is not { } cmp
                ? [c.Name, c.Clock.Name(), ReportText.Number(ms, "F3"), ReportText.Number(c.MedianRatio, "F4"), spread]
                : [c.Name, c.Clock.Name(), ReportText.Number(ms, "F3"), ReportText.Number(c.BaselineMedianRatio, "F4"),
                    ReportText.Number(c.MedianRatio, "F4"), ReportText.Change(cmp.Change), ReportText.P(cmp.PSlower), spread, ReportText.Verdict(c)]);
        }
        int[] widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var row in rows)
            w.WriteLine(string.Join("  ", row.Select((cell, i) => i == 0 || i == 1 || i == row.Length - 1 && report.Baseline is not null ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i]))).TrimEnd());
        w.WriteLine();
        foreach (string warning in report.Warnings)
            w.WriteLine($"warning: {warning}");
        if (report.Baseline is null)
            return;
        w.WriteLine($"rule: {ReportText.Rule(report.Rule)}");
        int regressed = report.Cases.Count(c => c.Comparison?.Verdict == Verdict.Regressed);
        foreach (var c in report.Cases.Where(c => c.Comparison?.Verdict == Verdict.Regressed))
            w.WriteLine($"regression: {ReportText.Explain(c)}");
        string result = regressed == 0 ? "PASS" : report.Enforced ? "FAIL" : "PASS (regressions not enforced on another machine)";
        w.WriteLine($"result: {result}: {report.Cases.Count} case(s), {regressed} regressed; measured in {report.Samples.ElapsedSeconds:F1} s");
    }
}

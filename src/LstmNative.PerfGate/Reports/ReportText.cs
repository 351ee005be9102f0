using System.Globalization;
using LstmNative.PerfGate.Measurement;
using LstmNative.PerfGate.Statistics;

namespace LstmNative.PerfGate.Reports;

/// <summary>The wording and number formats the table, JSON and JUnit reports share.</summary>
internal static class ReportText
{
    /// <summary>"pass", "REGRESSED", "improved", or "recorded" when there is no comparison.</summary>
    public static string Verdict(CaseResult c) => c.Comparison?.Verdict switch
    {
        Statistics.Verdict.Regressed => "REGRESSED",
        Statistics.Verdict.Improved => "improved",
        Statistics.Verdict.Pass => "pass",
        _ => "recorded",
    };

    /// <summary>The decision rule in words.</summary>
    public static string Rule(DecisionRule rule) =>
        $"a case fails when its time relative to the calibration is more than {Percent(rule.Threshold)} slower than the baseline's "
        + $"(Hodges-Lehmann shift) and a one-sided Mann-Whitney test gives p < {Number(rule.Alpha)}";

    /// <summary>"+12.3%".</summary>
    public static string Change(double change) => (change >= 0 ? "+" : "") + (change * 100).ToString("F1", CultureInfo.InvariantCulture) + "%";

    /// <summary>"10%".</summary>
    public static string Percent(double fraction) => (fraction * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    /// <summary>A p-value: 3 significant digits, or "&lt;1e-6".</summary>
    public static string P(double p) => p < 1e-6 ? "<1e-6" : p.ToString("G3", CultureInfo.InvariantCulture);

    /// <summary>A number with invariant culture.</summary>
    public static string Number(double v, string format = "G4") => v.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>One line explaining a case's verdict.</summary>
    public static string Explain(CaseResult c)
    {
        if (c.Comparison is not { } cmp)
            return $"{c.Name}: recorded, {Number(c.MedianRatio, "F4")} × calibration ({c.Clock.Name()})";
        string direction = cmp.Change >= 0 ? "slower" : "faster";
        return $"{c.Name}: {Change(cmp.Change)} ({direction}) relative to the calibration on the {c.Clock.Name()} clock, "
            + $"p(slower) = {P(cmp.PSlower)}, ratio {Number(c.BaselineMedianRatio, "F4")} → {Number(c.MedianRatio, "F4")}: {Verdict(c)}";
    }
}

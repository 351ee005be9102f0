using LstmNative.PerfGate.Baseline;
using LstmNative.PerfGate.Machine;
using LstmNative.PerfGate.Measurement;
using LstmNative.PerfGate.Statistics;

namespace LstmNative.PerfGate;

/// <summary>The outcome of one gate run: what was measured and, unless recording, how it compares with the baseline.</summary>
/// <param name="SuiteId">"name/version".</param>
/// <param name="Started">When measuring began (UTC).</param>
/// <param name="Machine">This machine.</param>
/// <param name="Baseline">The baseline compared with; null when recording one.</param>
/// <param name="Warnings">Machine differences and other caveats, one line each.</param>
/// <param name="Rule">The decision rule.</param>
/// <param name="Samples">The raw measurement.</param>
/// <param name="Cases">Per case, in suite order.</param>
/// <param name="Enforced">Whether regressions fail the run (false under <see cref="OtherMachinePolicy.Report"/> on another machine).</param>
/// <param name="Slowdown">The active test hook, if any (reported so a slowed run can never pass for a normal one).</param>
internal sealed record GateReport(
    string SuiteId,
    DateTimeOffset Started,
    MachineFacts Machine,
    BaselineFile? Baseline,
    IReadOnlyList<string> Warnings,
    DecisionRule Rule,
    SuiteSamples Samples,
    IReadOnlyList<CaseResult> Cases,
    bool Enforced,
    string? Slowdown)
{
    /// <summary>Whether any case regressed.</summary>
    public bool AnyRegression => Cases.Any(c => c.Comparison?.Verdict == Verdict.Regressed);

    /// <summary>0 when no case regressed (or regressions are not enforced), 1 on an enforced regression.</summary>
    public int ExitCode => Enforced && AnyRegression ? 1 : 0;
}

/// <summary>One case's measurement and comparison.</summary>
/// <param name="Name">The case.</param>
/// <param name="Config">What was measured.</param>
/// <param name="Clock">The judged clock.</param>
/// <param name="Current">This run's samples.</param>
/// <param name="Reference">The baseline's case, or (when recording) the case about to be recorded, with its weights.</param>
/// <param name="Comparison">The decision on <paramref name="Clock"/>; null when recording.</param>
/// <param name="OtherClock">The same comparison on the other clock, for analysis only (never decides); null when unavailable.</param>
internal sealed record CaseResult(string Name, string Config, ClockKind Clock, CaseSamples Current, BaselineCase Reference,
    Comparison? Comparison, Comparison? OtherClock)
{
    /// <summary>The memory yardstick's weight on the judged clock.</summary>
    public double Weight => Reference.Weight(Clock);

    /// <summary>This run's judged metric per round: log ratio to the yardsticks.</summary>
    public double[] CurrentAdjusted => Current.On(Clock).Adjusted(Weight);

    /// <summary>Median current ratio to the yardsticks on the judged clock.</summary>
    public double MedianRatio => Math.Exp(Stats.Median(CurrentAdjusted));

    /// <summary>Median baseline ratio on the judged clock.</summary>
    public double BaselineMedianRatio => Math.Exp(Stats.Median(Reference.Adjusted(Clock)));

    /// <summary>Relative spread of this run's ratios: q75 / q25 − 1, on the judged clock.</summary>
    public double Spread
    {
        get
        {
            var logs = CurrentAdjusted;
            return Math.Exp(Stats.Quantile(logs, 0.75) - Stats.Quantile(logs, 0.25)) - 1;
        }
    }
}

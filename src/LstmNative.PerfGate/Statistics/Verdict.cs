namespace LstmNative.PerfGate.Statistics;

/// <summary>The gate's decision for one case.</summary>
internal enum Verdict
{
    /// <summary>No slowdown beyond the threshold that the test calls significant.</summary>
    Pass,

    /// <summary>Slower by more than the threshold, and significantly so: the gate fails.</summary>
    Regressed,

    /// <summary>Faster by more than the threshold, significantly: passes; the baseline may be refreshed.</summary>
    Improved,
}

/// <summary>The decision rule and its inputs.</summary>
/// <param name="Threshold">Relative slowdown that counts as a regression (0.10 = 10 %).</param>
/// <param name="Alpha">Significance level of the one-sided rank test.</param>
internal sealed record DecisionRule(double Threshold, double Alpha)
{
    /// <summary>Fail when the slowdown is over 10 % and significant at p &lt; 0.01.</summary>
    public static DecisionRule Default { get; } = new(0.10, 0.01);

    /// <summary>Throws <see cref="GateException"/> for a rule the gate cannot use.</summary>
    public void Validate()
    {
        if (!(Threshold > 0 && Threshold < 10))
            throw new GateException($"the threshold must be a fraction between 0 and 10 (0.10 = 10 %), got {Threshold}");
        if (!(Alpha > 0 && Alpha < 0.5))
            throw new GateException($"the significance level must be between 0 and 0.5, got {Alpha}");
    }

    /// <summary>
    /// Compares log-ratio samples: the change is <c>exp(HL shift) − 1</c>; Regressed when change &gt; threshold and the
    /// one-sided Mann–Whitney p (current larger) &lt; alpha; Improved symmetrically; otherwise Pass.
    /// </summary>
    public Comparison Judge(IReadOnlyList<double> baselineLogRatios, IReadOnlyList<double> currentLogRatios)
    {
        double change = Math.Exp(HodgesLehmann.Shift(baselineLogRatios, currentLogRatios)) - 1;
        double pSlower = MannWhitney.PGreater(baselineLogRatios, currentLogRatios);
        double pFaster = MannWhitney.PGreater(currentLogRatios, baselineLogRatios);
        var verdict = change > Threshold && pSlower < Alpha ? Verdict.Regressed
            : change < -Threshold / (1 + Threshold) && pFaster < Alpha ? Verdict.Improved
            : Verdict.Pass;
        return new Comparison(change, pSlower, pFaster, verdict);
    }
}

/// <summary>One case's comparison.</summary>
/// <param name="Change">Relative change of the time ratio: +0.2 = 20 % slower than the baseline.</param>
/// <param name="PSlower">One-sided p-value for "slower than the baseline".</param>
/// <param name="PFaster">One-sided p-value for "faster than the baseline".</param>
/// <param name="Verdict">The decision.</param>
internal sealed record Comparison(double Change, double PSlower, double PFaster, Verdict Verdict);

namespace LstmNative.PerfGate.Statistics;

/// <summary>
/// The Hodges–Lehmann estimate of the shift between two samples: the median of all pairwise differences
/// <c>current[j] − baseline[i]</c>. It is the effect size that goes with the Mann–Whitney test, and on log-ratios
/// <c>exp(shift) − 1</c> is the relative slowdown.
/// </summary>
internal static class HodgesLehmann
{
    /// <summary>The shift; NaN when either side is empty.</summary>
    public static double Shift(IReadOnlyList<double> baseline, IReadOnlyList<double> current)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(current);
        var differences = new double[baseline.Count * current.Count];
        int k = 0;
        foreach (double y in current)
            foreach (double x in baseline)
                differences[k++] = y - x;
        return Stats.Median(differences);
    }
}

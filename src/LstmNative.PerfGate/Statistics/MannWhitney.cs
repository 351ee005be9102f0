namespace LstmNative.PerfGate.Statistics;

/// <summary>
/// The Mann–Whitney U (Wilcoxon rank-sum) test: does one sample tend to be larger than another? Rank-based, so a few
/// wild samples (a sample hit by a page fault or a migration) cannot drive the decision, and no distribution is assumed.
/// </summary>
internal static class MannWhitney
{
    /// <summary>
    /// One-sided p-value for "<paramref name="current"/> tends to be larger than <paramref name="baseline"/>", by the normal
    /// approximation with a continuity correction and the tie-corrected variance (accurate for the ≥ 10 samples a side the
    /// gate requires). 1 when either side is empty or every value is equal.
    /// </summary>
    public static double PGreater(IReadOnlyList<double> baseline, IReadOnlyList<double> current)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(current);
        int n1 = baseline.Count, n2 = current.Count;
        if (n1 == 0 || n2 == 0)
            return 1;
        int n = n1 + n2;
        var all = new (double Value, bool IsCurrent)[n];
        for (int i = 0; i < n1; i++)
            all[i] = (baseline[i], false);
        for (int j = 0; j < n2; j++)
            all[n1 + j] = (current[j], true);
        Array.Sort(all, (a, b) => a.Value.CompareTo(b.Value));

        // Mid-ranks for ties; Σ(t³ − t) over tie groups for the variance correction.
        double rankSumCurrent = 0, tieTerm = 0;
        for (int start = 0; start < n;)
        {
            int end = start;
            while (end + 1 < n && all[end + 1].Value.Equals(all[start].Value))
                end++;
            double midRank = (start + end) / 2.0 + 1;
            for (int k = start; k <= end; k++)
                if (all[k].IsCurrent)
                    rankSumCurrent += midRank;
            double t = end - start + 1;
            tieTerm += t * t * t - t;
            start = end + 1;
        }
        double u = rankSumCurrent - n2 * (n2 + 1) / 2.0;
        double mean = n1 * (double)n2 / 2;
        double variance = n1 * (double)n2 / 12 * ((n + 1) - tieTerm / (n * (double)(n - 1)));
        if (variance <= 0)
            return 1;
        double z = (u - mean - 0.5) / Math.Sqrt(variance);
        return NormalDistribution.UpperTail(z);
    }
}

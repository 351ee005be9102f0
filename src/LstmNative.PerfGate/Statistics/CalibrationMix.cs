namespace LstmNative.PerfGate.Statistics;

/// <summary>
/// How much of the memory yardstick's drift to take out of a case's ratio. A case whose weights fit a per-core cache
/// moves with the compute yardstick alone; a case that streams megabytes each step also slows when the neighbours load
/// the shared cache and memory, which the compute yardstick does not feel. Per case the gate fits the slope
/// <c>w</c> of <c>log(case/compute)</c> on <c>log(memory/compute)</c> when the baseline is recorded and judges
/// <c>log(case/compute) − w · log(memory/compute)</c> in every later run with the baseline's <c>w</c>.
/// </summary>
/// <remarks>
/// Measured on the loaded 2-core machine (8 processes × 15 rounds): the process-to-process spread of an H = 256, batch-1
/// case fell from 8.7 % (compute yardstick alone) to 5.6 % (w ≈ 1.5), of a streaming H = 256 case from 10.1 % to 4.4 %,
/// while batched H = 128 cases stayed best near w = 0.2 (2.7 %). The slope is fitted on the per-process medians
/// (not on single rounds, whose measurement noise would bias it towards 0) and bounded to [0, 2].
/// </remarks>
internal static class CalibrationMix
{
    /// <summary>The largest weight fitted.</summary>
    public const double MaxWeight = 2;

    /// <summary>The fewest processes a slope is fitted from; with fewer the weight is 0 (compute yardstick alone).</summary>
    public const int MinLaunches = 3;

    /// <summary>
    /// The weight: least-squares slope of the per-launch medians of <paramref name="caseLogs"/> on those of
    /// <paramref name="memoryLogs"/> (rounds in launch order, <paramref name="launches"/> equal groups), bounded to [0, 2].
    /// </summary>
    public static double Fit(IReadOnlyList<double> caseLogs, IReadOnlyList<double> memoryLogs, int launches)
    {
        ArgumentNullException.ThrowIfNull(caseLogs);
        ArgumentNullException.ThrowIfNull(memoryLogs);
        if (launches < MinLaunches || caseLogs.Count != memoryLogs.Count || caseLogs.Count % launches != 0)
            return 0;
        int per = caseLogs.Count / launches;
        var x = new double[launches];
        var y = new double[launches];
        for (int l = 0; l < launches; l++)
        {
            x[l] = Stats.Median(memoryLogs.Skip(l * per).Take(per));
            y[l] = Stats.Median(caseLogs.Skip(l * per).Take(per));
        }
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0;
        for (int l = 0; l < launches; l++)
        {
            sxy += (x[l] - mx) * (y[l] - my);
            sxx += (x[l] - mx) * (x[l] - mx);
        }
        return sxx <= 1e-12 ? 0 : Math.Clamp(sxy / sxx, 0, MaxWeight);
    }

    /// <summary><c>caseLogs[r] − weight · memoryLogs[r]</c> for every round.</summary>
    public static double[] Adjust(IReadOnlyList<double> caseLogs, IReadOnlyList<double> memoryLogs, double weight)
    {
        ArgumentNullException.ThrowIfNull(caseLogs);
        ArgumentNullException.ThrowIfNull(memoryLogs);
        if (weight == 0)
            return caseLogs.ToArray();
        if (memoryLogs.Count != caseLogs.Count)
            throw new GateException($"{caseLogs.Count} case samples but {memoryLogs.Count} memory-yardstick samples");
        var result = new double[caseLogs.Count];
        for (int r = 0; r < result.Length; r++)
            result[r] = caseLogs[r] - weight * memoryLogs[r];
        return result;
    }
}

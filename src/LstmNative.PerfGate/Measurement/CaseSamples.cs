using LstmNative.PerfGate.Statistics;

namespace LstmNative.PerfGate.Measurement;

/// <summary>
/// One clock's per-round samples for a case: <see cref="Case"/> = log(case time / compute yardstick time) and
/// <see cref="Memory"/> = log(memory yardstick time / compute yardstick time), both per repetition and taken from the
/// yardstick samples right around the case's samples.
/// </summary>
/// <param name="Case">log(case / compute yardstick), one per round.</param>
/// <param name="Memory">log(memory yardstick / compute yardstick), one per round.</param>
internal sealed record RatioSamples(double[] Case, double[] Memory)
{
    /// <summary>No samples (a clock this system does not have).</summary>
    public static RatioSamples Empty { get; } = new([], []);

    /// <summary>Rounds.</summary>
    public int Count => Case.Length;

    /// <summary>The metric the gate judges: <c>Case − weight · Memory</c> per round.</summary>
    public double[] Adjusted(double weight) => CalibrationMix.Adjust(Case, Memory, weight);
}

/// <summary>What was measured for one case, on both clocks.</summary>
/// <param name="Name">The case.</param>
/// <param name="Repetitions">Repetitions per sample (of the first launch, when launches are merged).</param>
/// <param name="Cpu">Thread CPU clock samples (empty where that clock is unavailable).</param>
/// <param name="Wall">Wall clock samples.</param>
/// <param name="MedianCpuSeconds">Median thread CPU time of one repetition.</param>
/// <param name="MedianWallSeconds">Median wall time of one repetition.</param>
internal sealed record CaseSamples(string Name, int Repetitions, RatioSamples Cpu, RatioSamples Wall,
    double MedianCpuSeconds, double MedianWallSeconds)
{
    /// <summary>The samples on <paramref name="clock"/>.</summary>
    public RatioSamples On(ClockKind clock) => clock == ClockKind.ThreadCpu ? Cpu : Wall;
}

/// <summary>A whole measurement: every case, the yardsticks' own timings, and how long it took.</summary>
/// <param name="Cases">Per case, in suite order.</param>
/// <param name="CalibrationCpuSeconds">Median thread CPU time of one compute-yardstick repetition.</param>
/// <param name="CalibrationWallSeconds">Median wall time of one compute-yardstick repetition.</param>
/// <param name="Launches">Processes whose rounds are pooled here, in order (each contributes Rounds / Launches).</param>
/// <param name="ElapsedSeconds">Wall time of the whole measurement.</param>
/// <param name="CpuClockAvailable">Whether thread CPU times were recorded.</param>
internal sealed record SuiteSamples(IReadOnlyList<CaseSamples> Cases, double CalibrationCpuSeconds, double CalibrationWallSeconds,
    int Launches, double ElapsedSeconds, bool CpuClockAvailable)
{
    /// <summary>
    /// Pools the rounds of several launches (each a separate process) into one measurement: samples are concatenated in
    /// launch order, medians are the medians of the launches' medians, the elapsed time is <paramref name="elapsedSeconds"/>.
    /// </summary>
    public static SuiteSamples Merge(IReadOnlyList<SuiteSamples> launches, double elapsedSeconds)
    {
        ArgumentNullException.ThrowIfNull(launches);
        if (launches.Count == 0)
            throw new ArgumentException("nothing to merge", nameof(launches));
        var first = launches[0];
        var cases = first.Cases.Select((c, i) =>
        {
            var parts = launches.Select(l => l.Cases.ElementAtOrDefault(i)).ToList();
            if (parts.Any(p => p?.Name != c.Name))
                throw new GateException($"the measurement processes disagree on case {i + 1} ('{c.Name}')");
            RatioSamples Join(Func<CaseSamples, RatioSamples> clock) =>
                new(parts.SelectMany(p => clock(p!).Case).ToArray(), parts.SelectMany(p => clock(p!).Memory).ToArray());
            return new CaseSamples(c.Name, c.Repetitions, Join(p => p.Cpu), Join(p => p.Wall),
                Stats.Median(parts.Select(p => p!.MedianCpuSeconds)),
                Stats.Median(parts.Select(p => p!.MedianWallSeconds)));
        }).ToList();
        return new SuiteSamples(cases,
            Stats.Median(launches.Select(l => l.CalibrationCpuSeconds)),
            Stats.Median(launches.Select(l => l.CalibrationWallSeconds)),
            launches.Sum(l => l.Launches),
            elapsedSeconds,
            launches.All(l => l.CpuClockAvailable));
    }
}

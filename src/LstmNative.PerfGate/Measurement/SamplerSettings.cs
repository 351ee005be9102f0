namespace LstmNative.PerfGate.Measurement;

/// <summary>How long and how often to measure.</summary>
/// <param name="Rounds">Interleaved rounds; each gives one ratio per case (at least 10, for the rank test).</param>
/// <param name="SampleSeconds">Target length of one sample (the repetitions per sample are sized to it during warm-up).</param>
/// <param name="WarmupSeconds">Minimum time each workload runs per warm-up pass.</param>
/// <param name="Passes">Passes over all cases per round; a round's ratio sums its passes.</param>
internal sealed record SamplerSettings(int Rounds, double SampleSeconds, double WarmupSeconds, int Passes = 5)
{
    /// <summary>
    /// The defaults for one process: 40 rounds of 5 passes, 2 ms case samples (each bracketed by 1 ms yardstick samples),
    /// warm-up passes of at least 30 ms per workload. Short samples interleave the case and the yardsticks finely, so a
    /// change in the machine's load hits both sides of a ratio alike.
    /// </summary>
    public static SamplerSettings Default { get; } = new(40, 0.002, 0.030);

    /// <summary>The fewest rounds the statistics accept.</summary>
    public const int MinRounds = 10;

    /// <summary>Throws <see cref="GateException"/> for settings the gate cannot use.</summary>
    public void Validate()
    {
        if (Rounds < MinRounds || Rounds > 100_000)
            throw new GateException($"rounds must be between {MinRounds} and 100000, got {Rounds}");
        if (!(SampleSeconds > 0 && SampleSeconds <= 10))
            throw new GateException($"the sample time must be between 0 and 10 s, got {SampleSeconds} s");
        if (Passes < 1 || Passes > 1000)
            throw new GateException($"passes per round must be between 1 and 1000, got {Passes}");
        if (!(WarmupSeconds >= 0 && WarmupSeconds <= 60))
            throw new GateException($"the warm-up time must be between 0 and 60 s, got {WarmupSeconds} s");
    }
}

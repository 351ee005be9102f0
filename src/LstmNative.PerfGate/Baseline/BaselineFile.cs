using LstmNative.PerfGate.Machine;
using LstmNative.PerfGate.Measurement;

namespace LstmNative.PerfGate.Baseline;

/// <summary>
/// A recorded baseline: which suite and calibration it belongs to, the machine it was recorded on, and every case's
/// per-round log-ratio samples (the statistical test compares samples, not a single number).
/// </summary>
/// <param name="Suite">Suite name.</param>
/// <param name="SuiteVersion">Suite version.</param>
/// <param name="Calibration">The yardsticks' version (<see cref="Measurement.Calibration.Version"/>).</param>
/// <param name="Recorded">When it was recorded (UTC).</param>
/// <param name="Tool">The gate's version that recorded it (informational).</param>
/// <param name="Machine">The machine it was recorded on.</param>
/// <param name="Rounds">Rounds per case, all processes together.</param>
/// <param name="Launches">Measurement processes; the rounds are stored in process order, Rounds / Launches each.</param>
/// <param name="SampleMs">Target sample length in milliseconds.</param>
/// <param name="CalibrationCpuMs">Median thread CPU time of one calibration repetition (informational).</param>
/// <param name="CalibrationWallMs">Median wall time of one calibration repetition (informational).</param>
/// <param name="Cases">The cases, in suite order.</param>
internal sealed record BaselineFile(
    string Suite,
    int SuiteVersion,
    string Calibration,
    DateTimeOffset Recorded,
    string Tool,
    MachineFacts Machine,
    int Rounds,
    int Launches,
    double SampleMs,
    double CalibrationCpuMs,
    double CalibrationWallMs,
    IReadOnlyList<BaselineCase> Cases)
{
    /// <summary>The value of the "format" property that marks a file as a gate baseline.</summary>
    public const string FormatName = "lstmnative-perf-baseline";

    /// <summary>The layout version this code reads and writes.</summary>
    public const int FormatVersion = 1;

    /// <summary>"suite/version".</summary>
    public string SuiteId => $"{Suite}/{SuiteVersion}";
}

/// <summary>One case of a baseline.</summary>
/// <param name="Config">What was measured, in words; a run whose case differs is refused.</param>
/// <param name="Clock">The clock the case is judged on.</param>
/// <param name="Samples">The samples (both clocks).</param>
/// <param name="CpuWeight">The memory yardstick's weight on the thread CPU clock (<see cref="Statistics.CalibrationMix"/>).</param>
/// <param name="WallWeight">The memory yardstick's weight on the wall clock.</param>
internal sealed record BaselineCase(string Config, ClockKind Clock, CaseSamples Samples, double CpuWeight, double WallWeight)
{
    /// <summary>The case's name.</summary>
    public string Name => Samples.Name;

    /// <summary>The weight on <paramref name="clock"/>.</summary>
    public double Weight(ClockKind clock) => clock == ClockKind.ThreadCpu ? CpuWeight : WallWeight;

    /// <summary>The judged metric's samples on <paramref name="clock"/>.</summary>
    public double[] Adjusted(ClockKind clock) => Samples.On(clock).Adjusted(Weight(clock));

    /// <summary>Fits both clocks' weights to <paramref name="samples"/> recorded in <paramref name="launches"/> processes.</summary>
    public static BaselineCase Record(string config, ClockKind clock, CaseSamples samples, int launches)
    {
        ArgumentNullException.ThrowIfNull(samples);
        return new BaselineCase(config, clock, samples,
            Statistics.CalibrationMix.Fit(samples.Cpu.Case, samples.Cpu.Memory, launches),
            Statistics.CalibrationMix.Fit(samples.Wall.Case, samples.Wall.Memory, launches));
    }
}

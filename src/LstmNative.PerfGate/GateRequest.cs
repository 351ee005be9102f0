using LstmNative.PerfGate.Measurement;
using LstmNative.PerfGate.Statistics;
using LstmNative.PerfGate.Suite;

namespace LstmNative.PerfGate;

/// <summary>What to do when the machine differs from the baseline's (CPU, cores, SIMD width, GPU, driver).</summary>
internal enum OtherMachinePolicy
{
    /// <summary>Warn, and still fail on regressions: ratios to the calibration usually carry over between similar machines.</summary>
    Enforce,

    /// <summary>Warn, and report regressions without failing: for CI pools whose machines vary.</summary>
    Report,
}

/// <summary>One invocation of the gate.</summary>
/// <param name="Suite">The suite to measure.</param>
/// <param name="BaselinePath">The baseline file.</param>
/// <param name="Update">Record a new baseline instead of comparing.</param>
/// <param name="Rule">Threshold and significance level.</param>
/// <param name="Sampler">Rounds, sample and warm-up lengths.</param>
/// <param name="OtherMachine">What a machine mismatch does.</param>
/// <param name="SlowdownSpec">The test hook's value (<see cref="SlowdownHook"/>), normally null.</param>
/// <param name="Launches">Measurement processes; 1 measures in this process.</param>
/// <param name="Worker">How to start a measurement process; null measures in this process.</param>
internal sealed record GateRequest(
    GateSuite Suite,
    string BaselinePath,
    bool Update,
    DecisionRule Rule,
    SamplerSettings Sampler,
    OtherMachinePolicy OtherMachine = OtherMachinePolicy.Enforce,
    string? SlowdownSpec = null,
    int Launches = 1,
    WorkerLaunch? Worker = null);

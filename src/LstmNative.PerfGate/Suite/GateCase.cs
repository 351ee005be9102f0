using LstmNative.PerfGate.Measurement;

namespace LstmNative.PerfGate.Suite;

/// <summary>A case of a suite, before any model is loaded.</summary>
internal abstract class GateCase
{
    protected GateCase(string name) => Name = GateNames.Check(name, "case name");

    /// <summary>The case's name: unique in its suite; used in reports, the baseline and the slowdown hook.</summary>
    public string Name { get; }

    /// <summary>Loads the model and builds the workload; throws <see cref="GateException"/> when the model cannot be used.</summary>
    public abstract PreparedCase Prepare();
}

/// <summary>A case ready to measure.</summary>
/// <param name="Name">The case's name.</param>
/// <param name="Config">What is measured, in words (cell, sizes, threads, ...): must match the baseline's.</param>
/// <param name="Clock">The clock the case is judged on.</param>
/// <param name="Workload">One repetition of the case.</param>
internal sealed record PreparedCase(string Name, string Config, ClockKind Clock, IGateWorkload Workload);

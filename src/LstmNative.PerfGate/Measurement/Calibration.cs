namespace LstmNative.PerfGate.Measurement;

/// <summary>
/// The two frozen yardsticks measured around every case sample: <see cref="ComputeCalibration"/> (a small LSTM whose
/// weights stay in a per-core cache) and <see cref="MemoryCalibration"/> (a matrix-vector product streaming 1 MiB). A
/// case's metric is its time over the compute yardstick's, adjusted by a fitted share of the memory yardstick's drift
/// (<see cref="Statistics.CalibrationMix"/>).
/// </summary>
/// <remarks>
/// Both are deliberately independent of the engine: if they called the engine's kernels, a regression in them would slow
/// the yardstick too and hide itself. They are therefore <b>frozen</b>: any change alters every ratio, so it must come
/// with a new version (baselines recorded with another version are refused and need <c>--update</c>).
/// </remarks>
internal sealed class Calibration : IDisposable
{
    /// <summary>Recorded in baselines.</summary>
    public const string Version = ComputeCalibration.Version + " + " + MemoryCalibration.Version;

    /// <summary>The compute yardstick.</summary>
    public ComputeCalibration Compute { get; } = new();

    /// <summary>The memory yardstick.</summary>
    public MemoryCalibration Memory { get; } = new();

    public void Dispose()
    {
        Compute.Dispose();
        Memory.Dispose();
    }
}

namespace LstmNative.PerfGate.Machine;

/// <summary>
/// What the measurement ran on. Stored with the baseline: ratios to the calibration cancel a machine that is merely
/// slower, but not one whose CPU, core count or SIMD width differ (a case may gain or lose against the calibration there),
/// so the gate warns when these differ.
/// </summary>
/// <param name="Cpu">CPU model (with family and model numbers where the OS gives them).</param>
/// <param name="LogicalCores">Logical processors available to the process.</param>
/// <param name="Simd">The engine's kernel width and the instruction sets behind it.</param>
/// <param name="Gpu">GPU model(s), or "none".</param>
/// <param name="GpuDriver">GPU driver version, or "none".</param>
/// <param name="Os">Operating system (informational).</param>
/// <param name="Runtime">.NET runtime (informational).</param>
internal sealed record MachineFacts(string Cpu, int LogicalCores, string Simd, string Gpu, string GpuDriver, string Os, string Runtime)
{
    /// <summary>
    /// The compared facts (CPU, cores, SIMD, GPU, driver) that differ from <paramref name="baseline"/>'s, as
    /// "what: baseline → now" lines; empty when the machines match.
    /// </summary>
    public IReadOnlyList<string> DifferencesFrom(MachineFacts baseline)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        var result = new List<string>();
        void Compare(string what, string then, string now)
        {
            if (!string.Equals(then, now, StringComparison.Ordinal))
                result.Add($"{what}: '{then}' in the baseline, '{now}' now");
        }
        Compare("CPU", baseline.Cpu, Cpu);
        Compare("logical cores", baseline.LogicalCores.ToString(System.Globalization.CultureInfo.InvariantCulture),
            LogicalCores.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Compare("SIMD", baseline.Simd, Simd);
        Compare("GPU", baseline.Gpu, Gpu);
        Compare("GPU driver", baseline.GpuDriver, GpuDriver);
        return result;
    }
}

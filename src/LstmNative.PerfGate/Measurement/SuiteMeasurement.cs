using LstmNative.PerfGate.Suite;

namespace LstmNative.PerfGate.Measurement;

/// <summary>Measures prepared cases in this process: applies the slowdown hook, then runs the sampler.</summary>
internal static class SuiteMeasurement
{
    /// <summary>Measures <paramref name="cases"/>; <paramref name="slowdownSpec"/> is the test hook's value or null.</summary>
    public static SuiteSamples InProcess(IReadOnlyList<PreparedCase> cases, SamplerSettings settings, string? slowdownSpec, Action<string>? progress)
    {
        ArgumentNullException.ThrowIfNull(cases);
        var slowdown = SlowdownHook.Parse(slowdownSpec);
        var workloads = cases.Select(p => (p.Name, slowdown is { } hook && hook.Case == p.Name ? SlowdownHook.Slow(p.Workload, hook.Fraction, p.Clock) : p.Workload)).ToList();
        using var calibration = new Calibration();
        return new InterleavedSampler(settings, progress).Measure(workloads, calibration);
    }

    /// <summary>Prepares every case of <paramref name="suite"/>, measures them and disposes them (what a worker process does).</summary>
    public static SuiteSamples Prepared(GateSuite suite, SamplerSettings settings, string? slowdownSpec, Action<string>? progress)
    {
        ArgumentNullException.ThrowIfNull(suite);
        var prepared = new List<PreparedCase>();
        try
        {
            foreach (var c in suite.Cases)
                prepared.Add(c.Prepare());
            return InProcess(prepared, settings, slowdownSpec, progress);
        }
        finally
        {
            foreach (var p in prepared)
                p.Workload.Dispose();
        }
    }
}

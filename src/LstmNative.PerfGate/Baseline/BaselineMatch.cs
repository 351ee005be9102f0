using LstmNative.PerfGate.Measurement;
using LstmNative.PerfGate.Suite;

namespace LstmNative.PerfGate.Baseline;

/// <summary>
/// Whether a baseline can judge a run: same suite name and version, same calibration, and the same cases measured the
/// same way. Anything else would compare unlike things, so it is an error (exit 2) that asks for <c>--update</c>.
/// </summary>
internal static class BaselineMatch
{
    /// <summary>Checks the suite identity and calibration (before any model is loaded); returns the baseline.</summary>
    public static BaselineFile CheckSuite(BaselineFile baseline, string path, GateSuite suite)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(suite);
        if (baseline.Suite != suite.Name || baseline.SuiteVersion != suite.Version)
            throw new GateException($"baseline {path} was recorded for suite {baseline.SuiteId}, but this run's suite is {suite.Id}: re-record it with --update");
        if (baseline.Calibration != Calibration.Version)
            throw new GateException($"baseline {path} was recorded with calibration '{baseline.Calibration}', this build uses '{Calibration.Version}': ratios are not comparable; re-record it with --update");
        var expected = suite.Cases.Select(c => c.Name).ToList();
        var recorded = baseline.Cases.Select(c => c.Name).ToList();
        var missing = expected.Except(recorded, StringComparer.Ordinal).ToList();
        var extra = recorded.Except(expected, StringComparer.Ordinal).ToList();
        if (missing.Count > 0 || extra.Count > 0)
            throw new GateException($"baseline {path} does not match suite {suite.Id}"
                + (missing.Count > 0 ? $"; cases not in the baseline: {string.Join(", ", missing)}" : "")
                + (extra.Count > 0 ? $"; cases only in the baseline: {string.Join(", ", extra)}" : "")
                + " (bump the suite version and re-record it with --update)");
        return baseline;
    }

    /// <summary>Checks each prepared case's configuration and clock against the baseline's.</summary>
    public static void CheckCases(BaselineFile baseline, string path, IEnumerable<PreparedCase> cases)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(cases);
        foreach (var c in cases)
        {
            var b = baseline.Cases.First(x => x.Name == c.Name);
            if (b.Config != c.Config)
                throw new GateException($"baseline {path}: case '{c.Name}' was recorded as '{b.Config}' but is now '{c.Config}': re-record the baseline with --update");
            if (b.Clock != c.Clock)
                throw new GateException($"baseline {path}: case '{c.Name}' was judged on the {b.Clock.Name()} clock, now on {c.Clock.Name()}: re-record the baseline with --update");
            if (b.Samples.On(c.Clock).Count < SamplerSettings.MinRounds)
                throw new GateException($"baseline {path}: case '{c.Name}' has no {c.Clock.Name()} samples");
        }
    }
}

using LstmNative.PerfGate;
using LstmNative.PerfGate.Baseline;
using LstmNative.PerfGate.Machine;
using LstmNative.PerfGate.Measurement;
using LstmNative.PerfGate.Statistics;

namespace LstmNative.Tests.Gate;

/// <summary>Synthetic baselines and reports, so file formats and reports are tested without measuring anything.</summary>
internal static class GateTestData
{
    public static MachineFacts Machine(string cpu = "Test CPU (family 1, model 2)") =>
        new(cpu, 2, "Vector256 (AVX2+FMA)", "none", "none", "Linux test", ".NET 10.0.0");

    public static CaseSamples Samples(string name, double logRatio, int rounds = 20, int seed = 1)
    {
        var rng = new Random(seed);
        double[] Noisy(double center) => Enumerable.Range(0, rounds).Select(_ => center + (rng.NextDouble() - 0.5) * 0.02).ToArray();
        return new CaseSamples(name, 7,
            new RatioSamples(Noisy(logRatio), Noisy(0.3)),
            new RatioSamples(Noisy(logRatio + 0.1), Noisy(0.3)),
            0.00123, 0.00456);
    }

    public static BaselineFile Baseline(params (string Name, double LogRatio)[] cases) => new(
        "builtin", 1, Calibration.Version, new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero), "lstmnative-gate test", Machine(),
        20, 2, 2.0, 0.2, 0.5,
        cases.Select((c, i) => new BaselineCase($"config of {c.Name}", ClockKind.ThreadCpu, Samples(c.Name, c.LogRatio, seed: i + 1), 0.25, 0.5)).ToList());

    /// <summary>A comparison of <paramref name="baseline"/> with current samples at the given log-ratios.</summary>
    public static GateReport Report(BaselineFile baseline, double[] currentLogRatios, bool enforced = true, IReadOnlyList<string>? warnings = null)
    {
        var rule = DecisionRule.Default;
        var cases = baseline.Cases.Select((b, i) =>
        {
            var current = Samples(b.Name, currentLogRatios[i], seed: 100 + i);
            var comparison = rule.Judge(b.Adjusted(ClockKind.ThreadCpu), current.Cpu.Adjusted(b.CpuWeight));
            var other = rule.Judge(b.Adjusted(ClockKind.Wall), current.Wall.Adjusted(b.WallWeight));
            return new CaseResult(b.Name, b.Config, ClockKind.ThreadCpu, current, b, comparison, other);
        }).ToList();
        var samples = new SuiteSamples(cases.Select(c => c.Current).ToList(), 0.0002, 0.0005, 1, 12.5, true);
        return new GateReport("builtin/1", baseline.Recorded.AddHours(1), Machine(), baseline, warnings ?? [], rule, samples, cases, enforced, null);
    }
}

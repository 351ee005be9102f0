using LstmNative.PerfGate.Statistics;
using NUnit.Framework;

namespace LstmNative.Tests.Gate;

/// <summary>The gate's statistics on known distributions: identical samples pass, clearly shifted ones fail.</summary>
public class StatisticsTests
{
    private static double[] LogNormal(Random rng, int n, double shift, double sigma = 0.05) =>
        Enumerable.Range(0, n).Select(_ => shift + sigma * Gaussian(rng)).ToArray();

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    [TestCase(0.0, 1.0)]
    [TestCase(1.0, 0.157299207)]
    [TestCase(-1.0, 1.842700793)]
    [TestCase(2.5, 4.06952017e-4)]
    public void ErfcMatchesTables(double x, double expected) =>
        Assert.That(NormalDistribution.Erfc(x), Is.EqualTo(expected).Within(2e-7 * Math.Max(1, expected) + 1e-9));

    [Test]
    public void UpperTailAtTheUsualCriticalValues()
    {
        Assert.That(NormalDistribution.UpperTail(1.959964), Is.EqualTo(0.025).Within(1e-6));
        Assert.That(NormalDistribution.UpperTail(2.326348), Is.EqualTo(0.01).Within(1e-6));
    }

    [Test]
    public void MannWhitneyOnSeparatedSamplesMatchesTheNormalApproximation()
    {
        double[] low = Enumerable.Range(1, 10).Select(i => (double)i).ToArray();
        double[] high = Enumerable.Range(11, 10).Select(i => (double)i).ToArray();
        // U = 100, mean 50, variance 10·10·21/12 = 175, continuity-corrected z = 49.5 / √175.
        double expected = NormalDistribution.UpperTail(49.5 / Math.Sqrt(175));
        Assert.That(MannWhitney.PGreater(low, high), Is.EqualTo(expected).Within(1e-12));
        Assert.That(MannWhitney.PGreater(low, high), Is.LessThan(1e-3));
        Assert.That(MannWhitney.PGreater(high, low), Is.GreaterThan(0.999));
    }

    [Test]
    public void MannWhitneyHandlesTiesAndDegenerateSamples()
    {
        Assert.That(MannWhitney.PGreater([1, 1, 1], [1, 1, 1]), Is.EqualTo(1), "all equal: no evidence");
        Assert.That(MannWhitney.PGreater([], [1, 2]), Is.EqualTo(1));
        double p = MannWhitney.PGreater([1, 2, 2, 3, 3, 3, 4, 5, 5, 6], [2, 3, 3, 4, 5, 5, 6, 6, 7, 8]);
        Assert.That(p, Is.InRange(0.01, 0.2), "a modest shift with ties");
    }

    [Test]
    public void IdenticalSamplesGiveAMiddlingPValue()
    {
        var x = LogNormal(new Random(1), 50, 0);
        Assert.That(MannWhitney.PGreater(x, x), Is.InRange(0.45, 0.55));
        Assert.That(HodgesLehmann.Shift(x, x), Is.EqualTo(0).Within(1e-12));
    }

    [Test]
    public void HodgesLehmannRecoversAShift()
    {
        var x = LogNormal(new Random(2), 40, 0);
        var y = x.Select(v => v + 0.3).ToArray();
        Assert.That(HodgesLehmann.Shift(x, y), Is.EqualTo(0.3).Within(1e-12));
        Assert.That(HodgesLehmann.Shift(x, LogNormal(new Random(3), 40, 0.3)), Is.EqualTo(0.3).Within(0.03));
    }

    [Test]
    public void SameDistributionPassesShiftedFailsSmallShiftPassesFasterImproves()
    {
        var rule = DecisionRule.Default;
        var rng = new Random(4);
        var baseline = LogNormal(rng, 150, 0);
        Assert.That(rule.Judge(baseline, LogNormal(rng, 50, 0)).Verdict, Is.EqualTo(Verdict.Pass));
        var slower = rule.Judge(baseline, LogNormal(rng, 50, Math.Log(1.2)));
        Assert.That(slower.Verdict, Is.EqualTo(Verdict.Regressed));
        Assert.That(slower.Change, Is.EqualTo(0.2).Within(0.03));
        Assert.That(slower.PSlower, Is.LessThan(1e-6));
        // Significant but under the threshold: the gate must not fail on a real 5 % change.
        var small = rule.Judge(baseline, LogNormal(rng, 50, Math.Log(1.05)));
        Assert.That(small.PSlower, Is.LessThan(0.01));
        Assert.That(small.Verdict, Is.EqualTo(Verdict.Pass));
        Assert.That(rule.Judge(baseline, LogNormal(rng, 50, Math.Log(0.8))).Verdict, Is.EqualTo(Verdict.Improved));
    }

    [Test]
    public void AboveTheThresholdButNotSignificantPasses()
    {
        // Two wildly noisy samples whose medians differ by 15 %: not enough evidence at p < 0.01.
        var rng = new Random(5);
        var comparison = DecisionRule.Default.Judge(LogNormal(rng, 10, 0, sigma: 1), LogNormal(rng, 10, Math.Log(1.15), sigma: 1));
        Assert.That(comparison.PSlower, Is.GreaterThan(0.01));
        Assert.That(comparison.Verdict, Is.EqualTo(Verdict.Pass));
    }

    [Test]
    public void FalseAlarmRateOnIdenticalDistributionsIsZeroAtTheDefaultRule()
    {
        var rng = new Random(6);
        int alarms = 0;
        for (int trial = 0; trial < 300; trial++)
            if (DecisionRule.Default.Judge(LogNormal(rng, 150, 0), LogNormal(rng, 50, 0)).Verdict != Verdict.Pass)
                alarms++;
        Assert.That(alarms, Is.Zero);
    }

    [TestCase(0.0, 0.01)]
    [TestCase(0.1, 0.0)]
    [TestCase(0.1, 0.5)]
    public void RuleValidationRejectsNonsense(double threshold, double alpha) =>
        Assert.That(() => new DecisionRule(threshold, alpha).Validate(), Throws.TypeOf<LstmNative.PerfGate.GateException>());

    [Test]
    public void QuantilesInterpolate()
    {
        Assert.That(Stats.Median([3, 1, 2]), Is.EqualTo(2));
        Assert.That(Stats.Median([4, 1, 3, 2]), Is.EqualTo(2.5));
        Assert.That(Stats.Quantile([1, 2, 3, 4, 5], 0.25), Is.EqualTo(2));
        Assert.That(double.IsNaN(Stats.Median([])), Is.True);
    }
}

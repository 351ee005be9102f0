using LstmNative.PerfGate.Statistics;
using NUnit.Framework;

namespace LstmNative.Tests.Gate;

/// <summary>The memory yardstick's weight: fitted across processes, bounded, and applied round by round.</summary>
public class CalibrationMixTests
{
    /// <summary>Rounds in launch order: each launch has its own memory drift; the case follows it with <paramref name="slope"/>.</summary>
    private static (double[] Case, double[] Memory) Launches(double slope, int launches, int perLaunch, int seed)
    {
        var rng = new Random(seed);
        var caseLogs = new List<double>();
        var memoryLogs = new List<double>();
        for (int l = 0; l < launches; l++)
        {
            double drift = (rng.NextDouble() - 0.5) * 0.2;
            for (int r = 0; r < perLaunch; r++)
            {
                double noise = (rng.NextDouble() - 0.5) * 0.01;
                memoryLogs.Add(drift + (rng.NextDouble() - 0.5) * 0.01);
                caseLogs.Add(1.5 + slope * drift + noise);
            }
        }
        return (caseLogs.ToArray(), memoryLogs.ToArray());
    }

    [TestCase(0.0)]
    [TestCase(0.7)]
    [TestCase(1.5)]
    public void FitsTheSlopeAcrossLaunches(double slope)
    {
        var (c, m) = Launches(slope, launches: 10, perLaunch: 10, seed: 1);
        Assert.That(CalibrationMix.Fit(c, m, 10), Is.EqualTo(slope).Within(0.1));
    }

    [Test]
    public void BoundsTheWeight()
    {
        var (c, m) = Launches(-1, 10, 10, 2);
        Assert.That(CalibrationMix.Fit(c, m, 10), Is.Zero);
        (c, m) = Launches(5, 10, 10, 3);
        Assert.That(CalibrationMix.Fit(c, m, 10), Is.EqualTo(CalibrationMix.MaxWeight));
    }

    [Test]
    public void TooFewLaunchesOrMismatchedCountsGiveZero()
    {
        var (c, m) = Launches(1, 2, 10, 4);
        Assert.That(CalibrationMix.Fit(c, m, 2), Is.Zero);
        Assert.That(CalibrationMix.Fit(c, m[..^1], 2), Is.Zero);
    }

    [Test]
    public void AdjustSubtractsTheWeightedMemoryDrift()
    {
        Assert.That(CalibrationMix.Adjust([1.0, 2.0], [0.5, -0.5], 2), Is.EqualTo(new[] { 0.0, 3.0 }));
        Assert.That(CalibrationMix.Adjust([1.0, 2.0], [], 0), Is.EqualTo(new[] { 1.0, 2.0 }), "weight 0 needs no memory samples");
    }

    [Test]
    public void AdjustingRemovesTheSharedDrift()
    {
        var (c, m) = Launches(1.0, 10, 10, 5);
        var adjusted = CalibrationMix.Adjust(c, m, CalibrationMix.Fit(c, m, 10));
        double Spread(double[] v) => Stats.Quantile(v, 0.9) - Stats.Quantile(v, 0.1);
        Assert.That(Spread(adjusted), Is.LessThan(Spread(c) / 3));
    }
}

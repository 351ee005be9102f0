using System.Diagnostics;
using LstmNative.PerfGate;
using LstmNative.PerfGate.Measurement;
using NUnit.Framework;

namespace LstmNative.Tests.Gate;

/// <summary>The test hook that makes one case really slower.</summary>
public class SlowdownHookTests
{
    [Test]
    public void ParsesCaseAndFraction()
    {
        Assert.That(SlowdownHook.Parse("lstm-h256-b1-t50:0.2"), Is.EqualTo(("lstm-h256-b1-t50", 0.2)));
        Assert.That(SlowdownHook.Parse(null), Is.Null);
        Assert.That(SlowdownHook.Parse(" "), Is.Null);
    }

    [TestCase("no-colon")]
    [TestCase(":0.2")]
    [TestCase("case:abc")]
    [TestCase("case:0")]
    [TestCase("case:-0.5")]
    [TestCase("case:11")]
    public void RejectsMalformedValues(string text) =>
        Assert.That(() => SlowdownHook.Parse(text), Throws.TypeOf<GateException>().With.Message.Contains(SlowdownHook.Variable));

    [Test]
    public void EachRepetitionTakesTheFractionLongerAndStillRunsTheCase()
    {
        // A workload of 2 ms of thread CPU time per repetition (wall time where that clock is missing), made 50 % slower.
        var clock = ThreadCpuClock.IsAvailable ? ClockKind.ThreadCpu : ClockKind.Wall;
        var busy = new Busy(0.002, clock);
        var slowed = SlowdownHook.Slow(busy, 0.5, clock);
        slowed.Run();
        double Seconds(IGateWorkload w)
        {
            var start = ClockReading.Now();
            for (int i = 0; i < 10; i++)
                w.Run();
            return ClockReading.Now().Since(start).On(clock);
        }
        double plain = Seconds(busy), slow = Seconds(slowed);
        Assert.That(busy.Calls, Is.EqualTo(21), "the case itself still runs once per repetition");
        Assert.That(slow / plain, Is.InRange(1.4, 1.7));
    }

    /// <summary>Burns a fixed time on one clock per repetition.</summary>
    private sealed class Busy(double seconds, ClockKind clock) : IGateWorkload
    {
        public int Calls { get; private set; }

        public void Run()
        {
            Calls++;
            var start = ClockReading.Now();
            double x = 1;
            while (ClockReading.Now().Since(start).On(clock) < seconds)
                x = Math.Sqrt(x + 1);
            GC.KeepAlive(x);
        }

        public void Dispose()
        {
        }
    }
}

using LstmNative.PerfGate;
using LstmNative.PerfGate.Measurement;
using NUnit.Framework;

namespace LstmNative.Tests.Gate;

/// <summary>The test hook that makes one case do extra real work.</summary>
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

    [TestCase(0.2, 100, 120)]
    [TestCase(0.25, 8, 10)]
    [TestCase(1.5, 10, 25)]
    public void DoesTheExtraRepetitionsOfTheCaseItself(double fraction, int runs, int expected)
    {
        var counter = new Counter();
        var slowed = SlowdownHook.Slow(counter, fraction);
        for (int i = 0; i < runs; i++)
            slowed.Run();
        Assert.That(counter.Calls, Is.EqualTo(expected));
    }

    private sealed class Counter : IGateWorkload
    {
        public int Calls { get; private set; }

        public void Run() => Calls++;

        public void Dispose()
        {
        }
    }
}

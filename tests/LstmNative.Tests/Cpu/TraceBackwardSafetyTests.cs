using System.Collections.Concurrent;
using System.Diagnostics;
using LstmNative.Cpu;
using LstmNative.Model;
using NUnit.Framework;
using static LstmNative.Tests.Cpu.CpuTestSupport;

namespace LstmNative.Tests.Cpu;

/// <summary>
/// CpuRnn.Backward and its trace: the lengths it walks are the ones the forward pass ran with (the trace shows them
/// read-only; a writable array let a caller crash the process or get silently wrong gradients), and two Backward
/// calls on one trace at once are refused instead of sharing the trace's buffers.
/// </summary>
[NonParallelizable]
public class TraceBackwardSafetyTests
{
    private static LayerWeights<float> Layer(RnnCellType cell, int input, int hidden, RnnDirection dir) =>
        new LayerWeights<float>(new RnnLayerOptions(cell, input, hidden, dir)).Randomize(new Random(1), 0.3);

    [Test]
    public void TraceLengthsCannotBeChanged([Values(RnnDirection.Forward, RnnDirection.Reverse)] RnnDirection dir)
    {
        const int steps = 4, batch = 2;
        var layer = Layer(RnnCellType.Lstm, 5, 8, dir);
        var trace = CpuRnn.Forward(layer, RandomFloats(new Random(2), steps * batch * 5, 1), steps, batch, [3, 4], [], []);
        var dyh = RandomFloats(new Random(3), batch * 8, 1);
        var before = CpuRnn.Backward(trace, [], dyh, []);

        Assert.That(trace.Lengths, Is.EqualTo(new[] { 3, 4 }));
        // The audit's crash: trace.Lengths[0] = 500_000_000 made Backward pack rows far outside the input.
        Assert.Throws<NotSupportedException>(() => ((IList<int>)trace.Lengths)[0] = 500_000_000);
        Assert.That(trace.Lengths, Is.Not.InstanceOf<int[]>(), "a caller could cast the lengths back to an array and write them");

        var after = CpuRnn.Backward(trace, [], dyh, []);
        Assert.That(after.DX, Is.EqualTo(before.DX));
        Assert.That(after.Weights.Directions[0].W, Is.EqualTo(before.Weights.Directions[0].W));
    }

    [Test]
    public void TheLengthsPassedToForwardAreCopied()
    {
        const int steps = 4, batch = 2;
        var layer = Layer(RnnCellType.Gru, 5, 8, RnnDirection.Reverse);
        var x = RandomFloats(new Random(2), steps * batch * 5, 1);
        var lengths = new[] { 2, 4 };
        var trace = CpuRnn.Forward(layer, x, steps, batch, lengths, [], []);
        var dyh = RandomFloats(new Random(3), batch * 8, 1);
        var expected = CpuRnn.Backward(trace, [], dyh, []);
        lengths[0] = 1_000_000; // the caller's array is the caller's: the trace kept its own copy
        Assert.That(trace.Lengths[0], Is.EqualTo(2));
        Assert.That(CpuRnn.Backward(trace, [], dyh, []).DX, Is.EqualTo(expected.DX));
    }

    [Test]
    public void ConcurrentBackwardOnOneTraceIsRefusedNotRaced()
    {
        var layer = Layer(RnnCellType.Lstm, 16, 96, RnnDirection.Bidirectional);
        const int steps = 12, batch = 3;
        var options = Options(CpuRnn.ActiveWidth, 2);
        var trace = CpuRnn.Forward(layer, RandomFloats(new Random(1), steps * batch * 16, 1), steps, batch, [], [], [], options);
        var dy = RandomFloats(new Random(2), steps * 2 * batch * 96, 1);
        var expected = CpuRnn.Backward(trace, dy, [], []);
        int wrong = 0, ok = 0, refused = 0;
        var unexpected = new ConcurrentBag<Exception>();
        var clock = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            while (clock.Elapsed < TimeSpan.FromSeconds(2) && Volatile.Read(ref refused) < 20)
            {
                try
                {
                    var g = CpuRnn.Backward(trace, dy, [], []);
                    bool same = g.DX.AsSpan().SequenceEqual(expected.DX)
                        && g.Weights.Directions[1].R.AsSpan().SequenceEqual(expected.Weights.Directions[1].R);
                    Interlocked.Increment(ref same ? ref ok : ref wrong);
                }
                catch (InvalidOperationException e) when (e.Message.Contains("another Backward on the same trace", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref refused);
                }
                catch (Exception e)
                {
                    unexpected.Add(e);
                }
            }
        })).ToArray();
        Assert.That(Task.WaitAll(tasks, TimeSpan.FromSeconds(60)), Is.True, "concurrent Backward hung");
        TestContext.Out.WriteLine($"ok {ok}, refused {refused}, wrong {wrong}");
        Assert.That(unexpected, Is.Empty, "a concurrent Backward failed with something other than a clear refusal");
        Assert.That(wrong, Is.Zero, "a Backward that was let in returned wrong gradients");
        Assert.That(refused, Is.GreaterThan(0), "concurrent use was never detected");
        Assert.That(CpuRnn.Backward(trace, dy, [], []).DX, Is.EqualTo(expected.DX), "the trace is still usable afterwards");
    }
}

using System.Diagnostics;
using LstmNative.Gpu.Inference;
using LstmNative.Gpu.Tests.Emulation;
using LstmNative.Model;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Inference;

/// <summary>Issue 18: one GPU session used from two threads at once is refused with an exception (on the CPU emulation).</summary>
public class SessionThreadingTests
{
    [Test]
    public void TwoThreadsInOneSessionGetAnExceptionNotWrongOutputs()
    {
        const int input = 3, hidden = 8, steps = 40, batch = 2;
        var backend = new EmulatedBackend();
        var layers = InferenceReference.RandomStack(RnnCellType.Lstm, input, hidden, 1, RnnDirection.Forward, LayerFeatures.None, 1);
        using var model = new GpuRnnModel(backend, layers, GpuInferenceOptions.Default);
        using var session = model.CreateSession(batch, steps);
        var x = new[] { InferenceReference.Random(steps * batch * input, 2), InferenceReference.Random(steps * batch * input, 3) };
        var expected = x.Select(xi =>
        {
            var y = new float[steps * batch * hidden];
            session.Run(xi, steps, batch, y);
            return y;
        }).ToArray();

        int refused = 0, wrong = 0;
        var clock = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, 2).Select(k => new Thread(() =>
        {
            var y = new float[steps * batch * hidden];
            while (clock.Elapsed < TimeSpan.FromSeconds(5) && Volatile.Read(ref refused) < 5)
            {
                try
                {
                    session.Run(x[k], steps, batch, y);
                    if (!y.AsSpan().SequenceEqual(expected[k]))
                        Interlocked.Increment(ref wrong);
                }
                catch (InvalidOperationException e) when (e.Message.Contains("another call on the same session is in progress", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref refused);
                }
            }
        }) { IsBackground = true }).ToArray();
        foreach (var t in threads)
            t.Start();
        foreach (var t in threads)
            Assert.That(t.Join(TimeSpan.FromSeconds(60)), Is.True, "a session used from two threads hung");
        Assert.That(wrong, Is.Zero, "a run that was let in returned wrong outputs");
        Assert.That(refused, Is.GreaterThan(0), "concurrent entry was never detected");
    }
}

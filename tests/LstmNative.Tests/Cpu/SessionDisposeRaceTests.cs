using System.Diagnostics;
using LstmNative.Cpu;
using LstmNative.Model;
using NUnit.Framework;
using static LstmNative.Tests.Cpu.CpuTestSupport;

namespace LstmNative.Tests.Cpu;

/// <summary>
/// Dispose of a session (and of what owns sessions) while a Run is in progress on another thread: Dispose waits for
/// that call, which completes normally, and later calls throw <see cref="ObjectDisposedException"/>. Before the fix
/// Dispose released the workers under the running call, which then waited for them forever.
/// </summary>
[NonParallelizable]
public class SessionDisposeRaceTests
{
    private static CpuRnnModel Model(RnnCellType cell, int input, int hidden) => new(
    [
        new LayerWeights<float>(new RnnLayerOptions(cell, input, hidden)).Randomize(new Random(1), 0.3),
        new LayerWeights<float>(new RnnLayerOptions(cell, hidden, hidden)).Randomize(new Random(2), 0.3),
    ]);

    [Test]
    public void DisposeRacingARunNeverHangsAndARunThatFinishesIsRight(
        [Values(RnnCellType.Lstm, RnnCellType.Gru)] RnnCellType cell, [Values(1, 2)] int threads)
    {
        const int input = 7, hidden = 96, steps = 8, batch = 2;
        var model = Model(cell, input, hidden);
        var x = RandomFloats(new Random(3), steps * batch * input, 1);
        var expected = new float[steps * batch * hidden];
        using (var reference = model.CreateSession(batch, steps))
            reference.Run(x, steps, batch, expected);
        var rng = new Random(5);
        var outcomes = new Dictionary<string, int>();
        var clock = Stopwatch.StartNew();
        for (int round = 0; round < 300 && clock.Elapsed < TimeSpan.FromSeconds(20); round++)
        {
            var session = model.CreateSession(batch, steps, threads);
            var y = new float[expected.Length];
            session.Run(x, steps, batch, y); // warm: the workers are awake and spinning
            Exception? error = null;
            int wrong = 0;
            using var go = new ManualResetEventSlim();
            var runner = new Thread(() =>
            {
                go.Set();
                try
                {
                    while (true)
                    {
                        session.Run(x, steps, batch, y);
                        if (!y.AsSpan().SequenceEqual(expected))
                            wrong++;
                    }
                }
                catch (Exception e)
                {
                    error = e;
                }
            }) { IsBackground = true };
            runner.Start();
            go.Wait();
            var spin = Stopwatch.StartNew();
            long wait = rng.Next(0, 4000); // land Dispose anywhere in a call
            while (spin.ElapsedTicks < wait)
                Thread.SpinWait(10);
            var dispose = Task.Run(session.Dispose);
            Assert.That(dispose.Wait(TimeSpan.FromSeconds(10)), Is.True, $"round {round}: Dispose hung");
            Assert.That(runner.Join(TimeSpan.FromSeconds(10)), Is.True, $"round {round}: the Run in progress hung after Dispose");
            Assert.That(error, Is.InstanceOf<ObjectDisposedException>(), $"round {round}: the runner stopped with {error}");
            Assert.That(wrong, Is.Zero, $"round {round}: a Run that completed returned wrong outputs");
            string key = error!.GetType().Name;
            outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
        }
        TestContext.Out.WriteLine(string.Join(", ", outcomes.Select(kv => $"{kv.Key} x{kv.Value}")));
    }

    [Test]
    public void DisposeFromTwoThreadsAtOnceReturnsOnBoth()
    {
        for (int round = 0; round < 50; round++)
        {
            var session = Model(RnnCellType.Lstm, 4, 16).CreateSession(2, 4, threads: 2);
            using var start = new Barrier(2);
            var both = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
            {
                start.SignalAndWait();
                session.Dispose();
            })).ToArray();
            Assert.That(Task.WaitAll(both, TimeSpan.FromSeconds(10)), Is.True, $"round {round}: a Dispose hung");
            Assert.Throws<ObjectDisposedException>(() => session.Run(new float[4 * 2 * 4], 4, 2, []));
        }
    }

    [Test]
    public void DisposingACalibratorWhileItObservesNeverHangs()
    {
        // Int8Calibrator (like CpuPackedLayerEngine and QuantizedModule) disposes sessions: the same wait protects it.
        var layers = new[] { new LayerWeights<float>(new RnnLayerOptions(RnnCellType.Lstm, 6, 64)).Randomize(new Random(4), 0.3) };
        var x = RandomFloats(new Random(6), 8 * 2 * 6, 1);
        for (int round = 0; round < 50; round++)
        {
            var calibrator = new Int8Calibrator(layers, 2, 8);
            Exception? error = null;
            using var go = new ManualResetEventSlim();
            var observer = new Thread(() =>
            {
                go.Set();
                try
                {
                    while (true)
                        calibrator.Observe(x, 8, 2);
                }
                catch (Exception e)
                {
                    error = e;
                }
            }) { IsBackground = true };
            observer.Start();
            go.Wait();
            Thread.SpinWait(round * 200);
            Assert.That(Task.Run(calibrator.Dispose).Wait(TimeSpan.FromSeconds(10)), Is.True, $"round {round}: Dispose hung");
            Assert.That(observer.Join(TimeSpan.FromSeconds(10)), Is.True, $"round {round}: Observe hung after Dispose");
            Assert.That(error, Is.InstanceOf<ObjectDisposedException>(), $"round {round}: Observe stopped with {error}");
        }
    }
}

using System.Diagnostics;
using System.Runtime.CompilerServices;
using LstmNative.Cpu;
using LstmNative.Model;
using NUnit.Framework;
using static LstmNative.Tests.Cpu.CpuTestSupport;

namespace LstmNative.Tests.Cpu;

/// <summary>Issue 18: one session from two threads is refused, the session pool, and undisposed sessions' threads.</summary>
[NonParallelizable]
public class SessionThreadingTests
{
    private static CpuRnnModel Model(int input, int hidden)
    {
        var o = new RnnLayerOptions(RnnCellType.Lstm, input, hidden);
        return new CpuRnnModel([new LayerWeights<float>(o).Randomize(new Random(3), 0.3)]);
    }

    [TestCase(1)]
    [TestCase(2)]
    public void TwoThreadsInOneSessionGetAnExceptionNotWrongOutputsOrAHang(int threads)
    {
        const int input = 8, hidden = 32, steps = 200, batch = 2;
        var model = Model(input, hidden);
        using var session = model.CreateSession(batch, steps, threads);
        var x = new[] { RandomFloats(new Random(1), steps * batch * input, 1), RandomFloats(new Random(2), steps * batch * input, 1) };
        var expected = x.Select(xi =>
        {
            using var s = model.CreateSession(batch, steps);
            var y = new float[steps * batch * hidden];
            s.Run(xi, steps, batch, y);
            return y;
        }).ToArray();

        int refused = 0, wrong = 0;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, 2).Select(k => new Thread(() =>
        {
            var y = new float[steps * batch * hidden];
            while (clock.Elapsed < TimeSpan.FromSeconds(3) && Volatile.Read(ref refused) < 20)
            {
                try
                {
                    session.Run(x[k], steps, batch, y);
                    if (!y.AsSpan().SequenceEqual(expected[k]))
                        Interlocked.Increment(ref wrong);
                }
                catch (InvalidOperationException e)
                {
                    Assert.That(e.Message, Does.Contain("another call on the same session is in progress"));
                    Interlocked.Increment(ref refused);
                }
            }
        }) { IsBackground = true }).ToArray();
        foreach (var t in workers)
            t.Start();
        foreach (var t in workers)
            Assert.That(t.Join(TimeSpan.FromSeconds(30)), Is.True, "a session used from two threads hung");
        Assert.That(wrong, Is.Zero, "a run that was let in returned wrong outputs");
        Assert.That(refused, Is.GreaterThan(0), "concurrent entry was never detected");
        // The session is still usable afterwards.
        var after = new float[steps * batch * hidden];
        session.Run(x[0], steps, batch, after);
        Assert.That(after, Is.EqualTo(expected[0]));
    }

    [Test]
    public void APoolServesManyThreadsWithCorrectResults()
    {
        const int input = 4, hidden = 16, steps = 20, batch = 3;
        var model = Model(input, hidden);
        var x = RandomFloats(new Random(5), steps * batch * input, 1);
        var expected = new float[steps * batch * hidden];
        using (var s = model.CreateSession(batch, steps))
            s.Run(x, steps, batch, expected);
        using var pool = new CpuRnnSessionPool(model, batch, steps);
        int wrong = 0;
        Parallel.For(0, 200, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            var y = new float[steps * batch * hidden];
            using (var lease = pool.Rent())
                lease.Session.Run(x, steps, batch, y);
            if (!y.AsSpan().SequenceEqual(expected))
                Interlocked.Increment(ref wrong);
        });
        Assert.That(wrong, Is.Zero);
        Assert.That(pool.Count, Is.InRange(1, 4));
        var lease2 = pool.Rent();
        lease2.Dispose();
        lease2.Dispose(); // twice is harmless
        Assert.That(() => lease2.Session, Throws.InstanceOf<ObjectDisposedException>());
    }

    [Test]
    public void UndisposedSessionsReleaseTheirThreads()
    {
        var model = Model(2, 4);
        int before = LiveThreads();
        const int sessions = 200;
        CreateAndDrop(model, sessions);
        var clock = Stopwatch.StartNew();
        int now;
        do
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Thread.Sleep(50);
            now = LiveThreads();
        }
        while (now > before + 20 && clock.Elapsed < TimeSpan.FromSeconds(20));
        Assert.That(now, Is.LessThanOrEqualTo(before + 20), $"{sessions} undisposed sessions of 2 threads: {now - before} threads still live");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CreateAndDrop(CpuRnnModel model, int count)
    {
        var x = new float[2];
        var y = new float[4];
        for (int i = 0; i < count; i++)
        {
            var s = model.CreateSession(1, 1, threads: 2);
            s.Run(x, 1, 1, y);
        }
    }

    private static int LiveThreads()
    {
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return p.Threads.Count;
    }
}

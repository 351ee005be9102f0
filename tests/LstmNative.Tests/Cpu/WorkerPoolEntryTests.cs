using System.Diagnostics;
using LstmNative.Cpu;
using NUnit.Framework;

namespace LstmNative.Tests.Cpu;

/// <summary>
/// How workers join a pool job. A job whose work is claimed (done when its caller returns) is shut when the caller is
/// done: a worker that had not joined is not waited for and never runs it later. Every other job waits for each
/// worker's share, however late that worker is.
/// </summary>
[NonParallelizable] // sets WorkerPool's static hook
public class WorkerPoolEntryTests
{
    [TearDown]
    public void ClearHook() => WorkerPool.BeforeEnterHook = null;

    [Test]
    public void AStaticJobWaitsForALateWorkersShare([Values(2, 3)] int threads)
    {
        using var pool = new WorkerPool(threads);
        // Each worker is held a little before it joins, as if the OS ran it late.
        WorkerPool.BeforeEnterHook = _ => Thread.Sleep(50);
        for (int round = 0; round < 3; round++)
        {
            var job = new RecordingJob(threads, doneWhenCallerReturns: false);
            pool.Run(job, threads);
            Assert.That(job.Ran, Is.All.EqualTo(1), $"round {round}: every worker's share ran exactly once before Run returned");
        }
    }

    [Test]
    public void AClaimedJobIsShutWhenTheCallerIsDone()
    {
        using var pool = new WorkerPool(2);
        using var woken = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        int holds = 0;
        WorkerPool.BeforeEnterHook = w =>
        {
            if (Interlocked.Increment(ref holds) == 1)
            {
                woken.Set();
                release.Wait(TimeSpan.FromSeconds(10));
            }
        };
        // The caller's share waits until the worker is awake and held, so the test does not depend on who is faster.
        var first = new RecordingJob(2, doneWhenCallerReturns: true, onCaller: () => woken.Wait(TimeSpan.FromSeconds(10)));
        var clock = Stopwatch.StartNew();
        pool.Run(first, 2);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "Run returned without waiting for the held worker");
        Assert.That(holds, Is.EqualTo(1), "the worker had woken for the job and was held before joining it");

        // Release the worker while a second, static job is running: it must run that job's share, not the first's.
        var second = new RecordingJob(2, doneWhenCallerReturns: false, onCaller: release.Set);
        pool.Run(second, 2);
        Assert.That(first.Ran, Is.EqualTo(new[] { 1, 0 }), "the first job ran on its caller alone, and never later on the held worker");
        Assert.That(second.Ran, Is.EqualTo(new[] { 1, 1 }), "the second job ran on both");
    }

    [Test]
    public void AFailedClaimedJobStillWaitsForTheWorkersInside()
    {
        using var pool = new WorkerPool(2);
        var job = new FailingJob();
        var ex = Assert.Throws<InvalidOperationException>(() => pool.Run(job, 2));
        Assert.That(ex!.InnerException, Is.TypeOf<ArithmeticException>());
        Assert.That(Volatile.Read(ref job.Inside), Is.EqualTo(0), "no worker was still inside the job when Run threw");
        var next = new RecordingJob(2, doneWhenCallerReturns: false);
        pool.Run(next, 2);
        Assert.That(next.Ran, Is.EqualTo(new[] { 1, 1 }), "the pool works after a failure");
    }

    private sealed class RecordingJob(int workers, bool doneWhenCallerReturns, Action? onCaller = null) : IPoolJob
    {
        public int[] Ran { get; } = new int[workers];

        public bool DoneWhenCallerReturns => doneWhenCallerReturns;

        public void Execute(int worker, int count, SpinBarrier barrier)
        {
            if (worker == 0)
                onCaller?.Invoke();
            Interlocked.Increment(ref Ran[worker]);
        }
    }

    /// <summary>The caller fails while worker 1 is still busy inside: Run must not return before it has left.</summary>
    private sealed class FailingJob : IPoolJob
    {
        public int Inside;

        public bool DoneWhenCallerReturns => true;

        public void Execute(int worker, int count, SpinBarrier barrier)
        {
            if (worker == 0)
            {
                var clock = Stopwatch.StartNew();
                while (Volatile.Read(ref Inside) == 0 && clock.Elapsed < TimeSpan.FromSeconds(5))
                    Thread.Yield();
                throw new ArithmeticException("the caller's share failed");
            }
            Interlocked.Increment(ref Inside);
            Thread.Sleep(100);
            Interlocked.Decrement(ref Inside);
        }
    }
}

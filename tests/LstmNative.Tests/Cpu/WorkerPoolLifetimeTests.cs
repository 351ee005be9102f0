using System.Runtime.CompilerServices;
using LstmNative.Cpu;
using NUnit.Framework;

namespace LstmNative.Tests.Cpu;

/// <summary>
/// A pool's life: bad thread counts are refused without leaving a half-built pool for the finalizer (which ended the
/// test host), GemmProbe checks its sizes first, and a pool disposed while a job runs neither hangs the job's caller
/// nor Dispose.
/// </summary>
[NonParallelizable]
public class WorkerPoolLifetimeTests
{
    [TestCase(0)]
    [TestCase(-1)]
    [TestCase(int.MinValue)]
    [TestCase(WorkerPool.MaxThreads + 1)]
    public void ABadThreadCountIsRefusedAndTheFinalizerSurvivesIt(int threads)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Construct(threads));
        RunFinalizers(); // before the fix, ~WorkerPool threw on the finalizer thread here and ended the process
    }

    [TestCase(8, 0)]
    [TestCase(8, -3)]
    [TestCase(0, 1)]
    [TestCase(-5, 1)]
    [TestCase(GemmProbe.MaxSize + 1, 1)]
    [TestCase(8, WorkerPool.MaxThreads + 1)]
    public void GemmProbeRefusesBadSizes(int n, int threads)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GemmProbe.Measure(n, threads));
        RunFinalizers();
    }

    [Test]
    public void GemmProbeMeasuresAGoodSize() => Assert.That(GemmProbe.Measure(16, 2), Is.GreaterThan(0));

    [Test]
    public void DisposingAPoolWhileItRunsJobsNeverHangs()
    {
        // A static job (every worker's share must run) whose workers meet at the barrier: a worker that left on
        // Dispose without joining a job already published made its caller wait forever.
        for (int round = 0; round < 200; round++)
        {
            var pool = new WorkerPool(3);
            var job = new BarrierJob();
            Exception? error = null;
            using var started = new ManualResetEventSlim();
            var runner = new Thread(() =>
            {
                try
                {
                    while (true)
                    {
                        pool.Run(job, 3);
                        started.Set();
                    }
                }
                catch (Exception e)
                {
                    error = e;
                }
            }) { IsBackground = true };
            runner.Start();
            Assert.That(started.Wait(TimeSpan.FromSeconds(10)), Is.True, $"round {round}: the first job did not finish");
            var dispose = Task.Run(pool.Dispose);
            Assert.That(dispose.Wait(TimeSpan.FromSeconds(10)), Is.True, $"round {round}: Dispose hung");
            Assert.That(runner.Join(TimeSpan.FromSeconds(10)), Is.True, $"round {round}: the job's caller hung after Dispose");
            Assert.That(error, Is.InstanceOf<ObjectDisposedException>(), $"round {round}: the caller stopped with {error}");
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)] // the failed object must be garbage by the time the test collects
    private static void Construct(int threads) => _ = new WorkerPool(threads);

    private static void RunFinalizers()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private sealed class BarrierJob : IPoolJob
    {
        public void Execute(int worker, int workers, SpinBarrier barrier)
        {
            for (int i = 0; i < 20; i++)
                barrier.Wait();
        }
    }
}

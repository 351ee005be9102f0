using System.Runtime.CompilerServices;
using LstmNative.Cpu;
using NUnit.Framework;

namespace LstmNative.Tests.Cpu;

/// <summary>
/// A pool's life: bad thread counts are refused without leaving a half-built pool for the finalizer (which ended the
/// test host), and GemmProbe checks its sizes first.
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

    [MethodImpl(MethodImplOptions.NoInlining)] // the failed object must be garbage by the time the test collects
    private static void Construct(int threads) => _ = new WorkerPool(threads);

    private static void RunFinalizers()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}

using LstmNative.Cpu;
using LstmNative.Model;
using NUnit.Framework;

namespace LstmNative.Tests.Cpu;

/// <summary>
/// A job that finds its pool busy runs on its caller alone (the documented rule for a shared pool). The layer was
/// planned for more workers before it knew: it must run correctly on one, not wait at a barrier nobody else reaches.
/// </summary>
[NonParallelizable]
public class BusyPoolTests
{
    [TestCase(RnnCellType.Gru, false)] // two-phase GRU: the static split, forward and backward
    [TestCase(RnnCellType.Lstm, false)]
    [TestCase(RnnCellType.Lstm, true)]
    public void ALayerRunOnABusyPoolFinishesAlone(RnnCellType cell, bool bidirectional)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var layer = new LayerWeights<float>(new RnnLayerOptions(cell, 5, 67, bidirectional ? RnnDirection.Bidirectional : RnnDirection.Forward))
            .Randomize(rng, 0.3);
        int steps = 6, batch = 2;
        var x = CpuTestSupport.RandomFloats(rng, steps * batch * 5, 1);
        var dy = CpuTestSupport.RandomFloats(rng, steps * layer.Options.DirectionCount * batch * 67, 1);
        var expected = CpuRnn.Forward(layer, x, steps, batch, [], [], [], new CpuRnnOptions { Threads = 1 });
        var expectedGrads = CpuRnn.Backward(expected, dy, [], []);

        using var pool = new WorkerPool(2);
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = Task.Run(() => pool.Run(new HoldingJob(started, release), 2));
        Assert.That(started.Wait(TimeSpan.FromSeconds(10)), Is.True, "the holding job started");
        try
        {
            var work = Task.Run(() =>
            {
                var trace = CpuRnn.Forward(layer, x, steps, batch, [], [], [], new CpuRnnOptions { Pool = pool, Threads = 2 });
                return (trace, CpuRnn.Backward(trace, dy, [], []));
            });
            Assert.That(work.Wait(TimeSpan.FromSeconds(30)), Is.True, "a layer run on a busy pool finished (no barrier waiting for a worker that never came)");
            var (trace, grads) = work.Result;
            Assert.That(trace.Y, Is.EqualTo(expected.Y).Within(1e-5));
            Assert.That(grads.DX, Is.EqualTo(expectedGrads.DX).Within(1e-4));
        }
        finally
        {
            release.Set();
            holder.Wait(TimeSpan.FromSeconds(10));
        }
    }

    private sealed class HoldingJob(ManualResetEventSlim started, ManualResetEventSlim release) : IPoolJob
    {
        public void Execute(int worker, int workers, SpinBarrier barrier)
        {
            if (worker == 0)
            {
                started.Set();
                release.Wait(TimeSpan.FromSeconds(60));
            }
        }
    }
}

using System.Diagnostics;
using LstmNative.Cpu;
using LstmNative.Cpu.Kernels;
using LstmNative.Model;
using NUnit.Framework;
using static LstmNative.Tests.Cpu.CpuTestSupport;

namespace LstmNative.Tests.Cpu;

/// <summary>
/// The claimed forward (every phase cut into chunks any worker may take) gives the static split's results, always the same ones, and
/// a worker that comes late leaves nothing undone and corrupts nothing.
/// </summary>
[NonParallelizable] // switches LayerExecutor's static hooks
public class ClaimedForwardTests
{
    public static IEnumerable<TestCaseData> Cells()
    {
        foreach (var width in Widths())
            foreach (int chunks in new[] { 1, 3 })
            {
                yield return new TestCaseData(width, chunks, new RnnLayerOptions(RnnCellType.Lstm, 7, 67)).SetArgDisplayNames($"{width} LSTM, {chunks} chunk(s) per worker");
                yield return new TestCaseData(width, chunks, new RnnLayerOptions(RnnCellType.Lstm, 5, 40, RnnDirection.Reverse) { HasPeepholes = true })
                    .SetArgDisplayNames($"{width} LSTM reverse peepholes, {chunks} chunk(s) per worker");
                yield return new TestCaseData(width, chunks, new RnnLayerOptions(RnnCellType.Gru, 6, 67) { LinearBeforeReset = true })
                    .SetArgDisplayNames($"{width} GRU linear_before_reset, {chunks} chunk(s) per worker");
            }
    }

    [TestCaseSource(nameof(Cells))]
    public void ClaimedForwardEqualsTheStaticSplit(KernelWidth width, int chunksPerWorker, RnnLayerOptions layer)
    {
        int savedChunks = LayerExecutor.ChunksPerWorker;
        LayerExecutor.ChunksPerWorker = chunksPerWorker;
        try
        {
            ClaimedMatchesStatic(width, layer);
        }
        finally
        {
            LayerExecutor.ChunksPerWorker = savedChunks;
        }
    }

    private static void ClaimedMatchesStatic(KernelWidth width, RnnLayerOptions layer)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var (weights, x, steps, batch, lengths) = Problem(rng, layer);
        int started = 0;
        // Worker 0 waits (a while) for worker 1 to join: the pool no longer waits for a worker that joins after the work
        // is done, so on a small problem worker 0 could otherwise finish alone and the two-worker path go untested.
        using var bothIn = new ManualResetEventSlim();
        var (y, yh) = Run(weights, x, steps, batch, lengths, width, claimed: true, hook: w =>
        {
            Interlocked.Increment(ref started);
            if (w == 1)
                bothIn.Set();
            else
                bothIn.Wait(TimeSpan.FromSeconds(10));
        });
        Assert.That(started, Is.EqualTo(2), "both workers ran the claimed forward");
        var (yStatic, yhStatic) = Run(weights, x, steps, batch, lengths, width, claimed: false, hook: null);
        if (layer.Cell == RnnCellType.Lstm)
        {
            // Four panels per unit block: every chunk pairs panels as the static split does, so not one bit moves.
            Assert.That(y, Is.EqualTo(yStatic), "Y");
            Assert.That(yh, Is.EqualTo(yhStatic), "Y_h");
        }
        else
        {
            // GRU's n gate has one panel per block: where a chunk ends decides which panels the batch-1 kernel pairs,
            // and the paired kernel rounds differently in the last bit.
            Assert.That(y, Is.EqualTo(yStatic).Within(2e-6), "Y");
            Assert.That(yh, Is.EqualTo(yhStatic).Within(2e-6), "Y_h");
        }
        var (again, _) = Run(weights, x, steps, batch, lengths, width, claimed: true, hook: w => Thread.Sleep(w == 1 ? 5 : 0));
        Assert.That(again, Is.EqualTo(y), "chunks are fixed, whoever runs them: the claimed forward is deterministic");
    }

    [Test]
    public void ALateWorkerFindsItsShareDoneAndChangesNothing()
    {
        var (weights, x, steps, batch, lengths, expected, expectedH) = ScalarLstmProblem();
        // Worker 1 is held back until worker 0 has finished every phase alone: the OS taking a core away for the call.
        using var allDone = new ManualResetEventSlim();
        var clock = Stopwatch.StartNew();
        var (y, yh) = Run(weights, x, steps, batch, lengths, KernelWidth.Scalar, claimed: true, hook: w =>
        {
            if (w == 1)
                allDone.Wait(TimeSpan.FromSeconds(10));
        }, afterWorker0: allDone.Set);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "worker 0 did not wait for the late worker");
        Assert.That(y, Is.EqualTo(expected), "Y");
        Assert.That(yh, Is.EqualTo(expectedH), "Y_h");
    }

    [Test]
    public void AWorkerWhoseChunkWasTakenWaitsForItBeforeTheNextStep()
    {
        var (weights, x, steps, batch, lengths, expected, expectedH) = ScalarLstmProblem();
        // Mid-run, worker 1 is held at the start of a step (the OS taking its core away) until worker 0 has taken its
        // chunk; worker 0 then holds that chunk a while. Worker 1, back, finds its chunk taken: it must wait until it is
        // done, not start the next step on a half-computed state.
        const long phase = 3; // phase 1 is the input projection, so this is step 1
        using var bothIn = new ManualResetEventSlim();
        using var taken = new ManualResetEventSlim();
        using var movedOn = new ManualResetEventSlim();
        int stolen = 0;
        var saved = (LayerExecutor.ClaimedPhaseStartHook, LayerExecutor.ClaimedChunkHook);
        LayerExecutor.ClaimedPhaseStartHook = (w, p) =>
        {
            if (w == 1 && p == phase)
                taken.Wait(TimeSpan.FromSeconds(10));
            if (w == 1 && p == phase + 1)
                movedOn.Set();
        };
        LayerExecutor.ClaimedChunkHook = (w, k, p) =>
        {
            if (w != 0 || k != 1 || p != phase)
                return;
            stolen++;
            taken.Set();
            if (movedOn.Wait(TimeSpan.FromMilliseconds(200)))
                throw new InvalidOperationException("worker 1 started the next step while its chunk of this one was still running");
        };
        try
        {
            var (y, yh) = Run(weights, x, steps, batch, lengths, KernelWidth.Scalar, claimed: true, hook: w =>
            {
                if (w == 1)
                    bothIn.Set();
                else
                    bothIn.Wait(TimeSpan.FromSeconds(10));
            });
            Assert.That(stolen, Is.EqualTo(1), "worker 0 took worker 1's chunk of the held step");
            Assert.That(y, Is.EqualTo(expected), "Y");
            Assert.That(yh, Is.EqualTo(expectedH), "Y_h");
        }
        finally
        {
            (LayerExecutor.ClaimedPhaseStartHook, LayerExecutor.ClaimedChunkHook) = saved;
        }
    }

    [Test]
    public void AWorkerThatHasNotJoinedWhenTheWorkIsDoneIsNotWaitedFor()
    {
        var (weights, x, steps, batch, lengths, expected, expectedH) = ScalarLstmProblem();
        // Worker 1 wakes up for the call but is held before it joins (the OS not running it) until the call has returned:
        // worker 0 does every chunk, and the pool returns without it instead of waiting for it to show up.
        using var woken = new ManualResetEventSlim();
        using var returned = new ManualResetEventSlim();
        int held = 0, joined = 0;
        WorkerPool.BeforeEnterHook = w =>
        {
            if (w == 1 && Interlocked.Exchange(ref held, 1) == 0)
            {
                woken.Set();
                returned.Wait(TimeSpan.FromSeconds(10));
            }
        };
        try
        {
            var clock = Stopwatch.StartNew();
            var (y, yh) = Run(weights, x, steps, batch, lengths, KernelWidth.Scalar, claimed: true, hook: w =>
            {
                if (w == 1)
                    Interlocked.Increment(ref joined);
                else
                    woken.Wait(TimeSpan.FromSeconds(10)); // start once worker 1 is awake and held, whoever is faster
            });
            var elapsed = clock.Elapsed;
            returned.Set();
            Assert.That(elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "the call returned without the worker that had not joined");
            Assert.That(held, Is.EqualTo(1), "worker 1 was woken for the call and held");
            Assert.That(y, Is.EqualTo(expected), "Y");
            Assert.That(yh, Is.EqualTo(expectedH), "Y_h");
            // Released now, it must not step into the finished call; the next call runs as usual (and may use it).
            var (again, _) = Run(weights, x, steps, batch, lengths, KernelWidth.Scalar, claimed: true, hook: null);
            Assert.That(again, Is.EqualTo(expected), "the next call");
        }
        finally
        {
            returned.Set();
            WorkerPool.BeforeEnterHook = null;
        }
        Assert.That(joined, Is.EqualTo(0), "the held worker never ran the finished call's forward");
    }

    /// <summary>A fresh random LSTM problem (I = 9, H = 64) and its static-split result on the scalar kernels: what every held-worker run must equal.</summary>
    private static (LayerWeights<float>, float[], int, int, int[], float[], float[]) ScalarLstmProblem()
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var (weights, x, steps, batch, lengths) = Problem(rng, new RnnLayerOptions(RnnCellType.Lstm, 9, 64));
        var (y, yh) = Run(weights, x, steps, batch, lengths, KernelWidth.Scalar, claimed: false, hook: null);
        return (weights, x, steps, batch, lengths, y, yh);
    }

    private static (LayerWeights<float>, float[], int, int, int[]) Problem(Random rng, RnnLayerOptions layer)
    {
        var weights = new LayerWeights<float>(layer).Randomize(rng, 0.4);
        int steps = rng.Next(3, 9), batch = rng.Next(1, 5);
        var x = RandomFloats(rng, steps * batch * layer.InputSize, 1);
        var lengths = Enumerable.Range(0, batch).Select(_ => rng.Next(0, steps + 1)).ToArray();
        lengths[0] = steps;
        return (weights, x, steps, batch, lengths);
    }

    private static (float[] Y, float[] Yh) Run(LayerWeights<float> weights, float[] x, int steps, int batch, int[] lengths,
        KernelWidth width, bool claimed, Action<int>? hook, Action? afterWorker0 = null)
    {
        var saved = (LayerExecutor.MinParallelStepWork, LayerExecutor.MinParallelRunWork, LayerExecutor.MinRowsPerWorkerForBatchSplit,
            LayerExecutor.ClaimedForwardEnabled, LayerExecutor.ClaimedWorkerStartHook);
        try
        {
            LayerExecutor.MinParallelStepWork = 0;
            LayerExecutor.MinParallelRunWork = 0;
            LayerExecutor.MinRowsPerWorkerForBatchSplit = int.MaxValue;
            LayerExecutor.ClaimedForwardEnabled = claimed;
            LayerExecutor.ClaimedWorkerStartHook = hook;
            LayerExecutor.ClaimedWorkerEndHook = afterWorker0 is null ? null : w =>
            {
                if (w == 0)
                    afterWorker0();
            };
            var trace = CpuRnn.Forward(weights, x, steps, batch, lengths, default, default, Options(width, 2));
            return (trace.Y.ToArray(), trace.Yh.ToArray());
        }
        finally
        {
            (LayerExecutor.MinParallelStepWork, LayerExecutor.MinParallelRunWork, LayerExecutor.MinRowsPerWorkerForBatchSplit,
                LayerExecutor.ClaimedForwardEnabled, LayerExecutor.ClaimedWorkerStartHook) = saved;
            LayerExecutor.ClaimedWorkerEndHook = null;
        }
    }
}

using LstmNative.Gpu.Inference;
using LstmNative.Gpu.Tests.Emulation;
using LstmNative.Model;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Inference;

/// <summary>
/// The GPU session's host logic (buffers, strides, state copies, both algorithms' argument blocks, directions on two
/// queues, the layer wavefront, graph capture and replay, Run/Step/Reset, the asynchronous API) run end to end on the
/// CPU emulation of the device, against the scalar reference. Runs everywhere; nothing here touches a GPU.
/// </summary>
public class SessionEmulationTests
{
    private const double Fp32Tolerance = 1e-4;

    public enum Cell
    {
        Lstm,
        GruLbr0,
        GruLbr1,
    }

    public static IEnumerable<TestCaseData> FeatureMatrix()
    {
        foreach (var cell in Enum.GetValues<Cell>())
            foreach (var direction in Enum.GetValues<RnnDirection>())
                foreach (var algorithm in new[] { GpuAlgorithm.Standard, GpuAlgorithm.Persistent })
                    foreach (var layout in Enum.GetValues<SequenceLayout>())
                        yield return new TestCaseData(cell, direction, algorithm, layout)
                            .SetArgDisplayNames($"{cell} {direction} {algorithm} {layout}");
    }

    [TestCaseSource(nameof(FeatureMatrix))]
    public void RunMatchesTheReference(Cell cell, RnnDirection direction, GpuAlgorithm algorithm, SequenceLayout layout)
    {
        var features = cell switch
        {
            Cell.Lstm => LayerFeatures.Peepholes | LayerFeatures.Clip,
            Cell.GruLbr1 => LayerFeatures.LinearBeforeReset | LayerFeatures.Clip,
            _ => LayerFeatures.Clip,
        };
        var options = new GpuInferenceOptions { Algorithm = algorithm, Layout = layout };
        Check(CellType(cell), direction, features, options, hidden: 5, input: 3, layers: 2, steps: 6, batch: 3,
              lengths: [6, 0, 4], initialStates: true, seed: (int)cell * 100 + (int)direction * 10 + (int)layout);
    }

    [TestCase(LayerFeatures.InputForget | LayerFeatures.Peepholes, GpuAlgorithm.Standard)]
    [TestCase(LayerFeatures.InputForget | LayerFeatures.Peepholes, GpuAlgorithm.Persistent)]
    [TestCase(LayerFeatures.CustomActivations, GpuAlgorithm.Standard)]
    [TestCase(LayerFeatures.CustomActivations, GpuAlgorithm.Persistent)]
    public void LstmOptionsMatchTheReference(LayerFeatures features, GpuAlgorithm algorithm) =>
        Check(RnnCellType.Lstm, RnnDirection.Bidirectional, features, new GpuInferenceOptions { Algorithm = algorithm },
              hidden: 7, input: 4, layers: 1, steps: 5, batch: 2, lengths: null, initialStates: true, seed: 7);

    [TestCase(GpuAlgorithm.Standard, false)]
    [TestCase(GpuAlgorithm.Persistent, false)]
    [TestCase(GpuAlgorithm.Standard, true)]
    [TestCase(GpuAlgorithm.Persistent, true)]
    public void GruActivationsMatchTheReference(GpuAlgorithm algorithm, bool linearBeforeReset) =>
        Check(RnnCellType.Gru, RnnDirection.Bidirectional, LayerFeatures.CustomActivations | (linearBeforeReset ? LayerFeatures.LinearBeforeReset : 0),
              new GpuInferenceOptions { Algorithm = algorithm }, hidden: 6, input: 2, layers: 1, steps: 4, batch: 2, lengths: [4, 2], initialStates: false, seed: 8);

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public void WavefrontStacksMatchTheReferenceUnderAnySchedule(int seed)
    {
        var backend = new EmulatedBackend(seed: seed);
        var options = new GpuInferenceOptions { Algorithm = GpuAlgorithm.Standard, WavefrontChunk = 2 };
        var counts = Check(RnnCellType.Lstm, RnnDirection.Forward, LayerFeatures.Peepholes, options, hidden: 6, input: 3, layers: 3,
                           steps: 7, batch: 2, lengths: [7, 3], initialStates: true, seed: seed, backend: backend);
        Assert.That(counts, Is.GreaterThan(0));
    }

    [Test]
    public void WavefrontChunkOfOneStepAndGruTwoPhaseMatch() =>
        Check(RnnCellType.Gru, RnnDirection.Forward, LayerFeatures.None, new GpuInferenceOptions { Algorithm = GpuAlgorithm.Standard, WavefrontChunk = 1 },
              hidden: 5, input: 5, layers: 2, steps: 5, batch: 3, lengths: null, initialStates: false, seed: 9, backend: new EmulatedBackend(seed: 9));

    [TestCase(GemmPrecision.Tf32)]
    [TestCase(GemmPrecision.Bf16)]
    public void ReducedPrecisionGemmsStayWithinTheirTolerance(GemmPrecision precision) =>
        Check(RnnCellType.Lstm, RnnDirection.Bidirectional, LayerFeatures.None, new GpuInferenceOptions { Algorithm = GpuAlgorithm.Standard, Precision = precision },
              hidden: 16, input: 16, layers: 2, steps: 6, batch: 2, lengths: null, initialStates: true, seed: 10,
              tolerance: precision == GemmPrecision.Tf32 ? 5e-3 : 3e-2);

    [TestCase(false)]
    [TestCase(true)]
    public void GraphsOnOrOffGiveTheSameResults(bool graphs) =>
        Check(RnnCellType.Gru, RnnDirection.Reverse, LayerFeatures.LinearBeforeReset, new GpuInferenceOptions { UseGraphs = graphs },
              hidden: 9, input: 2, layers: 2, steps: 4, batch: 4, lengths: [1, 4, 0, 3], initialStates: true, seed: 11);

    [Test]
    public void CooperativeBarrierRunsWithoutGraphs()
    {
        var backend = new EmulatedBackend();
        Check(RnnCellType.Lstm, RnnDirection.Bidirectional, LayerFeatures.None,
              new GpuInferenceOptions { Algorithm = GpuAlgorithm.Persistent, Barrier = PersistentBarrier.Cooperative },
              hidden: 5, input: 3, layers: 1, steps: 3, batch: 2, lengths: null, initialStates: false, seed: 12, backend: backend);
        Assert.Multiple(() =>
        {
            Assert.That(backend.GraphsCaptured, Is.Zero);
            Assert.That(backend.PersistentLaunches.Select(p => p.Barrier), Is.All.EqualTo(PersistentBarrier.Cooperative));
        });
    }

    [Test]
    public void BatchOneAndLargeBatchesPickTheirAlgorithms()
    {
        var backend = new EmulatedBackend();
        var layers = InferenceReference.RandomStack(RnnCellType.Lstm, 3, 5, 1, RnnDirection.Forward, LayerFeatures.None, 1);
        using var model = new GpuRnnModel(backend, layers, GpuInferenceOptions.Default);
        using var session = model.CreateSession(12, 4);
        Assert.Multiple(() =>
        {
            Assert.That(session.AlgorithmFor(0, 1).Algorithm, Is.EqualTo(GpuAlgorithm.Persistent));
            Assert.That(session.AlgorithmFor(0, 8).Algorithm, Is.EqualTo(GpuAlgorithm.Persistent));
            Assert.That(session.AlgorithmFor(0, 9).Algorithm, Is.EqualTo(GpuAlgorithm.Standard));
        });
        foreach (int batch in new[] { 1, 8, 12 })
        {
            var x = InferenceReference.Random(4 * batch * 3, batch);
            var expected = InferenceReference.Run(layers, x, 4, batch);
            var y = new float[expected.Y.Length];
            session.Run(x, 4, batch, y);
            Assert.That(InferenceReference.WorstError(y, expected.Y).Worst, Is.LessThan(Fp32Tolerance), $"batch {batch}");
        }
    }

    [Test]
    public void StepContinuesWhereRunLeftOff([Values] Cell cell, [Values(GpuAlgorithm.Standard, GpuAlgorithm.Persistent)] GpuAlgorithm algorithm)
    {
        const int input = 3, hidden = 5, batch = 2, first = 4, more = 3;
        var backend = new EmulatedBackend(seed: 3);
        var layers = InferenceReference.RandomStack(CellType(cell), input, hidden, 2, RnnDirection.Forward,
            cell == Cell.GruLbr1 ? LayerFeatures.LinearBeforeReset : LayerFeatures.Peepholes, 13);
        var x = InferenceReference.Random((first + more) * batch * input, 14);
        var h0 = InferenceReference.Random(2 * batch * hidden, 15);
        var c0 = InferenceReference.Random(2 * batch * hidden, 16);
        var expected = InferenceReference.Run(layers, x, first + more, batch, null, h0, cell == Cell.Lstm ? c0 : null);

        using var model = new GpuRnnModel(backend, layers, new GpuInferenceOptions { Algorithm = algorithm });
        using var session = model.CreateSession(batch, first);
        var y = new float[first * batch * hidden];
        session.Run(x.AsSpan(0, first * batch * input), first, batch, y, initialH: h0, initialC: cell == Cell.Lstm ? c0 : default);
        Assert.That(InferenceReference.WorstError(y, expected.Y.AsSpan(0, y.Length)).Worst, Is.LessThan(Fp32Tolerance), "run");
        var yStep = new float[batch * hidden];
        for (int k = 0; k < more; k++)
        {
            int t = first + k;
            session.Step(x.AsSpan(t * batch * input, batch * input), batch, yStep);
            var want = expected.Y.AsSpan(t * batch * hidden, batch * hidden);
            Assert.That(InferenceReference.WorstError(yStep, want).Worst, Is.LessThan(Fp32Tolerance), $"step {k}");
        }
        Assert.That(session.GraphFailure, Is.Null);
    }

    [Test]
    public void ResetZerosOrSetsTheKeptState()
    {
        var backend = new EmulatedBackend();
        var layers = InferenceReference.RandomStack(RnnCellType.Lstm, 2, 4, 1, RnnDirection.Forward, LayerFeatures.None, 17);
        using var model = new GpuRnnModel(backend, layers, GpuInferenceOptions.Default);
        using var session = model.CreateSession(3, 5);
        var x = InferenceReference.Random(3 * 2, 18);
        var h0 = InferenceReference.Random(3 * 4, 19);
        var c0 = InferenceReference.Random(3 * 4, 20);
        var fromZero = InferenceReference.Run(layers, x, 1, 3);
        var fromState = InferenceReference.Run(layers, x, 1, 3, null, h0, c0);
        var y = new float[3 * 4];
        session.Step(x, 3, y); // some state
        session.Reset();
        session.Step(x, 3, y);
        Assert.That(InferenceReference.WorstError(y, fromZero.Y).Worst, Is.LessThan(Fp32Tolerance), "after Reset()");
        session.Reset(h0, c0, 3);
        session.Step(x, 3, y);
        Assert.That(InferenceReference.WorstError(y, fromState.Y).Worst, Is.LessThan(Fp32Tolerance), "after Reset(h0, c0)");
    }

    [Test]
    public void GraphsAreCapturedOncePerShapeAndReplayed()
    {
        var backend = new EmulatedBackend();
        var layers = InferenceReference.RandomStack(RnnCellType.Gru, 3, 4, 2, RnnDirection.Bidirectional, LayerFeatures.None, 21);
        using var model = new GpuRnnModel(backend, layers, new GpuInferenceOptions { MaxCachedGraphs = 2 });
        using var session = model.CreateSession(4, 6);
        void RunShape(int steps, int batch)
        {
            var x = InferenceReference.Random(steps * batch * 3, steps * 10 + batch);
            var expected = InferenceReference.Run(layers, x, steps, batch);
            var y = new float[expected.Y.Length];
            session.Run(x, steps, batch, y);
            Assert.That(InferenceReference.WorstError(y, expected.Y).Worst, Is.LessThan(Fp32Tolerance), $"T={steps} B={batch}");
        }
        RunShape(6, 4); // direct (warm-up)
        Assert.That(backend.GraphsCaptured, Is.Zero, "the first call of a shape runs directly");
        RunShape(6, 4); // captured
        RunShape(6, 4); // replayed
        RunShape(6, 4); // replayed
        Assert.Multiple(() =>
        {
            Assert.That(backend.GraphsCaptured, Is.EqualTo(1));
            Assert.That(session.GraphHits, Is.EqualTo(2));
        });
        for (int i = 0; i < 2; i++)
        {
            RunShape(3, 4);
            RunShape(6, 1);
        }
        Assert.Multiple(() =>
        {
            Assert.That(backend.GraphsCaptured, Is.EqualTo(3));
            Assert.That(session.CachedGraphs, Is.EqualTo(2), "capacity 2: the least recently used shape was dropped");
        });
        RunShape(6, 4); // evicted (already warm): captured again
        Assert.That(backend.GraphsCaptured, Is.EqualTo(4));
    }

    [Test]
    public void AFailedCaptureFallsBackToDirectLaunches()
    {
        var backend = new EmulatedBackend { FailNextCapture = true };
        var layers = InferenceReference.RandomStack(RnnCellType.Lstm, 3, 4, 2, RnnDirection.Forward, LayerFeatures.None, 22);
        using var model = new GpuRnnModel(backend, layers, new GpuInferenceOptions { Algorithm = GpuAlgorithm.Standard });
        using var session = model.CreateSession(2, 5);
        var x = InferenceReference.Random(5 * 2 * 3, 23);
        var expected = InferenceReference.Run(layers, x, 5, 2);
        var y = new float[expected.Y.Length];
        session.Run(x, 5, 2, y);
        session.Run(x, 5, 2, y);
        Assert.Multiple(() =>
        {
            Assert.That(session.GraphFailure, Does.Contain("emulated capture failure"));
            Assert.That(backend.GraphsCaptured, Is.Zero);
            Assert.That(InferenceReference.WorstError(y, expected.Y).Worst, Is.LessThan(Fp32Tolerance));
        });
    }

    [Test]
    public void TheAsynchronousApiStagesQueuesAndWaits()
    {
        var backend = new EmulatedBackend();
        var layers = InferenceReference.RandomStack(RnnCellType.Lstm, 2, 3, 1, RnnDirection.Bidirectional, LayerFeatures.None, 24);
        using var model = new GpuRnnModel(backend, layers, GpuInferenceOptions.Default);
        using var session = model.CreateSession(2, 4);
        var x = InferenceReference.Random(4 * 2 * 2, 25);
        var h0 = InferenceReference.Random(2 * 2 * 3, 26);
        int[] lengths = [4, 2];
        var expected = InferenceReference.Run(layers, x, 4, 2, lengths, h0);
        x.CopyTo(session.StagedInput);
        h0.CopyTo(session.StagedHidden);
        lengths.CopyTo(session.StagedLengths);
        session.EnqueueRun(4, 2, GpuRunStaging.InitialH | GpuRunStaging.Lengths | GpuRunStaging.OutputY | GpuRunStaging.OutputH);
        Assert.That(session.IsComplete, Is.False, "the emulated device runs nothing before a wait");
        session.Wait();
        Assert.Multiple(() =>
        {
            Assert.That(session.IsComplete, Is.True);
            Assert.That(InferenceReference.WorstError(session.StagedOutput[..expected.Y.Length], expected.Y).Worst, Is.LessThan(Fp32Tolerance));
            Assert.That(InferenceReference.WorstError(session.StagedHidden[..expected.Yh.Length], expected.Yh).Worst, Is.LessThan(Fp32Tolerance));
        });
    }

    [Test]
    public void BadCallsFailLikeTheCpuSession()
    {
        var backend = new EmulatedBackend();
        var layers = InferenceReference.RandomStack(RnnCellType.Lstm, 2, 3, 1, RnnDirection.Bidirectional, LayerFeatures.None, 27);
        using var model = new GpuRnnModel(backend, layers, GpuInferenceOptions.Default);
        using var session = model.CreateSession(2, 4);
        var y = new float[4 * 2 * 2 * 3];
        Assert.Multiple(() =>
        {
            Assert.That(() => session.Run(new float[5], 4, 2, y), Throws.ArgumentException.With.Message.Contains("input must hold [T=4, B=2, I=2]"));
            Assert.That(() => session.Run(new float[4 * 3 * 2], 4, 3, []), Throws.ArgumentException.With.Message.Contains("exceeds the session's maximum batch 2"));
            Assert.That(() => session.Run(new float[5 * 2 * 2], 5, 2, []), Throws.ArgumentException.With.Message.Contains("maximum sequence length 4"));
            Assert.That(() => session.Run(new float[4 * 2 * 2], 4, 2, new float[3]), Throws.ArgumentException.With.Message.Contains("Y must hold [T=4, D=2, B=2, H=3]"));
            Assert.That(() => session.Run(new float[4 * 2 * 2], 4, 2, y, sequenceLengths: [5, 1]), Throws.ArgumentException.With.Message.Contains("sequence_lens[0] = 5"));
            Assert.That(() => session.Run(new float[4 * 2 * 2], 4, 2, y, initialH: new float[3]), Throws.ArgumentException.With.Message.Contains("initial hidden state"));
            Assert.That(() => session.Step(new float[2 * 2], 2, new float[6]), Throws.InvalidOperationException.With.Message.Contains("forward-only"));
        });
        var forced = new GpuRnnModel(backend, layers, new GpuInferenceOptions { Algorithm = GpuAlgorithm.Persistent });
        using (forced)
        {
            using var big = forced.CreateSession(9, 2);
            Assert.That(() => big.Run(new float[2 * 9 * 2], 2, 9, []), Throws.TypeOf<NotSupportedException>().With.Message.Contains("above the persistent kernel's limit"));
        }
    }

    [Test]
    public void ModelsRejectLayersThatDoNotChain()
    {
        var backend = new EmulatedBackend();
        var a = new LayerWeights<float>(new RnnLayerOptions(RnnCellType.Lstm, 3, 4, RnnDirection.Bidirectional));
        var b = new LayerWeights<float>(new RnnLayerOptions(RnnCellType.Lstm, 4, 4));
        Assert.That(() => new GpuRnnModel(backend, [a, b], GpuInferenceOptions.Default),
            Throws.ArgumentException.With.Message.Contains("layer 1 has input size 4, but layer 0 outputs 2 x 4 = 8"));
    }

    private static RnnCellType CellType(Cell cell) => cell == Cell.Lstm ? RnnCellType.Lstm : RnnCellType.Gru;

    /// <summary>Runs one configuration through the session and the reference; returns the number of kernel launches executed.</summary>
    private static int Check(RnnCellType cell, RnnDirection direction, LayerFeatures features, GpuInferenceOptions options,
        int hidden, int input, int layers, int steps, int batch, int[]? lengths, bool initialStates, int seed,
        EmulatedBackend? backend = null, double tolerance = Fp32Tolerance)
    {
        backend ??= new EmulatedBackend(seed: seed);
        var stack = InferenceReference.RandomStack(cell, input, hidden, layers, direction, features, seed);
        int dirs = direction.Count();
        int stateLength = layers * dirs * batch * hidden;
        var x = InferenceReference.Random(steps * batch * input, seed + 1);
        var h0 = initialStates ? InferenceReference.Random(stateLength, seed + 2) : null;
        var c0 = initialStates && cell == RnnCellType.Lstm ? InferenceReference.Random(stateLength, seed + 3) : null;
        var expected = InferenceReference.Run(stack, x, steps, batch, lengths, h0, c0);

        bool bm = options.Layout == SequenceLayout.BatchMajor;
        var xIn = bm ? InferenceReference.SwapFirstTwo(x, steps, batch, input) : x;
        var h0In = h0 is null ? null : bm ? InferenceReference.StatesToBatchMajor(h0, stack, batch) : h0;
        var c0In = c0 is null ? null : bm ? InferenceReference.StatesToBatchMajor(c0, stack, batch) : c0;
        var wantY = bm ? InferenceReference.YToBatchMajor(expected.Y, steps, dirs, batch, hidden) : expected.Y;
        var wantH = bm ? InferenceReference.StatesToBatchMajor(expected.Yh, stack, batch) : expected.Yh;
        var wantC = bm ? InferenceReference.StatesToBatchMajor(expected.Yc, stack, batch) : expected.Yc;

        using var model = new GpuRnnModel(backend, stack, options);
        using var session = model.CreateSession(batch + 1, steps + 2); // spare room: maxima above the call's sizes
        var y = new float[wantY.Length];
        var yh = new float[wantH.Length];
        var yc = new float[wantC.Length];
        for (int repeat = 0; repeat < 3; repeat++) // direct, captured, replayed
        {
            Array.Clear(y);
            session.Run(xIn, steps, batch, y, yh, yc, lengths ?? default, h0In ?? default, c0In ?? default);
            var (wy, atY) = InferenceReference.WorstError(y, wantY);
            var (wh, atH) = InferenceReference.WorstError(yh, wantH);
            var (wc, atC) = InferenceReference.WorstError(yc, wantC);
            Assert.Multiple(() =>
            {
                Assert.That(wy, Is.LessThan(tolerance), $"Y (call {repeat}): worst at {atY}");
                Assert.That(wh, Is.LessThan(tolerance), $"Y_h (call {repeat}): worst at {atH}");
                Assert.That(wc, Is.LessThan(tolerance), $"Y_c (call {repeat}): worst at {atC}");
            });
        }
        if (options.UseGraphs && options.Barrier == PersistentBarrier.Flag)
            Assert.That(session.GraphFailure, Is.Null);
        return backend.Executed.Values.Sum();
    }
}

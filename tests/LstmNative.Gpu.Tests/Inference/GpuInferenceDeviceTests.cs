using LstmNative.Cuda;
using LstmNative.Gpu.Inference;
using LstmNative.Gpu.Tests.Device;
using LstmNative.Model;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Inference;

/// <summary>
/// Both inference algorithms on the GPU against the scalar reference: every cell, direction and option, sizes that
/// are not multiples of warps or tiles, batch 1, long sequences, TF32/BF16 GEMMs, layouts, stacks (wavefront), Step,
/// graphs, the cooperative barrier, and cuDNN on the same weights. [Category("Gpu")]: skipped without a GPU.
/// </summary>
public class GpuInferenceDeviceTests : GpuFixture
{
    private const double Fp32 = 1e-4, Tf32 = 5e-3, Bf16 = 3e-2;
    private GpuRnnEngine? _engine;

    private GpuRnnEngine Engine => _engine ?? throw new InvalidOperationException("no engine");

    [OneTimeSetUp]
    public void CreateEngine()
    {
        _engine = GpuRnnEngine.Create();
        TestContext.Progress.WriteLine($"[Gpu] inference on {Engine.Device}: {Engine.Limits}");
    }

    [OneTimeTearDown]
    public void DisposeEngine() => _engine?.Dispose();

    public static IEnumerable<TestCaseData> Matrix()
    {
        (int I, int H)[] sizes = [(3, 1), (17, 33), (64, 100), (40, 257)];
        foreach (var cell in new[] { "lstm", "gru0", "gru1" })
            foreach (var dir in Enum.GetValues<RnnDirection>())
                foreach (var algorithm in new[] { GpuAlgorithm.Standard, GpuAlgorithm.Persistent })
                    foreach (var (i, h) in sizes)
                        foreach (int batch in new[] { 1, 3, 8 })
                            yield return new TestCaseData(cell, dir, algorithm, i, h, batch).SetArgDisplayNames($"{cell} {dir} {algorithm} I={i} H={h} B={batch}");
    }

    [TestCaseSource(nameof(Matrix))]
    public void AlgorithmsMatchTheReference(string cell, RnnDirection direction, GpuAlgorithm algorithm, int input, int hidden, int batch)
    {
        var (type, features) = cell switch
        {
            "lstm" => (RnnCellType.Lstm, LayerFeatures.Peepholes | LayerFeatures.Clip),
            "gru1" => (RnnCellType.Gru, LayerFeatures.LinearBeforeReset | LayerFeatures.Clip),
            _ => (RnnCellType.Gru, LayerFeatures.Clip),
        };
        int steps = 12;
        int[] lengths = Enumerable.Range(0, batch).Select(b => b == 1 ? 0 : steps - (b * 5 % steps)).ToArray();
        Check(type, direction, features, new GpuInferenceOptions { Algorithm = algorithm }, input, hidden, 1, steps, batch, lengths, true, 100 + hidden, Fp32);
    }

    [TestCase(GpuAlgorithm.Standard, 64)]
    [TestCase(GpuAlgorithm.Standard, 128)]
    [TestCase(GpuAlgorithm.Persistent, 64)]
    [TestCase(GpuAlgorithm.Persistent, 256)]
    public void LongSequencesAtBatchOne(GpuAlgorithm algorithm, int hidden) =>
        Check(RnnCellType.Lstm, RnnDirection.Forward, LayerFeatures.None, new GpuInferenceOptions { Algorithm = algorithm }, hidden, hidden, 1, 1000, 1, null, false, 5, Fp32,
              scale: 1 / Math.Sqrt(hidden));

    [TestCase(GpuAlgorithm.Standard, 64)]
    [TestCase(GpuAlgorithm.Standard, 9)]
    [TestCase(GpuAlgorithm.Persistent, 5)]
    public void LargerBatchesAndStacks(GpuAlgorithm algorithm, int batch) =>
        Check(RnnCellType.Lstm, RnnDirection.Forward, LayerFeatures.Peepholes, new GpuInferenceOptions { Algorithm = algorithm }, 24, 48, 3, 40, batch,
              Enumerable.Range(0, batch).Select(b => 40 - b % 7).ToArray(), true, 6, Fp32);

    [TestCase(RnnDirection.Bidirectional, GpuAlgorithm.Standard)]
    [TestCase(RnnDirection.Bidirectional, GpuAlgorithm.Persistent)]
    [TestCase(RnnDirection.Reverse, GpuAlgorithm.Persistent)]
    public void BatchMajorLayoutAndStackedDirections(RnnDirection direction, GpuAlgorithm algorithm) =>
        Check(RnnCellType.Gru, direction, LayerFeatures.LinearBeforeReset, new GpuInferenceOptions { Algorithm = algorithm, Layout = SequenceLayout.BatchMajor },
              10, 31, 2, 15, 4, [15, 3, 0, 9], true, 7, Fp32);

    [TestCase(LayerFeatures.InputForget | LayerFeatures.Peepholes)]
    [TestCase(LayerFeatures.CustomActivations)]
    public void LstmOptions(LayerFeatures features)
    {
        foreach (var algorithm in new[] { GpuAlgorithm.Standard, GpuAlgorithm.Persistent })
            Check(RnnCellType.Lstm, RnnDirection.Bidirectional, features, new GpuInferenceOptions { Algorithm = algorithm }, 7, 19, 1, 9, 2, null, true, 8, Fp32);
    }

    [TestCase(GemmPrecision.Tf32, Tf32)]
    [TestCase(GemmPrecision.Bf16, Bf16)]
    public void ReducedPrecisionGemms(GemmPrecision precision, double tolerance)
    {
        foreach (var algorithm in new[] { GpuAlgorithm.Standard, GpuAlgorithm.Persistent })
            Check(RnnCellType.Lstm, RnnDirection.Forward, LayerFeatures.None, new GpuInferenceOptions { Algorithm = algorithm, Precision = precision },
                  128, 128, 2, 50, 4, null, false, 9, tolerance, scale: 1 / Math.Sqrt(128));
    }

    [Test]
    public void CooperativeBarrier() =>
        Check(RnnCellType.Lstm, RnnDirection.Bidirectional, LayerFeatures.None,
              new GpuInferenceOptions { Algorithm = GpuAlgorithm.Persistent, Barrier = PersistentBarrier.Cooperative }, 32, 256, 1, 30, 2, null, true, 10, Fp32);

    [Test]
    public void TheIssueSizesRunPersistentAtBatchOne()
    {
        if (Engine.Limits.MultiprocessorCount < 100)
            Assert.Ignore($"{Engine.Device.Name} is smaller than the H100/A100 the plan targets");
        foreach (int h in new[] { 256, 512, 1024 })
        {
            var layers = InferenceReference.RandomStack(RnnCellType.Lstm, h, h, 1, RnnDirection.Forward, LayerFeatures.None, h);
            using var model = Engine.LoadModel(layers);
            var choice = model.ChooseAlgorithm(0, 1);
            TestContext.Out.WriteLine($"H={h}: {choice.Reason}");
            Assert.That(choice.Algorithm, Is.EqualTo(GpuAlgorithm.Persistent), choice.Reason);
        }
    }

    [TestCase(GpuAlgorithm.Standard)]
    [TestCase(GpuAlgorithm.Persistent)]
    public void StepContinuesRunAndAllocatesNothing(GpuAlgorithm algorithm)
    {
        const int input = 16, hidden = 64, batch = 2, first = 10, more = 20;
        var layers = InferenceReference.RandomStack(RnnCellType.Lstm, input, hidden, 2, RnnDirection.Forward, LayerFeatures.None, 11);
        var x = InferenceReference.Random((first + more) * batch * input, 12);
        var expected = InferenceReference.Run(layers, x, first + more, batch);
        using var model = Engine.LoadModel(layers, new GpuInferenceOptions { Algorithm = algorithm });
        using var session = model.CreateSession(batch, first);
        var y = new float[first * batch * hidden];
        session.Run(x.AsSpan(0, first * batch * input), first, batch, y);
        var yStep = new float[batch * hidden];
        session.Step(x.AsSpan(first * batch * input, batch * input), batch, yStep);           // direct (warm-up)
        session.Step(x.AsSpan((first + 1) * batch * input, batch * input), batch, yStep);     // captures the step graph
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 2; k < more; k++)
            session.Step(x.AsSpan((first + k) * batch * input, batch * input), batch, yStep);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Multiple(() =>
        {
            Assert.That(InferenceReference.WorstError(yStep, expected.Y.AsSpan((first + more - 1) * batch * hidden, batch * hidden)).Worst, Is.LessThan(Fp32));
            Assert.That(allocated, Is.Zero, "bytes allocated by Step after warm-up");
            Assert.That(session.GraphFailure, Is.Null);
        });
    }

    [Test]
    public void RunAllocatesNothingOnceWarm()
    {
        var layers = InferenceReference.RandomStack(RnnCellType.Gru, 32, 64, 2, RnnDirection.Bidirectional, LayerFeatures.LinearBeforeReset, 13);
        using var model = Engine.LoadModel(layers);
        using var session = model.CreateSession(4, 20);
        var x = InferenceReference.Random(20 * 4 * 32, 14);
        var y = new float[20 * 2 * 4 * 64];
        var yh = new float[2 * 2 * 4 * 64];
        session.Run(x, 20, 4, y, yh); // direct (warm-up)
        session.Run(x, 20, 4, y, yh); // captured
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++)
            session.Run(x, 20, 4, y, yh);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    [TestCase(RnnCellType.Lstm, RnnDirection.Forward, 1)]
    [TestCase(RnnCellType.Lstm, RnnDirection.Bidirectional, 2)]
    [TestCase(RnnCellType.Gru, RnnDirection.Forward, 2)]
    public void CudnnGivesOurResultsOnTheSameWeights(RnnCellType cell, RnnDirection direction, int layerCount)
    {
        if (GpuRuntime.Current.CudnnVersion is null)
            Assert.Ignore($"cuDNN not available: {GpuRuntime.Current.CudnnProblem}");
        const int steps = 20, batch = 3, input = 24, hidden = 48;
        var layers = InferenceReference.RandomStack(cell, input, hidden, layerCount, direction, cell == RnnCellType.Gru ? LayerFeatures.LinearBeforeReset : 0, 15);
        var x = InferenceReference.Random(steps * batch * input, 16);
        using var model = Engine.LoadModel(layers);
        using var session = model.CreateSession(batch, steps);
        int dirs = direction.Count();
        var ours = new float[steps * dirs * batch * hidden];
        session.Run(x, steps, batch, ours);

        Engine.Context.MakeCurrent();
        using var cudnn = new CudnnRnnBaseline(Engine.Context, layers, batch, steps);
        using var stream = Engine.Context.CreateStream();
        cudnn.X.CopyFromHost(x, 0, stream); // on cuDNN's (non-blocking) stream, so the forward pass sees it
        cudnn.Forward(stream, steps, batch);
        var theirs = cudnn.Y.ToArray(stream).AsSpan(0, steps * batch * dirs * hidden).ToArray();
        // cuDNN's y is [T, B, D*H]; ours [T, D, B, H].
        var reordered = new float[theirs.Length];
        for (int t = 0; t < steps; t++)
            for (int d = 0; d < dirs; d++)
                for (int b = 0; b < batch; b++)
                    Array.Copy(theirs, ((t * batch + b) * dirs + d) * hidden, reordered, ((t * dirs + d) * batch + b) * hidden, hidden);
        Assert.That(InferenceReference.WorstError(ours, reordered).Worst, Is.LessThan(Tf32), "cuDNN may use TF32 for FP32 GEMMs");
    }

    private void Check(RnnCellType cell, RnnDirection direction, LayerFeatures features, GpuInferenceOptions options,
        int input, int hidden, int layers, int steps, int batch, int[]? lengths, bool initialStates, int seed, double tolerance, double scale = 0.5)
    {
        var stack = InferenceReference.RandomStack(cell, input, hidden, layers, direction, features, seed, scale);
        int dirs = direction.Count();
        int state = layers * dirs * batch * hidden;
        var x = InferenceReference.Random(steps * batch * input, seed + 1);
        var h0 = initialStates ? InferenceReference.Random(state, seed + 2, 0.5f) : null;
        var c0 = initialStates && cell == RnnCellType.Lstm ? InferenceReference.Random(state, seed + 3, 0.5f) : null;
        var expected = InferenceReference.Run(stack, x, steps, batch, lengths, h0, c0);
        bool bm = options.Layout == SequenceLayout.BatchMajor;
        using var model = Engine.LoadModel(stack, options);
        using var session = model.CreateSession(batch, steps);
        var wantY = bm ? InferenceReference.YToBatchMajor(expected.Y, steps, dirs, batch, hidden) : expected.Y;
        var wantH = bm ? InferenceReference.StatesToBatchMajor(expected.Yh, stack, batch) : expected.Yh;
        var wantC = bm ? InferenceReference.StatesToBatchMajor(expected.Yc, stack, batch) : expected.Yc;
        var xIn = bm ? InferenceReference.SwapFirstTwo(x, steps, batch, input) : x;
        var h0In = h0 is null ? null : bm ? InferenceReference.StatesToBatchMajor(h0, stack, batch) : h0;
        var c0In = c0 is null ? null : bm ? InferenceReference.StatesToBatchMajor(c0, stack, batch) : c0;
        foreach (var call in new[] { "direct", "captured", "replayed" })
        {
            var y = new float[expected.Y.Length];
            var yh = new float[expected.Yh.Length];
            var yc = new float[expected.Yc.Length];
            session.Run(xIn, steps, batch, y, yh, yc, lengths ?? default, h0In ?? default, c0In ?? default);
            var (wy, atY) = InferenceReference.WorstError(y, wantY);
            var (wh, _) = InferenceReference.WorstError(yh, wantH);
            var (wc, _) = InferenceReference.WorstError(yc, wantC);
            TestContext.Out.WriteLine($"{call}: {session.AlgorithmFor(0, batch).Reason}; worst |error| y {wy:E2} (at {atY}), h {wh:E2}, c {wc:E2}; graph: {session.GraphFailure ?? "ok"}");
            Assert.Multiple(() =>
            {
                Assert.That(wy, Is.LessThan(tolerance), $"Y ({call})");
                Assert.That(wh, Is.LessThan(tolerance), $"Y_h ({call})");
                Assert.That(wc, Is.LessThan(tolerance), $"Y_c ({call})");
                if (options.Barrier == PersistentBarrier.Flag)
                    Assert.That(session.GraphFailure, Is.Null, "graph capture");
            });
        }
    }
}

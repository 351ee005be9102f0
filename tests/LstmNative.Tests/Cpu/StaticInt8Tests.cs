using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LstmNative.Cpu;
using LstmNative.Cpu.Kernels;
using LstmNative.Model;
using NUnit.Framework;
using static LstmNative.Tests.Cpu.CpuTestSupport;
using static LstmNative.Tests.Cpu.ReducedPrecisionTests;

namespace LstmNative.Tests.Cpu;

/// <summary>
/// Static (calibrated) int8 (<see cref="Int8Calibrator"/>, <see cref="Int8Calibration"/>): the calibration's ranges, the
/// fixed-scale saturating products (native against the managed reference, exactly; the managed product against a scalar
/// model of the same math on every width is ReducedPrecisionTests' product test, "Int8 static" cases), saturation,
/// non-finite input, accuracy against float32 on held-out inputs, and the API.
/// </summary>
public unsafe class StaticInt8Tests
{
    /// <summary>The documented bound (docs/benchmarks.md, "Static int8"): max |Y − Y_fp32| on held-out inputs, T = 100.</summary>
    private const double Bound = 2e-2;

    [TearDown]
    public void RestoreNativeKernels() => NativeCpu.EnableInt8(true);

    private static Random FreshRandom(out int seed) => new(seed = CpuTestSupport.FreshSeed());

    // ---------------------------------------------------------------- products

    private static void RequireVnni()
    {
        if (!NativeCpu.Int8Vnni)
            Assert.Ignore($"native int8 VNNI kernel not active here: {NativeCpu.Status}");
    }

    /// <summary>The native static kernel against its managed reference, exactly, on random shapes (fresh seed), at each width's panels.</summary>
    [TestCase(32)]
    [TestCase(16)]
    public void NativeStaticMatchesTheManagedReferenceExactly(int panelWidth)
    {
        NativeCpuTests.RequireVnni(panelWidth);
        var rng = FreshRandom(out _);
        int[] ks = [1, 3, 4, 5, 63, 64, 65, 255, 256, 257, 1023];
        for (int it = 0; it < 30; it++)
        {
            int m = new[] { 1, 1, 2, 6, 7, 13, 100 }[rng.Next(7)], k = ks[rng.Next(ks.Length)], n = new[] { 1, 32, 33, 64, 96, 200 }[rng.Next(6)];
            float range = new[] { 0.25f, 0.99f, 1f, 3f }[rng.Next(4)];
            var b = new PackedMatrix(k, n, panelWidth, CpuPrecision.Int8, int8Quads: true) { StaticRange = range };
            Assert.That(b.IsInt8Quads && b.IsStatic);
            var w = RandomFloats(rng, k * n, 1);
            b.Pack(new NativeCpu.ArrayMap(w, n));
            int lda = k + rng.Next(3);
            var a = RandomFloats(rng, m * lda, 1);
            a[rng.Next(a.Length)] = 1e20f; // saturates wherever it lands in a row
            int ldc = b.Panels * panelWidth + 3;
            bool accumulate = rng.Next(2) == 0;
            int p0 = rng.Next(b.Panels), count = rng.Next(1, b.Panels - p0 + 1);
            var expected = RandomFloats(rng, m * ldc, 1);
            var actual = (float[])expected.Clone();
            var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
            fixed (float* ap = a, ep = expected, cp = actual)
            {
                NativeCpu.ReferenceInt8Quads(m, k, ap, lda, 1, b, p0, count, ep, ldc, accumulate);
                NativeCpu.RunInt8(m, k, ap, lda, 1, b, p0, count, cp, ldc, accumulate, scratch.Pointer);
            }
            GC.KeepAlive(scratch);
            Assert.That(actual, Is.EqualTo(expected), $"M={m} K={k} N={n} range={range} panels [{p0}, {p0 + count}) acc={accumulate}");
        }
    }

    /// <summary>
    /// Saturation: a row whose values lie far past the calibrated range (up to ±float.MaxValue) gives exactly the product
    /// of the same row with those values at ±range, on the managed kernels and on the native one, without overflow.
    /// </summary>
    [TestCase(false, 16)]
    [TestCase(true, 32)]
    [TestCase(true, 16)]
    public void ValuesPastTheRangeSaturate(bool native, int panelWidth)
    {
        if (native)
            NativeCpuTests.RequireVnni(panelWidth);
        var rng = FreshRandom(out _);
        const int k = 300, n = 64;
        const float range = 0.5f;
        var b = new PackedMatrix(k, n, panelWidth, CpuPrecision.Int8, int8Quads: native) { StaticRange = range }; // managed: the Vec256 kernels below
        var w = RandomFloats(rng, k * n, 1);
        b.Pack(new Map(w, n));
        var wild = RandomFloats(rng, k, 0.4);
        var clamped = (float[])wild.Clone();
        float[] far = [0.51f, -0.75f, 3f, -1e10f, float.MaxValue, -float.MaxValue, 1e38f];
        for (int i = 0; i < far.Length; i++)
        {
            int at = 17 * i + 3;
            wild[at] = far[i];
            clamped[at] = Math.Sign(far[i]) * range;
        }
        int ldc = b.Panels * b.PanelWidth;
        var c1 = new float[ldc];
        var c2 = new float[ldc];
        var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
        fixed (float* wp = wild, cp = clamped, o1 = c1, o2 = c2)
        {
            Sgemm.Run<Vec256>(1, k, wp, k, 1, b, 0, b.Panels, o1, ldc, false, scratch.Pointer);
            Sgemm.Run<Vec256>(1, k, cp, k, 1, b, 0, b.Panels, o2, ldc, false, scratch.Pointer);
        }
        GC.KeepAlive(scratch);
        GC.KeepAlive(b);
        Assert.That(c1, Has.None.NaN.And.None.Matches<float>(float.IsInfinity));
        Assert.That(c1, Is.EqualTo(c2), "values past the range count as ±range");
        Assert.That(c1.Max(Math.Abs), Is.LessThan(range * k), "bounded by range · Σ|w|");
    }

    // ---------------------------------------------------------------- calibration

    /// <summary>
    /// The calibrator records each layer's input and each direction's hidden state at valid steps only: layer 0's input
    /// range is max |x| over valid steps (a huge value in the padding is ignored), the last layer's hidden ranges are max
    /// |Y| per direction of the float32 model; a percentile lands within one histogram bin above the true quantile.
    /// </summary>
    [Test]
    public void CalibrationRecordsTheRangesOfTheFloat32Model()
    {
        var rng = FreshRandom(out _);
        const int steps = 12, batch = 3, input = 5, hidden = 9;
        LayerWeights<float>[] layers =
        [
            RandomLayer(rng, RnnCellType.Gru, input, hidden, dir: RnnDirection.Bidirectional),
            RandomLayer(rng, RnnCellType.Lstm, 2 * hidden, hidden, dir: RnnDirection.Bidirectional),
        ];
        var x = RandomFloats(rng, steps * batch * input, 2);
        int[] lengths = [steps, 4, 1];
        x[(6 * batch + 1) * input + 2] = 1e6f; // row 1, step 6: past its length
        using var calibrator = new Int8Calibrator(layers, batch, steps);
        calibrator.Observe(x, steps, batch, lengths);
        var cal = calibrator.ToCalibration();

        float inputMax = 0;
        for (int t = 0; t < steps; t++)
            for (int b = 0; b < batch; b++)
                for (int i = 0; t < lengths[b] && i < input; i++)
                    inputMax = Math.Max(inputMax, Math.Abs(x[(t * batch + b) * input + i]));
        var (y, _, _) = RunModel(new CpuRnnModel(layers), x, steps, batch, lengths);
        var hiddenMax = new float[2];
        for (int t = 0; t < steps; t++)
            for (int d = 0; d < 2; d++)
                for (int b = 0; b < batch; b++)
                    for (int j = 0; j < hidden; j++)
                        hiddenMax[d] = Math.Max(hiddenMax[d], Math.Abs(y[((t * 2 + d) * batch + b) * hidden + j]));
        Assert.Multiple(() =>
        {
            Assert.That(cal.Layers, Has.Count.EqualTo(2));
            Assert.That(cal.Layers[0].Input, Is.EqualTo(inputMax));
            Assert.That(cal.Layers[0].Hidden, Has.Count.EqualTo(2));
            Assert.That(cal.Layers[1].Hidden[0], Is.EqualTo(hiddenMax[0]));
            Assert.That(cal.Layers[1].Hidden[1], Is.EqualTo(hiddenMax[1]));
            Assert.That(cal.Layers[1].Input, Is.EqualTo(Math.Max(cal.Layers[0].Hidden[0], cal.Layers[0].Hidden[1])), "layer 1 reads layer 0's h");
        });

        // Percentile: the 50th of |x| over valid steps.
        var valid = new List<float>();
        for (int t = 0; t < steps; t++)
            for (int b = 0; b < batch; b++)
                for (int i = 0; t < lengths[b] && i < input; i++)
                    valid.Add(Math.Abs(x[(t * batch + b) * input + i]));
        valid.Sort();
        float median = valid[(int)Math.Ceiling(0.5 * valid.Count) - 1];
        float p50 = calibrator.ToCalibration(50).Layers[0].Input;
        Assert.That(p50, Is.GreaterThanOrEqualTo(median).And.LessThanOrEqualTo(median * (1 + 1f / 64)));
    }

    [Test]
    public void CalibrationRejectsBadInputAndArguments()
    {
        var rng = new Random(5);
        var layer = RandomLayer(rng, RnnCellType.Lstm, 4, 6);
        using var calibrator = new Int8Calibrator([layer], 2, 5);
        Assert.Throws<InvalidOperationException>(() => calibrator.ToCalibration(), "nothing observed");
        var x = RandomFloats(rng, 5 * 2 * 4, 1);
        x[7] = float.NaN;
        Assert.Throws<ArgumentException>(() => calibrator.Observe(x, 5, 2));
        x[7] = 0;
        calibrator.Observe(x, 5, 2);
        Assert.Multiple(() =>
        {
            Assert.That(calibrator.Rows, Is.EqualTo(2));
            Assert.Throws<ArgumentOutOfRangeException>(() => calibrator.ToCalibration(0));
            Assert.Throws<ArgumentOutOfRangeException>(() => calibrator.ToCalibration(100.5));
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Int8LayerRanges(0, [1f]));
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Int8LayerRanges(1, [float.PositiveInfinity]));
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Int8LayerRanges(1, [1f, 1f, 1f]));
            Assert.Throws<ArgumentException>(() => _ = new Int8Calibration([]));
            var cal = calibrator.ToCalibration();
            Assert.Throws<ArgumentException>(() => _ = new CpuRnnModel([layer, RandomLayer(rng, RnnCellType.Lstm, 6, 6)], cal), "layer count");
            Assert.Throws<ArgumentException>(() => _ = new CpuRnnModel([RandomLayer(rng, RnnCellType.Lstm, 4, 6, dir: RnnDirection.Bidirectional)], cal), "direction count");
            var model = new CpuRnnModel([layer], cal);
            Assert.That(model.Precision, Is.EqualTo(CpuPrecision.Int8));
            Assert.That(model.Calibration, Is.SameAs(cal));
            Assert.That(new CpuRnnModel([layer], CpuPrecision.Int8).Calibration, Is.Null);
        });
    }

    [Test]
    public void CalibrationRefusesBatchesBeyondItsLimitsWithThemInTheMessage()
    {
        var rng = new Random(6);
        using var calibrator = new Int8Calibrator([RandomLayer(rng, RnnCellType.Gru, 7, 5, dir: RnnDirection.Bidirectional)], 3, 5);
        Assert.Multiple(() =>
        {
            // Beyond the limits the calibrator sliced its buffers first: a generic "Specified argument was out of the range".
            Assert.That(() => calibrator.Observe(new float[6 * 3 * 7], 6, 3), Throws.ArgumentException.With.Message.EqualTo(
                "sequence length 6 exceeds the calibrator's maximum sequence length 5 (maxSteps when it was created)"));
            Assert.That(() => calibrator.Observe(new float[5 * 4 * 7], 5, 4), Throws.ArgumentException.With.Message.EqualTo(
                "batch 4 exceeds the calibrator's maximum batch 3 (maxBatch when it was created)"));
            Assert.That(() => calibrator.Observe(new float[7], -1, -1), Throws.ArgumentException);
            Assert.That(() => calibrator.Observe(new float[5 * 3 * 7 - 1], 5, 3), Throws.ArgumentException.With.Message.Contains("got 104"));
        });
        Assert.That(calibrator.Rows, Is.Zero);
    }

    [Test]
    public void ARefusedObserveLeavesTheCalibrationUnchanged()
    {
        var rng = new Random(7);
        using var calibrator = new Int8Calibrator([RandomLayer(rng, RnnCellType.Lstm, 7, 40), RandomLayer(rng, RnnCellType.Lstm, 40, 40)], 2, 4);
        calibrator.Observe(RandomFloats(rng, 4 * 2 * 7, 0.5), 4, 2);
        string before = calibrator.ToCalibration().ToJson() + calibrator.ToCalibration(50).ToJson();
        var bad = RandomFloats(rng, 4 * 2 * 7, 0.5);
        bad[0] = 100f;         // t = 0: was recorded before the NaN was seen
        bad[^1] = float.NaN;   // t = 3, row 1
        Assert.Throws<ArgumentException>(() => calibrator.Observe(bad, 4, 2));
        Assert.That(calibrator.ToCalibration().ToJson() + calibrator.ToCalibration(50).ToJson(), Is.EqualTo(before), "a refused Observe left part of its batch in the calibration");
        Assert.That(calibrator.Rows, Is.EqualTo(2));
        // A NaN in padding past a row's length is never read: still accepted.
        bad[0] = 0.5f;
        calibrator.Observe(bad, 4, 2, [4, 3]);
        Assert.That(calibrator.Rows, Is.EqualTo(4));
    }

    [Test]
    public void AStateThatTurnsNonFiniteInALaterLayerUndoesTheEarlierLayersRecords()
    {
        // Layer 0 saturates (h ≈ tanh(1)) on x = 1 and gives exact zeros on x = 0. Layer 1's products overflow on a
        // saturated input: W·x → +∞ and, from the second step, R·h → −∞, whose sum is NaN; on zeros they stay 0.
        var first = new LayerWeights<float>(new RnnLayerOptions(RnnCellType.Lstm, 2, 2));
        Array.Fill(first.Directions[0].W, 100f);
        var second = new LayerWeights<float>(new RnnLayerOptions(RnnCellType.Lstm, 2, 2));
        Array.Fill(second.Directions[0].W, 3e38f);
        Array.Fill(second.Directions[0].R, -3e38f);
        using var calibrator = new Int8Calibrator([first, second], 1, 2);
        calibrator.Observe(new float[2 * 1 * 2], 2, 1);
        string before = calibrator.ToCalibration().ToJson() + calibrator.ToCalibration(50).ToJson();
        // x is finite, so the call runs; layer 0 records its input range 1 before layer 1's hidden state is refused.
        var e = Assert.Throws<ArgumentException>(() => calibrator.Observe([1f, 1f, 1f, 1f], 2, 1));
        Assert.That(e!.Message, Does.Contain("layer 1's hidden state"));
        Assert.That(calibrator.ToCalibration().ToJson() + calibrator.ToCalibration(50).ToJson(), Is.EqualTo(before), "layer 0's records of the refused call were kept");
        Assert.That(calibrator.Rows, Is.EqualTo(1));
    }

    [Test]
    public void CalibrationRoundTripsThroughJsonExactlyAndRejectsBadDocuments()
    {
        var rng = FreshRandom(out _);
        var cal = new Int8Calibration(
        [
            new Int8LayerRanges((float)rng.NextDouble() * 3 + 1e-3f, [(float)rng.NextDouble(), 1 / 3f]),
            new Int8LayerRanges(Quantization.ActivationFloor, [float.MaxValue]),
        ]);
        var back = Int8Calibration.FromJson(cal.ToJson());
        Assert.That(back.Layers, Has.Count.EqualTo(2));
        for (int l = 0; l < 2; l++)
        {
            Assert.That(back.Layers[l].Input, Is.EqualTo(cal.Layers[l].Input), $"layer {l} input");
            Assert.That(back.Layers[l].Hidden, Is.EqualTo(cal.Layers[l].Hidden), $"layer {l} hidden");
        }
        string good = cal.ToJson();
        foreach (var (bad, expected) in new[]
        {
            ("not json", "not valid JSON"),
            ("[]", "the document must be a JSON object"),
            (good.Replace("lstmnative-int8-calibration", "other"), "not an int8 calibration"),
            (good.Replace("\"version\": 1", "\"version\": 2"), "version"),
            (good.Replace("\"hidden\"", "\"hiddn\""), "unknown field \"hiddn\""),
            ("{\"format\": \"lstmnative-int8-calibration\", \"version\": 1}", "missing \"layers\""),
            ("{\"format\": \"lstmnative-int8-calibration\", \"version\": 1, \"layers\": []}", "at least one layer"),
            ("{\"format\": \"lstmnative-int8-calibration\", \"version\": 1, \"layers\": [{\"input\": -1, \"hidden\": [1]}]}", "finite and positive"),
            ("{\"format\": \"lstmnative-int8-calibration\", \"version\": 1, \"layers\": [{\"input\": 1, \"hidden\": [\"1\"]}]}", "must be a JSON number"),
        })
        {
            var e = Assert.Throws<FormatException>(() => Int8Calibration.FromJson(bad), bad);
            Assert.That(e!.Message, Does.Contain(expected), bad);
        }
    }

    // ---------------------------------------------------------------- end to end

    private static (Int8Calibration Calibration, float[] HeldOut) Calibrate(Random rng, LayerWeights<float>[] layers, int input, int steps, int batch)
    {
        using var calibrator = new Int8Calibrator(layers, batch, steps);
        for (int i = 0; i < 4; i++)
            calibrator.Observe(RandomFloats(rng, steps * batch * input, 1), steps, batch);
        return (calibrator.ToCalibration(), RandomFloats(rng, steps * batch * input, 1));
    }

    private static CpuRnnModel Packed(bool native, Func<CpuRnnModel> pack)
    {
        NativeCpu.EnableInt8(native);
        try
        {
            return pack();
        }
        finally
        {
            NativeCpu.EnableInt8(true);
        }
    }

    public static IEnumerable<TestCaseData> AccuracyCases()
    {
        foreach (var cell in new[] { RnnCellType.Lstm, RnnCellType.Gru })
            foreach (int h in new[] { 1, 64, 255, 257 })
                foreach (bool native in new[] { false, true })
                    yield return new TestCaseData(cell, h, native).SetArgDisplayNames($"{cell} H={h} {(native ? "native" : "managed")}");
    }

    /// <summary>
    /// Calibrated on four batches, run on a held-out batch from the same distribution (T = 100, I = H, inputs in ±1,
    /// PyTorch's initialisation): within the documented bound of float32, Y, Y_h and Y_c.
    /// </summary>
    [TestCaseSource(nameof(AccuracyCases))]
    public void StaysWithinTheDocumentedBoundOnHeldOutInputs(RnnCellType cell, int hidden, bool native)
    {
        if (native)
            RequireVnni();
        const int steps = 100, batch = 2;
        var rng = FreshRandom(out _);
        LayerWeights<float>[] layers = [RandomLayer(rng, cell, hidden, hidden)];
        var (cal, x) = Calibrate(rng, layers, hidden, steps, batch);
        var exact = RunModel(new CpuRnnModel(layers), x, steps, batch);
        var model = Packed(native, () => new CpuRnnModel(layers, cal));
        var q = RunModel(model, x, steps, batch, threads: hidden == 257 ? 2 : 1);
        double worst = Math.Max(MaxAbsDiff(q.Y, exact.Y), Math.Max(MaxAbsDiff(q.Yh, exact.Yh), MaxAbsDiff(q.Yc, exact.Yc)));
        TestContext.Out.WriteLine($"{cell} H={hidden} static int8 ({(native ? "native" : "managed")}): max |Y - Y_fp32| = {worst:E2}");
        Assert.That(worst, Is.LessThan(Bound));
        Assert.That(worst, Is.GreaterThan(0), "the products really are quantized");
    }

    public static IEnumerable<TestCaseData> StackCases()
    {
        foreach (var cell in new[] { RnnCellType.Lstm, RnnCellType.Gru })
            foreach (var w in Widths())
                yield return new TestCaseData(cell, w).SetArgDisplayNames($"{cell} {w}");
    }

    /// <summary>
    /// Two bidirectional layers (peepholes / linear_before_reset = 0), ragged lengths, odd sizes, I = 1: every width of
    /// the managed kernels agrees with the scalar path, and the default kernels (native where on) stay within the bound.
    /// </summary>
    [TestCaseSource(nameof(StackCases))]
    public void BidirectionalStacksAgreeAcrossWidthsAndWithFloat32(RnnCellType cell, KernelWidth width)
    {
        const int steps = 40, batch = 3, input = 1, hidden = 33;
        var rng = FreshRandom(out _);
        LayerWeights<float>[] layers =
        [
            RandomLayer(rng, cell, input, hidden, variant: true, RnnDirection.Bidirectional),
            RandomLayer(rng, cell, 2 * hidden, hidden, dir: RnnDirection.Bidirectional),
        ];
        var (cal, x) = Calibrate(rng, layers, input, steps, batch);
        int[] lengths = [steps, 11, 1];
        var exact = RunModel(new CpuRnnModel(layers), x, steps, batch, lengths);
        var at = RunModel(Packed(false, () => new CpuRnnModel(layers, Options(width, 1), CpuPrecision.Int8, cal)), x, steps, batch, lengths);
        var scalar = RunModel(Packed(false, () => new CpuRnnModel(layers, Options(KernelWidth.Scalar, 1), CpuPrecision.Int8, cal)), x, steps, batch, lengths);
        var fast = RunModel(new CpuRnnModel(layers, cal), x, steps, batch, lengths);
        Assert.Multiple(() =>
        {
            Assert.That(MaxAbsDiff(at.Y, scalar.Y), Is.LessThan(1e-4), "against the scalar path");
            Assert.That(MaxAbsDiff(at.Yh, scalar.Yh), Is.LessThan(1e-4));
            Assert.That(MaxAbsDiff(at.Y, exact.Y), Is.LessThan(Bound), "managed against float32");
            Assert.That(MaxAbsDiff(fast.Y, exact.Y), Is.LessThan(Bound), "default kernels against float32");
        });
    }

    /// <summary>NaN or ±∞ in a row's input makes that row NaN (static scales never scan, but they check), managed and native.</summary>
    [TestCase(false)]
    [TestCase(true)]
    public void NonFiniteInputsGiveNaN(bool native)
    {
        if (native)
            RequireVnni();
        var rng = FreshRandom(out _);
        const int input = 40, hidden = 48;
        LayerWeights<float>[] layers = [RandomLayer(rng, RnnCellType.Lstm, input, hidden)];
        var (cal, _) = Calibrate(rng, layers, input, 3, 2);
        using var s = Packed(native, () => new CpuRnnModel(layers, cal)).CreateSession(2, 3);
        var x = RandomFloats(rng, 3 * 2 * input, 1);
        x[(0 * 2 + 1) * input + 33] = float.NaN;             // row 1, step 0 (past the vector loop's first block)
        x[(2 * 2 + 0) * input + 3] = float.NegativeInfinity; // row 0, step 2
        var y = new float[3 * 2 * hidden];
        s.Run(x, 3, 2, y);
        Assert.Multiple(() =>
        {
            Assert.That(y.AsSpan(0, hidden).ToArray(), Has.None.NaN, "row 0, step 0 is finite");
            Assert.That(y.AsSpan(hidden, hidden).ToArray(), Has.All.NaN, "row 1 after its NaN input");
            Assert.That(y.AsSpan(2 * 2 * hidden + hidden, hidden).ToArray(), Has.All.NaN, "row 1 stays NaN");
            Assert.That(y.AsSpan(2 * 2 * hidden, hidden).ToArray(), Has.All.NaN, "row 0 after its -∞ input");
        });
    }

    [TestCase(false)]
    [TestCase(true)]
    public void RunAndStepAllocateNothingInSteadyState(bool native)
    {
        var rng = new Random(3);
        LayerWeights<float>[] layers = [RandomLayer(rng, RnnCellType.Lstm, 32, 64), RandomLayer(rng, RnnCellType.Gru, 64, 64)];
        var (cal, x) = Calibrate(rng, layers, 32, 10, 4);
        using var session = Packed(native, () => new CpuRnnModel(layers, cal)).CreateSession(4, 10);
        var y = new float[10 * 4 * 64];
        var step = new float[4 * 64];
        long allocated = SteadyStateAllocation(() =>
        {
            for (int i = 0; i < 20; i++)
            {
                session.Run(x, 10, 4, y);
                session.Step(x.AsSpan(0, 4 * 32), 4, step);
                session.Step(x.AsSpan(0, 32), 1, step.AsSpan(0, 64));
            }
        });
        Assert.That(allocated, Is.Zero, "bytes allocated by 20 x (Run + Step at batch 4 + Step at batch 1)");
    }

    // ---------------------------------------------------------------- the load-time probe

    private static delegate* unmanaged<int, int, float*, nint, nint, sbyte*, nint, int, int, float*, int*, float*, nint, int, byte*, nint, float, float, int> _realStatic;

    /// <summary>A wrong static kernel: the real one with the range doubled (a plausible bug: the scale's levels mixed up).</summary>
    [UnmanagedCallersOnly]
    private static int WrongStatic(int m, int k, float* a, nint ars, nint acs, sbyte* b, nint pb, int p0, int count, float* cs, int* sums,
        float* c, nint ldc, int acc, byte* scratch, nint scratchBytes, float scale, float inverse) =>
        _realStatic(m, k, a, ars, acs, b, pb, p0, count, cs, sums, c, ldc, acc, scratch, scratchBytes, 2 * scale, inverse / 2);

    /// <summary>The probe accepts the real kernels and rejects a static kernel that scales wrongly (each width's kernels).</summary>
    [TestCase(32, "avx512vnni")]
    [TestCase(16, "avxvnni")]
    public void TheLoadTimeProbeRejectsAWrongStaticKernel(int panelWidth, string isa)
    {
        NativeCpuTests.RequireVnni(panelWidth);
        string dir = Path.GetDirectoryName(typeof(NativeCpu).Assembly.Location)!;
        nint handle = NativeLibrary.Load(Path.Combine(dir, "liblstmnative_cpu.so"));
        var dynamic = (delegate* unmanaged<int, int, float*, nint, nint, sbyte*, nint, int, int, float*, int*, float*, nint, int, byte*, nint, int>)
            NativeLibrary.GetExport(handle, $"lstmn_qgemm_u8s8_{isa}");
        _realStatic = (delegate* unmanaged<int, int, float*, nint, nint, sbyte*, nint, int, int, float*, int*, float*, nint, int, byte*, nint, float, float, int>)
            NativeLibrary.GetExport(handle, $"lstmn_qgemm_u8s8_static_{isa}");
        Assert.That(NativeCpu.Probe(dynamic, _realStatic, panelWidth), Is.Null, "the real kernels pass");
        string? mismatch = NativeCpu.Probe(dynamic, &WrongStatic, panelWidth);
        TestContext.Out.WriteLine(mismatch);
        Assert.That(mismatch, Does.Contain("static"));
    }
}

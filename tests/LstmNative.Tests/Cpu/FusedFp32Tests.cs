using LstmNative.Cpu;
using LstmNative.Cpu.Kernels;
using LstmNative.Model;
using LstmNative.Reference;
using NUnit.Framework;
using static LstmNative.Tests.Cpu.CpuTestSupport;

namespace LstmNative.Tests.Cpu;

/// <summary>
/// The fused float32 forward (batch 1, one worker: the input projection of the next block of steps runs inside each
/// step's recurrent product, LayerExecutor.Fused.cs): its products bit for bit their references on random shapes, and
/// whole layers (LSTM and GRU, both linear_before_reset settings, odd sizes, both directions, lengths around the block
/// of 8, input past one K block) equal to the unfused forward — bit for bit where the plain GEMM sums every row with
/// its 3-6-row kernels, within float32 rounding otherwise — and to the float64 reference. Fresh seeds every run.
/// </summary>
[NonParallelizable] // switches LayerExecutor.FusedFp32Enabled
public unsafe class FusedFp32Tests
{
    [TearDown]
    public void Restore() => LayerExecutor.FusedFp32Enabled = true;

    private static void RequireFused()
    {
        if (!NativeCpu.Fp32Fused)
            Assert.Ignore($"the fused native fp32 product is not active here: {NativeCpu.Status}");
    }

    private static Random FreshRandom()
    {
        int seed = TestContext.CurrentContext.Random.Next();
        TestContext.Out.WriteLine($"seed {seed}");
        return new Random(seed);
    }

    [Test]
    public void ProductsEqualTheirReferencesBitForBit([Range(1, 6)] int round)
    {
        RequireFused();
        var rng = FreshRandom();
        int k = rng.Next(0, 300), n = rng.Next(1, 400), kx = rng.Next(1, 600), nx = rng.Next(1, 400), rows = rng.Next(0, NativeCpu.FusedRows + 1);
        PackedMatrix Matrix(int kk, int nn)
        {
            var m = new PackedMatrix(kk, nn, 32);
            m.Pack(new NativeCpu.ArrayMap(RandomFloats(rng, kk * nn, 1), nn));
            return m;
        }
        var r = Matrix(Math.Max(k, 1), n);
        var w = Matrix(kx, nx);
        int q0 = rng.Next(0, w.Panels), qcount = rng.Next(0, w.Panels - q0 + 1), ld = w.Panels * 32;
        TestContext.Out.WriteLine($"k={k} n={n} kx={kx} nx={nx} rows={rows} panels [{q0}, {q0 + qcount})");
        var h = RandomFloats(rng, Math.Max(k, 1), 1);
        var x = RandomFloats(rng, rows * kx, 1);
        var xs = new float[NativeCpu.FusedBlockFloats(kx)];
        var c = new float[r.Panels * 32];
        var cPlain = new float[c.Length];
        var cx = new float[Math.Max(rows, 1) * ld];
        var cxAlone = new float[cx.Length];
        var cxRef = new float[cx.Length];
        fixed (float* hp = h, xp = x, xsp = xs, cp = c, cpp = cPlain, cxp = cx, cap = cxAlone)
        {
            NativeCpu.InterleaveSideRows(rows, kx, xp, kx, xsp);
            NativeCpu.RunFp32Fused(Math.Max(k, 1), hp, r, cp, kx, xsp, rows, w, q0, qcount, cxp, ld);
            NativeCpu.RunFp32(Math.Max(k, 1), hp, 1, r, 0, r.Panels, cpp, false);
            NativeCpu.RunFp32Side(kx, xsp, rows, w, q0, qcount, cap, ld);
        }
        for (int i = 0; i < rows; i++)
            NativeCpu.ReferenceSideRow(kx, x.AsSpan(i * kx, kx), w, q0, qcount, cxRef.AsSpan(i * ld, ld));
        Assert.That(c.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(cPlain.Select(BitConverter.SingleToInt32Bits)), "recurrent product");
        Assert.That(cx.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(cxRef.Select(BitConverter.SingleToInt32Bits)), "side rows");
        Assert.That(cxAlone.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(cxRef.Select(BitConverter.SingleToInt32Bits)), "side rows alone");
    }

    public static IEnumerable<TestCaseData> Layers()
    {
        foreach (var cell in new[] { RnnCellType.Lstm, RnnCellType.Gru })
            foreach (var c in Shapes())
                yield return new TestCaseData([cell, .. c.Arguments]).SetArgDisplayNames($"{cell.ToString().ToUpperInvariant()} {c.TestName}");
    }

    private static IEnumerable<TestCaseData> Shapes()
    {
        // (input, hidden, steps, direction, peepholes): steps around the block of 8 and the GEMM's slivers of 6, W longer
        // and shorter than R, input past one K block. peepholes: LSTM peepholes; GRU linear_before_reset = 0.
        yield return new TestCaseData(1, 1, 1, RnnDirection.Forward, false) { TestName = "I=1 H=1 T=1" };
        yield return new TestCaseData(7, 5, 9, RnnDirection.Forward, false) { TestName = "I=7 H=5 T=9" };
        yield return new TestCaseData(130, 33, 8, RnnDirection.Reverse, true) { TestName = "I=130 H=33 T=8 reverse, peepholes / two-phase" };
        yield return new TestCaseData(64, 100, 30, RnnDirection.Bidirectional, false) { TestName = "I=64 H=100 T=30 bidirectional" };
        yield return new TestCaseData(300, 64, 17, RnnDirection.Forward, false) { TestName = "I=300 H=64 T=17 (two K blocks)" };
        yield return new TestCaseData(256, 257, 25, RnnDirection.Bidirectional, true) { TestName = "I=256 H=257 T=25 bidirectional, peepholes / two-phase" };
        yield return new TestCaseData(19, 64, 100, RnnDirection.Reverse, false) { TestName = "I=19 H=64 T=100 reverse" };
    }

    [TestCaseSource(nameof(Layers))]
    public void FusedForwardEqualsTheUnfusedOne(RnnCellType cell, int input, int hidden, int steps, RnnDirection direction, bool peepholes)
    {
        RequireFused();
        var rng = FreshRandom();
        var options = cell == RnnCellType.Lstm
            ? new RnnLayerOptions(cell, input, hidden, direction) { HasPeepholes = peepholes, Clip = 4f }
            : new RnnLayerOptions(cell, input, hidden, direction) { LinearBeforeReset = !peepholes, Clip = 4f };
        var layer = new LayerWeights<float>(options).Randomize(rng, 1.0 / Math.Sqrt(hidden));
        var x = RandomFloats(rng, steps * input, 1);
        var model = new CpuRnnModel([layer], CpuPrecision.Fp32);
        foreach (int length in new[] { steps, Math.Max(0, steps - rng.Next(1, 10)) })
        {
            var fused = Run(model, x, steps, length, fused: true, out long walks);
            Assert.That(walks, Is.EqualTo(length == 0 ? 0 : options.DirectionCount), "every direction's walk took the fused forward");
            var plain = Run(model, x, steps, length, fused: false, out long plainWalks);
            Assert.That(plainWalks, Is.Zero);
            if (SumsEveryRowAlike(steps))
                Assert.That(fused.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(plain.Select(BitConverter.SingleToInt32Bits)),
                    $"bit for bit the unfused forward (length {length}): the plain GEMM sums each of its {steps} rows as the side product does");
            var failures = Compare($"fused vs unfused, length {length}", fused, ToDoubles(plain), RelativeTolerance, out double worst);
            Assert.That(failures, Is.Empty);
            TestContext.Out.WriteLine($"length {length}: worst relative difference from the unfused forward {worst:E2}");
        }
        // And the float64 reference, full length (Y only).
        var expected = ReferenceRnn.Forward<double>(layer.Convert<double>(), ToDoubles(x), steps, 1, [], [], []);
        var y = Run(model, x, steps, steps, fused: true, out _).AsSpan(0, expected.Y.Length);
        Assert.That(Compare("Y vs float64", y, expected.Y, RelativeTolerance, out _), Is.Empty);
    }

    [Test]
    public void OnlyBatchOneOnOneWorkerIsFused()
    {
        RequireFused();
        var rng = FreshRandom();
        var layer = new LayerWeights<float>(new RnnLayerOptions(RnnCellType.Lstm, 40, 72)).Randomize(rng, 0.15);
        var model = new CpuRnnModel([layer], CpuPrecision.Fp32);
        var x = RandomFloats(rng, 12 * 2 * 40, 1);
        long before = Interlocked.Read(ref LayerExecutor.FusedWalks);
        using (var batch = model.CreateSession(2, 12, threads: 1))
            batch.Run(x, 12, 2, new float[12 * 2 * 72]);
        using (var stream = model.CreateSession(1, 1, threads: 1))
            for (int t = 0; t < 3; t++)
                stream.Step(x.AsSpan(t * 40, 40), 1, new float[72]);
        Assert.That(Interlocked.Read(ref LayerExecutor.FusedWalks) - before, Is.EqualTo(3), "the batch of two is not fused; each one-step call is");
    }

    // Sgemm runs a product of more than MR rows in K blocks of KC, in row blocks of MC split into slivers of MR; slivers
    // of 3-6 rows are one FMA chain per element, as the side product; 1 and 2 rows use more chains.
    private static bool SumsEveryRowAlike(int rows) =>
        rows > Sgemm.MR && Enumerable.Range(0, (rows + Sgemm.MC - 1) / Sgemm.MC)
            .All(b => Math.Min(Sgemm.MC, rows - b * Sgemm.MC) % Sgemm.MR is 0 or >= 3);

    private static float[] Run(CpuRnnModel model, float[] x, int steps, int length, bool fused, out long walks)
    {
        LayerExecutor.FusedFp32Enabled = fused;
        var o = model.Plans[0].Options;
        using var session = model.CreateSession(1, steps, threads: 1);
        var y = new float[steps * o.DirectionCount * o.HiddenSize];
        var hn = new float[o.DirectionCount * o.HiddenSize];
        var cn = new float[o.Cell == RnnCellType.Lstm ? hn.Length : 0];
        long before = Interlocked.Read(ref LayerExecutor.FusedWalks);
        session.Run(x, steps, 1, y, hn, cn, [length]);
        walks = Interlocked.Read(ref LayerExecutor.FusedWalks) - before;
        return [.. y, .. hn, .. cn];
    }
}

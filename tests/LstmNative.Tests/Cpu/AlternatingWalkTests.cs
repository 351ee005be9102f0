using LstmNative.Cpu;
using LstmNative.Cpu.Kernels;
using LstmNative.Model;
using NUnit.Framework;
using static LstmNative.Tests.Cpu.CpuTestSupport;

namespace LstmNative.Tests.Cpu;

/// <summary>
/// Every other step reads R's panels last run first (<see cref="Sgemm.RunRecurrent{TV}"/>), so that the panels the
/// previous step left in L2 are read before they are evicted. Only the order of reading changes: the product, each
/// forward and each backward must be bit for bit what the one-way walk gives, at every precision and width, with odd
/// panel counts and several rows. Each case first checks that its shape really alternates, so it cannot pass untested.
/// Seeds are fresh every run and printed.
/// </summary>
[NonParallelizable] // switches LayerExecutor.AlternateWalks
public unsafe class AlternatingWalkTests
{
    [TearDown]
    public void Restore() => LayerExecutor.AlternateWalks = true;

    private static Random FreshRandom() => new(CpuTestSupport.FreshSeed());

    // k and n give 9 panels (odd: a lone last panel) of 64-66 KiB, or 31 panels of 16 KiB (runs of 14 panels, 3 runs).
    [TestCase(CpuPrecision.Fp32, 1, 515, 9 * 32 - 5)]
    [TestCase(CpuPrecision.Fp32, 2, 515, 9 * 32)]
    [TestCase(CpuPrecision.Fp32, 1, 130, 31 * 32 - 1)]
    [TestCase(CpuPrecision.Fp32, 3, 130, 31 * 32)]
    [TestCase(CpuPrecision.Bf16, 1, 1023, 9 * 32 - 3)]
    [TestCase(CpuPrecision.Bf16, 2, 1023, 9 * 32)]
    [TestCase(CpuPrecision.Int8, 1, 2047, 9 * 32 - 1)]
    [TestCase(CpuPrecision.Int8, 2, 2047, 9 * 32)]
    public void DescendingProductEqualsTheAscendingOne(CpuPrecision precision, int m, int k, int n)
    {
        var rng = FreshRandom();
        var b = new PackedMatrix(k, n, 32, precision);
        b.Pack(new NativeCpu.ArrayMap(RandomFloats(rng, k * n, 1 / Math.Sqrt(k)), n));
        var a = RandomFloats(rng, m * k, 1);
        var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
        int ldc = b.Panels * 32;
        foreach (var width in Widths())
            foreach (bool accumulate in new[] { false, true })
                foreach (var (p0, count) in new[] { (0, b.Panels), (1, b.Panels - 1), (2, b.Panels - 3) })
                {
                    // More rows than MaxRowsInRuns are read in one run: the same bits trivially, still checked.
                    Assert.That(Sgemm.DescendingRunPanels(m, b, count, descending: true) > 0, Is.EqualTo(m <= Sgemm.MaxRowsInRuns(b)), $"panels [{p0}, {p0 + count}) of {b.PanelBytes} bytes, {m} rows");
                    var ascending = RandomFloats(rng, m * ldc, 1);
                    var descending = (float[])ascending.Clone();
                    fixed (float* ap = a, up = ascending, dp = descending)
                    {
                        Product(width, m, k, ap, b, p0, count, up, ldc, accumulate, scratch.Pointer, descending: false);
                        Product(width, m, k, ap, b, p0, count, dp, ldc, accumulate, scratch.Pointer, descending: true);
                    }
                    Assert.That(descending, Is.EqualTo(ascending), $"{precision} {width} m={m} accumulate={accumulate} panels [{p0}, {p0 + count})");
                }
        GC.KeepAlive(b);
        GC.KeepAlive(scratch);
    }

    private static void Product(KernelWidth width, int m, int k, float* a, PackedMatrix b, int p0, int count, float* c, int ldc,
        bool accumulate, float* scratch, bool descending)
    {
        switch (width)
        {
            case KernelWidth.Vector512:
                Sgemm.RunRecurrent<Vec512>(m, k, a, k, 1, b, p0, count, c, ldc, accumulate, scratch, descending);
                break;
            case KernelWidth.Vector256:
                Sgemm.RunRecurrent<Vec256>(m, k, a, k, 1, b, p0, count, c, ldc, accumulate, scratch, descending);
                break;
            default:
                Sgemm.RunRecurrent<VecS>(m, k, a, k, 1, b, p0, count, c, ldc, accumulate, scratch, descending);
                break;
        }
    }

    /// <summary>A whole model, at sizes whose R alternates: two runs and three streaming steps in a row, one-way and alternating.</summary>
    [TestCase(RnnCellType.Lstm, CpuPrecision.Fp32, 160, 1, 1)]
    [TestCase(RnnCellType.Lstm, CpuPrecision.Fp32, 255, 3, 2)]
    [TestCase(RnnCellType.Lstm, CpuPrecision.Fp32, 256, 1, 2)]
    [TestCase(RnnCellType.Gru, CpuPrecision.Fp32, 256, 1, 1)]
    [TestCase(RnnCellType.Gru, CpuPrecision.Fp32, 257, 1, 2)]
    [TestCase(RnnCellType.Lstm, CpuPrecision.Bf16, 368, 1, 1)]
    [TestCase(RnnCellType.Lstm, CpuPrecision.Int8, 512, 1, 1)]
    [TestCase(RnnCellType.Gru, CpuPrecision.Int8, 640, 1, 1)]
    public void SessionOutputsAreUnchanged(RnnCellType cell, CpuPrecision precision, int hidden, int batch, int threads)
    {
        var rng = FreshRandom();
        const int input = 24, steps = 5;
        foreach (bool lbr in cell == RnnCellType.Gru ? new[] { false, true } : new[] { false })
        {
            var options = new RnnLayerOptions(cell, input, hidden) { LinearBeforeReset = lbr };
            var layer = new LayerWeights<float>(options).Randomize(rng, 1 / Math.Sqrt(hidden));
            var model = new CpuRnnModel([layer], precision);
            long bytes = model.Plans[0].Directions[0].Groups.Sum(g => g.RecurrentForward.Panels * g.RecurrentForward.PanelBytes);
            Assert.That(LayerExecutor.Alternates(bytes / threads), Is.True, $"R of H = {hidden} ({bytes} bytes on {threads} workers) should alternate");
            var x = RandomFloats(rng, (2 * steps + 3) * batch * input, 1);
            float[] Outputs(bool alternate)
            {
                LayerExecutor.AlternateWalks = alternate;
                using var session = model.CreateSession(batch, steps, threads);
                var y = new float[(2 * steps + 3) * batch * hidden];
                // An odd number of steps first, so the second run starts on a descending step.
                session.Run(x.AsSpan(0, (steps - 2) * batch * input), steps - 2, batch, y.AsSpan(0, (steps - 2) * batch * hidden));
                session.Run(x.AsSpan((steps - 2) * batch * input, steps * batch * input), steps, batch, y.AsSpan((steps - 2) * batch * hidden, steps * batch * hidden));
                for (int t = 2 * steps - 2; t < 2 * steps + 3; t++)
                    session.Step(x.AsSpan(t * batch * input, batch * input), batch, y.AsSpan(t * batch * hidden, batch * hidden));
                return y;
            }
            var oneWay = Outputs(false);
            var alternating = Outputs(true);
            Assert.That(oneWay.Any(v => v != 0), Is.True, "the model produced output");
            Assert.That(alternating, Is.EqualTo(oneWay), $"{cell} {precision} H={hidden} B={batch} threads={threads} lbr={lbr}");
        }
    }

    /// <summary>Training: the forward trace and every gradient, one-way and alternating (float32, the engine's training precision).</summary>
    /// <remarks>R of H = 161 is 432 KB, 256 is 1 MiB (512 KiB a worker on two): both alternate.</remarks>
    [TestCase(RnnCellType.Lstm, 161, 1, 1)]
    [TestCase(RnnCellType.Lstm, 161, 3, 1)]
    [TestCase(RnnCellType.Lstm, 256, 1, 2)]
    [TestCase(RnnCellType.Gru, 257, 1, 1)]
    public void GradientsAreUnchanged(RnnCellType cell, int hidden, int batch, int threads)
    {
        var rng = FreshRandom();
        const int input = 17, steps = 5;
        var options = new RnnLayerOptions(cell, input, hidden);
        var layer = new LayerWeights<float>(options).Randomize(rng, 1 / Math.Sqrt(hidden));
        var x = RandomFloats(rng, steps * batch * input, 1);
        var dy = RandomFloats(rng, steps * batch * hidden, 1);
        var dyh = RandomFloats(rng, batch * hidden, 1);
        var dyc = cell == RnnCellType.Lstm ? RandomFloats(rng, batch * hidden, 1) : [];
        foreach (var width in Widths())
        {
            List<float[]> Everything(bool alternate)
            {
                LayerExecutor.AlternateWalks = alternate;
                var trace = CpuRnn.Forward(layer, x, steps, batch, [], default, default, Options(width, threads));
                var grads = CpuRnn.Backward(trace, dy, dyh, dyc);
                return [trace.Y.ToArray(), trace.Yh.ToArray(), grads.DX, grads.DH0, grads.DC0, .. grads.Weights.Directions[0].Parameters()];
            }
            var oneWay = Everything(false);
            var alternating = Everything(true);
            for (int i = 0; i < oneWay.Count; i++)
                Assert.That(alternating[i], Is.EqualTo(oneWay[i]), $"{cell} H={hidden} B={batch} threads={threads} {width}: array {i}");
        }
    }
}

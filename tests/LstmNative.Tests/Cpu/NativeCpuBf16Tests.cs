using LstmNative.Cpu;
using LstmNative.Cpu.Kernels;
using LstmNative.Model;
using NUnit.Framework;

namespace LstmNative.Tests.Cpu;

/// <summary>
/// The native bf16 kernel (<c>vdpbf16ps</c>) against its managed reference (<see cref="NativeCpu.ReferenceBf16Pairs"/>):
/// exactly where float32 holds every partial sum exactly (so the summation order cannot matter), within float32
/// summation-order rounding on random values; the model-level accuracy against float32; and the switches that leave
/// the managed path. Seeds are fresh every run and printed.
/// </summary>
public unsafe class NativeCpuBf16Tests
{
    private static void RequireBf16()
    {
        if (!NativeCpu.Bf16DotProduct)
            Assert.Ignore($"native bf16 kernel not active here (needs AVX512-BF16 and the library): {NativeCpu.Status}");
    }

    private static PackedMatrix Pack(float[] w, int k, int n)
    {
        var b = new PackedMatrix(k, n, 32, CpuPrecision.Bf16, bf16Pairs: true);
        Assert.That(b.IsBf16Pairs);
        b.Pack(new NativeCpu.ArrayMap(w, n));
        return b;
    }

    [TestCase(1, 1, 1)]
    [TestCase(1, 1, 32)]
    [TestCase(1, 2, 64)]
    [TestCase(1, 3, 33)]
    [TestCase(1, 64, 256)]
    [TestCase(1, 255, 1024)]
    [TestCase(1, 257, 96)]
    [TestCase(2, 513, 97)]
    [TestCase(5, 3, 64)]
    [TestCase(6, 100, 64)]
    [TestCase(7, 257, 200)]
    [TestCase(13, 31, 1)]
    [TestCase(100, 256, 1024)]
    [TestCase(3, 2049, 64)]
    public void MatchesTheManagedReference(int m, int k, int n)
    {
        RequireBf16();
        var rng = new Random(CpuTestSupport.FreshSeed());
        var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
        // exact: multiples of 1/4 up to 2, so products are multiples of 1/16 up to 4 and every partial sum (|s| < 2^13)
        // is exact in float32: any order gives the same bits. Otherwise uniform reals, the weights scaled as PyTorch's.
        foreach (bool exact in new[] { true, false })
        {
            float Next(double scale) => exact ? rng.Next(-8, 9) / 4f : (float)((rng.NextDouble() * 2 - 1) * scale);
            var w = new float[k * n];
            for (int i = 0; i < w.Length; i++)
                w[i] = Next(1 / Math.Sqrt(k));
            var b = Pack(w, k, n);
            int lda = k + 3; // a strided row start, unit column stride
            var a = new float[m * lda];
            for (int i = 0; i < a.Length; i++)
                a[i] = Next(1);
            if (m > 2)
                Array.Clear(a, lda, k); // an all-zero row
            int ldc = b.Panels * 32 + 5;
            foreach (bool accumulate in new[] { false, true })
                foreach (var (p0, count) in new[] { (0, b.Panels), (b.Panels / 2, b.Panels - b.Panels / 2) })
                {
                    if (count == 0)
                        continue;
                    var expected = new float[m * ldc];
                    var actual = new float[m * ldc];
                    var bound = new float[m * ldc];
                    for (int i = 0; i < expected.Length; i++)
                        expected[i] = actual[i] = (i % 11) * 0.25f;
                    var before = (float[])actual.Clone();
                    fixed (float* ap = a, ep = expected, cp = actual, bp = bound)
                    {
                        NativeCpu.ReferenceBf16Pairs(m, k, ap, lda, 1, b, p0, count, ep, ldc, accumulate, bp);
                        NativeCpu.RunBf16(m, k, ap, lda, 1, b, p0, count, cp, ldc, accumulate, scratch.Pointer);
                    }
                    string label = $"exact={exact} accumulate={accumulate} panels [{p0}, {p0 + count})";
                    for (int r = 0; r < m; r++)
                        for (int j = 0; j < ldc; j++)
                        {
                            int i = r * ldc + j;
                            if (j < p0 * 32 || j >= (p0 + count) * 32)
                                Assert.That(actual[i], Is.EqualTo(before[i]), $"{label}: C[{r},{j}] outside the panels was written");
                            else if (exact)
                                Assert.That(actual[i], Is.EqualTo(expected[i]), $"{label}: C[{r},{j}]");
                            else if (!NativeCpu.Bf16Agrees(actual[i], expected[i], bound[i]))
                                Assert.Fail($"{label}: C[{r},{j}] = {actual[i]:R}, the reference {expected[i]:R} (bound {bound[i]:E2})");
                        }
                }
            GC.KeepAlive(b);
        }
        GC.KeepAlive(scratch);
    }

    [Test]
    public void TransposedActivationsMatchTheReference()
    {
        RequireBf16();
        var rng = new Random(CpuTestSupport.FreshSeed());
        const int m = 5, k = 41, n = 70;
        var w = new float[k * n];
        for (int i = 0; i < w.Length; i++)
            w[i] = rng.Next(-8, 9) / 4f;
        var b = Pack(w, k, n);
        var a = new float[k * m]; // A(r, kk) = a[kk * m + r]: row stride 1, column stride m
        for (int i = 0; i < a.Length; i++)
            a[i] = rng.Next(-8, 9) / 4f;
        int ldc = b.Panels * 32;
        var expected = new float[m * ldc];
        var actual = new float[m * ldc];
        var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
        fixed (float* ap = a, ep = expected, cp = actual)
        {
            NativeCpu.ReferenceBf16Pairs(m, k, ap, 1, m, b, 0, b.Panels, ep, ldc, false);
            NativeCpu.RunBf16(m, k, ap, 1, m, b, 0, b.Panels, cp, ldc, false, scratch.Pointer);
        }
        GC.KeepAlive(b);
        GC.KeepAlive(scratch);
        Assert.That(actual, Is.EqualTo(expected));
    }

    /// <summary>
    /// K = 1 against weights of 1 makes C the rounded activation itself: ties to even, denormals to zero, NaN, ∞, −0 and
    /// overflow come out as <see cref="Quantization.ToBf16Activation"/> says, for full vectors and a tail.
    /// </summary>
    [Test]
    public void RoundsActivationsAsTheReferenceSays()
    {
        RequireBf16();
        float[] special =
        [
            1f, 1f + MathF.Pow(2, -8), 1f + MathF.Pow(2, -8) + MathF.Pow(2, -20), 1f + 3 * MathF.Pow(2, -8), -2.5f,
            1e-39f, -1e-39f, float.Epsilon, 1.2e-38f, float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, -0f,
            0f, 3.1415927f, -1e-20f, 65504f, 1.00390625f, -1.01171875f,
        ];
        var rng = new Random(CpuTestSupport.FreshSeed());
        var x = new float[special.Length + 40];
        special.CopyTo(x, 0);
        for (int i = special.Length; i < x.Length; i++)
            x[i] = (float)((rng.NextDouble() * 2 - 1) * Math.Pow(2, rng.Next(-130, 120)));
        var ones = new float[32];
        Array.Fill(ones, 1f);
        var b = Pack(ones, 1, 32);
        var c = new float[x.Length * 32];
        var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
        fixed (float* xp = x, cp = c)
            NativeCpu.RunBf16(x.Length, 1, xp, 1, 1, b, 0, 1, cp, 32, false, scratch.Pointer);
        GC.KeepAlive(b);
        GC.KeepAlive(scratch);
        for (int i = 0; i < x.Length; i++)
        {
            // 0 + value: a sum starts at +0, so a −0 activation gives +0 (as in the reference).
            float expected = 0f + Quantization.FromBf16(Quantization.ToBf16Activation(x[i]));
            Assert.That(BitConverter.SingleToInt32Bits(c[i * 32]), Is.EqualTo(BitConverter.SingleToInt32Bits(expected)),
                $"x = {x[i]:R} ({BitConverter.SingleToUInt32Bits(x[i]):X8}): native {c[i * 32]:R}, reference {expected:R}");
        }
    }

    [Test]
    public void NonFiniteActivationsGiveNaNLikeTheReference()
    {
        RequireBf16();
        const int k = 40, n = 64;
        var w = new float[k * n];
        for (int i = 0; i < w.Length; i++)
            w[i] = (i % 13) / 13f - 0.5f;
        var b = Pack(w, k, n);
        var a = new float[2 * k];
        for (int i = 0; i < a.Length; i++)
            a[i] = i * 0.01f;
        a[5] = float.NaN;
        a[k + 7] = float.PositiveInfinity; // ∞ times weights of both signs (and zero): NaN in every column
        var expected = new float[2 * n];
        var actual = new float[2 * n];
        var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
        fixed (float* ap = a, ep = expected, cp = actual)
        {
            NativeCpu.ReferenceBf16Pairs(2, k, ap, k, 1, b, 0, 2, ep, n, false);
            NativeCpu.RunBf16(2, k, ap, k, 1, b, 0, 2, cp, n, false, scratch.Pointer);
        }
        GC.KeepAlive(b);
        GC.KeepAlive(scratch);
        Assert.That(actual.AsSpan(0, n).ToArray(), Is.All.NaN, "row 0 (a NaN activation)");
        for (int j = 0; j < n; j++)
            Assert.That(NativeCpu.Bf16Agrees(actual[n + j], expected[n + j], 0), $"row 1 (∞), column {j}: {actual[n + j]} vs {expected[n + j]}");
    }

    /// <summary>
    /// Rounding the activations (x and h) to bf16 is the one numerical change against the managed bf16 path (which keeps
    /// them float32): the model must stay within the documented bf16 bound of float32 (1e-2, CpuPrecision). T = 100,
    /// I = H, weights uniform in ±1/√H, inputs in ±1; max over Y, Y_h, Y_c; the managed figure is printed beside it.
    /// </summary>
    [TestCase(RnnCellType.Lstm, 64, 1)]
    [TestCase(RnnCellType.Lstm, 256, 1)]
    [TestCase(RnnCellType.Lstm, 512, 1)]
    [TestCase(RnnCellType.Lstm, 1024, 1)]
    [TestCase(RnnCellType.Lstm, 257, 3)]
    [TestCase(RnnCellType.Gru, 64, 1)]
    [TestCase(RnnCellType.Gru, 256, 1)]
    [TestCase(RnnCellType.Gru, 512, 1)]
    [TestCase(RnnCellType.Gru, 1024, 1)]
    [TestCase(RnnCellType.Gru, 65, 3)]
    public void Bf16ModelOnTheNativeKernelStaysWithinTheBf16Bound(RnnCellType cell, int hidden, int batch)
    {
        RequireBf16();
        const int steps = 100;
        var rng = new Random(CpuTestSupport.FreshSeed());
        var o = new RnnLayerOptions(cell, hidden, hidden) { LinearBeforeReset = cell == RnnCellType.Gru };
        var layer = new LayerWeights<float>(o).Randomize(rng, 1 / Math.Sqrt(hidden));
        var x = CpuTestSupport.RandomFloats(rng, steps * batch * hidden, 1);
        float[] Run(CpuRnnModel model)
        {
            using var session = model.CreateSession(batch, steps);
            var y = new float[steps * batch * hidden];
            var yh = new float[batch * hidden];
            var yc = new float[batch * hidden];
            session.Run(x, steps, batch, y, yh, cell == RnnCellType.Lstm ? yc : default);
            return [.. y, .. yh, .. yc];
        }
        var fp32 = Run(new CpuRnnModel([layer], CpuPrecision.Fp32));
        var nativeModel = new CpuRnnModel([layer], CpuPrecision.Bf16);
        var native = Run(nativeModel);
        NativeCpu.EnableBf16(false);
        float[] managed;
        try
        {
            managed = Run(new CpuRnnModel([layer], CpuPrecision.Bf16));
        }
        finally
        {
            NativeCpu.EnableBf16(true);
        }
        double maxNative = fp32.Zip(native, (p, q) => Math.Abs(p - q)).Max();
        double maxManaged = fp32.Zip(managed, (p, q) => Math.Abs(p - q)).Max();
        TestContext.Out.WriteLine($"{cell} H={hidden} B={batch}: max |bf16 - fp32| native (bf16 activations) {maxNative:E2}, managed (fp32 activations) {maxManaged:E2}");
        Assert.That(maxNative, Is.LessThan(1e-2));
        Assert.That(maxNative, Is.GreaterThan(0));
        Assert.That(native, Is.Not.EqualTo(managed), "the native model really ran the native kernel");
    }

    /// <summary>
    /// <c>LSTMNATIVE_NATIVE=0</c> loads nothing (checked through the loader with that environment: the switch is read
    /// once per process), and with the kernel switched off bf16 models are packed for, and run, the managed widening
    /// kernels, whose activations stay float32 (a float64 model of that math agrees to float32 rounding).
    /// </summary>
    [Test]
    public void SwitchedOffLeavesTheManagedPath()
    {
        var off = NativeCpu.Load(name => name == "LSTMNATIVE_NATIVE" ? "0" : Environment.GetEnvironmentVariable(name));
        Assert.That(off.Status, Does.StartWith("off (LSTMNATIVE_NATIVE=0)"));
        Assert.That(off.Bf16 == null && off.Int8 == null, "no kernel loaded with LSTMNATIVE_NATIVE=0");
        if (Environment.GetEnvironmentVariable("LSTMNATIVE_NATIVE") != "0")
            Assert.That(NativeCpu.Load(Environment.GetEnvironmentVariable).Status, Is.EqualTo(NativeCpu.Status), "the loader is what the static constructor ran");

        var rng = new Random(CpuTestSupport.FreshSeed());
        const int m = 1, k = 77, n = 64;
        var w = CpuTestSupport.RandomFloats(rng, k * n, 1 / Math.Sqrt(k));
        var a = CpuTestSupport.RandomFloats(rng, m * k, 1);
        NativeCpu.EnableBf16(false);
        PackedMatrix b;
        try
        {
            b = new PackedMatrix(k, n, 32, CpuPrecision.Bf16);
        }
        finally
        {
            NativeCpu.EnableBf16(true);
        }
        Assert.That(b.IsBf16Pairs, Is.False, "packed for the managed kernels");
        b.Pack(new NativeCpu.ArrayMap(w, n));
        var c = new float[m * n];
        var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
        fixed (float* ap = a, cp = c)
            Sgemm.Run<Vec512>(m, k, ap, k, 1, b, 0, b.Panels, cp, n, false, scratch.Pointer);
        GC.KeepAlive(b);
        GC.KeepAlive(scratch);
        for (int j = 0; j < n; j++)
        {
            double s = 0, magnitude = 0;
            for (int kk = 0; kk < k; kk++)
            {
                double term = (double)a[kk] * Quantization.FromBf16(Quantization.ToBf16(w[kk * n + j]));
                s += term;
                magnitude += Math.Abs(term);
            }
            Assert.That(Math.Abs(c[j] - s), Is.LessThanOrEqualTo(1e-6 * magnitude), $"column {j}: float32 activations");
        }
    }
}

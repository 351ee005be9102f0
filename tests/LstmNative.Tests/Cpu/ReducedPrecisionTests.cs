using LstmNative.Cpu;
using LstmNative.Cpu.Kernels;
using LstmNative.Engines;
using LstmNative.Model;
using LstmNative.Onnx;
using NUnit.Framework;
using static LstmNative.Tests.Cpu.CpuTestSupport;

namespace LstmNative.Tests.Cpu;

/// <summary>
/// bf16 and int8 weights (<see cref="CpuPrecision"/>): the number formats, the packed products against scalar references
/// of the same quantized math, end-to-end accuracy against float32 on T = 100 models, and the API around them.
/// </summary>
public unsafe class ReducedPrecisionTests
{
    /// <summary>
    /// The tests that compare widths with each other or with a scalar model of the int16 (vpmaddwd) math or of float32
    /// activations run the managed kernels: the native VNNI kernel computes the uint8 scheme and the native bf16 kernel
    /// rounds activations to bf16; each has its own tests (NativeCpuTests, NativeCpuBf16Tests).
    /// </summary>
    [SetUp]
    public void ManagedKernelsForWidthComparisons()
    {
        string method = TestContext.CurrentContext.Test.MethodName ?? "";
        bool native = method is not (nameof(EveryWidthAgrees) or nameof(ProductsMatchAScalarModelOfTheSameQuantizedMath));
        LstmNative.Cpu.Kernels.NativeCpu.EnableInt8(native);
        LstmNative.Cpu.Kernels.NativeCpu.EnableBf16(native);
    }

    [TearDown]
    public void RestoreNativeKernels()
    {
        LstmNative.Cpu.Kernels.NativeCpu.EnableInt8(true);
        LstmNative.Cpu.Kernels.NativeCpu.EnableBf16(true);
    }

    /// <summary>The documented bounds (CpuPrecision remarks, docs/benchmarks.md): max |Y − Y_fp32| at H ≥ 64, T = 100.</summary>
    private static double Bound(CpuPrecision p) => p == CpuPrecision.Bf16 ? 1e-2 : 2e-2;

    private static readonly CpuPrecision[] Reduced = [CpuPrecision.Bf16, CpuPrecision.Int8];

    // ---------------------------------------------------------------- number formats

    [Test]
    public void Bf16RoundsToNearestEvenAndKeepsSpecialValues()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Quantization.ToBf16(1f), Is.EqualTo(0x3F80));
            // Halfway between 1 and 1 + 2^-7: ties go to the even neighbour (1); just above goes up.
            Assert.That(Quantization.ToBf16(1f + MathF.Pow(2, -8)), Is.EqualTo(0x3F80));
            Assert.That(Quantization.ToBf16(1f + MathF.Pow(2, -8) + MathF.Pow(2, -20)), Is.EqualTo(0x3F81));
            // Halfway between 1 + 2^-7 (odd) and 1 + 2^-6: up to the even one.
            Assert.That(Quantization.ToBf16(1f + 3 * MathF.Pow(2, -8)), Is.EqualTo(0x3F82));
            Assert.That(Quantization.ToBf16(-2.5f), Is.EqualTo(0xC020));
            Assert.That(Quantization.FromBf16(Quantization.ToBf16(float.PositiveInfinity)), Is.EqualTo(float.PositiveInfinity));
            Assert.That(Quantization.FromBf16(Quantization.ToBf16(float.NegativeInfinity)), Is.EqualTo(float.NegativeInfinity));
            Assert.That(Quantization.FromBf16(Quantization.ToBf16(float.MaxValue)), Is.EqualTo(float.PositiveInfinity), "overflow rounds to ∞");
            Assert.That(Quantization.FromBf16(Quantization.ToBf16(float.NaN)), Is.NaN);
            Assert.That(Quantization.FromBf16(Quantization.ToBf16(BitConverter.UInt32BitsToSingle(0x7F800001))), Is.NaN, "a NaN whose payload is in the low bits stays NaN");
            Assert.That(Quantization.ToBf16(-0f), Is.EqualTo(0x8000));
        });
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        for (int i = 0; i < 100_000; i++)
        {
            float x = (float)((rng.NextDouble() * 2 - 1) * Math.Pow(2, rng.Next(-60, 60)));
            float r = Quantization.FromBf16(Quantization.ToBf16(x));
            // Half an ulp of an 8-bit significand, and the nearest: no other bf16 is closer.
            double err = Math.Abs((double)r - x);
            Assert.That(err, Is.LessThanOrEqualTo(Math.Abs(x) * Math.Pow(2, -8)), $"{x:R} → {r:R}");
            ushort b = Quantization.ToBf16(x);
            foreach (ushort n in new[] { (ushort)(b - 1), (ushort)(b + 1) })
                Assert.That(Math.Abs((double)Quantization.FromBf16(n) - x), Is.GreaterThanOrEqualTo(err), $"{x:R}: neighbour {n:X4} is closer");
        }
    }

    [Test]
    public void Int8WeightsHavePerColumnScalesHalfEvenRoundingAndZeroColumns()
    {
        const int k = 9, n = 21, nr = 16;
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var w = new float[k * n];
        for (int i = 0; i < w.Length; i++)
            w[i] = (float)((rng.NextDouble() * 2 - 1) * Math.Pow(2, rng.Next(-8, 4)));
        for (int r = 0; r < k; r++)
        {
            w[r * n + 3] = 0;                          // an all-zero column
            w[r * n + 5] = r == 0 ? 127f : r + 0.5f;   // scale 1: exact ties at x.5 (round half to even)
        }
        w[4 * n + 7] = float.NaN;                      // a NaN weight poisons its column's scale only
        var m = new PackedMatrix(k, n, nr, CpuPrecision.Int8, int8Quads: false); // the managed kernels' pair layout, which Int8At reads
        m.Pack(new Map(w, n));
        var scales = m.Scales!.Span.ToArray();
        Assert.Multiple(() =>
        {
            for (int c = 0; c < m.Panels * nr; c++)
            {
                if (c >= n)
                {
                    Assert.That(scales[c], Is.Zero, "padding column");
                    continue;
                }
                float max = 0;
                for (int r = 0; r < k; r++)
                    max = Math.Max(max, Math.Abs(w[r * n + c]));
                if (c == 7)
                {
                    Assert.That(scales[c], Is.NaN);
                    continue;
                }
                Assert.That(scales[c], Is.EqualTo(max / 127f), $"scale of column {c}");
                bool reachesLimit = false;
                for (int r = 0; r < k; r++)
                {
                    int q = Int8At(m, r, c);
                    float v = w[r * n + c];
                    Assert.That(Math.Abs(q), Is.LessThanOrEqualTo(127));
                    reachesLimit |= Math.Abs(q) == 127;
                    if (c == 3)
                        Assert.That(q, Is.Zero, "zero column");
                    else if (c == 5)
                        Assert.That(q, Is.EqualTo(r == 0 ? 127 : (int)Math.Round(r + 0.5, MidpointRounding.ToEven)), $"tie at row {r}");
                    else
                        Assert.That(Math.Abs(q * scales[c] - v), Is.LessThanOrEqualTo(scales[c] * 0.5f * (1 + 1e-5f)), $"w[{r},{c}]");
                }
                Assert.That(reachesLimit || c == 3, Is.True, $"column {c}: its largest weight maps to ±127");
            }
        });
    }

    [Test]
    public void ActivationQuantizationIsSymmetricAndHandlesZeroTinyAndNonFiniteRows()
    {
        float[] row = [0.5f, -2f, 1.25f, 0f, 2f - 1e-7f];
        fixed (float* p = row)
        {
            float max = Quantization.MaxAbs(p, 1, row.Length);
            Assert.That(max, Is.EqualTo(2f));
            float scale = Quantization.ActivationScale(max, out float inv);
            Assert.That(scale, Is.EqualTo(2f / 32767f));
            Assert.That(Quantization.QuantizeActivation(-2f, inv), Is.EqualTo(-32767));
            Assert.That(Quantization.QuantizeActivation(0.5f, inv), Is.EqualTo((short)Math.Round(0.5 * 32767 / 2, MidpointRounding.ToEven)));
        }
        Assert.Multiple(() =>
        {
            Assert.That(Quantization.ActivationScale(0, out float inv0), Is.Zero);
            Assert.That(inv0, Is.Zero);
            Assert.That(Quantization.ActivationScale(1e-38f, out float invTiny), Is.Zero, "below the floor: a zero row");
            Assert.That(invTiny, Is.Zero);
            Assert.That(Quantization.ActivationScale(float.PositiveInfinity, out _), Is.NaN);
            Assert.That(Quantization.ActivationScale(float.NaN, out _), Is.NaN);
        });
        // NaN anywhere (also past the vectorised part) wins over ∞ and finite values.
        var withNan = Enumerable.Range(0, 37).Select(i => (float)i).ToArray();
        withNan[3] = float.NegativeInfinity;
        foreach (int at in new[] { 0, 20, 36 })
        {
            var v = (float[])withNan.Clone();
            v[at] = float.NaN;
            fixed (float* p = v)
                Assert.That(Quantization.MaxAbs(p, 1, v.Length), Is.NaN, $"NaN at {at}");
        }
        fixed (float* p = withNan)
            Assert.That(Quantization.MaxAbs(p, 1, withNan.Length), Is.EqualTo(float.PositiveInfinity));
    }

    // ---------------------------------------------------------------- packed products vs scalar references

    public static IEnumerable<TestCaseData> ProductCases()
    {
        foreach (var w in Widths())
        {
            foreach (var p in Reduced)
                yield return new TestCaseData(w, p, false).SetArgDisplayNames($"{w} {p}");
            yield return new TestCaseData(w, CpuPrecision.Int8, true).SetArgDisplayNames($"{w} Int8 static");
        }
    }

    /// <summary>
    /// <c>C (+)= A · B</c> on random shapes (sizes around the vector, panel and K-block edges) against a scalar model of
    /// the same quantized math: bf16 = float64 sums of the rounded weights; int8 = exact integer sums of the per-row,
    /// per-K-block int16 activations and the per-column int8 weights, scaled once per block — which the kernels must
    /// reproduce bit for bit (integer sums do not depend on their order).
    /// </summary>
    /// <remarks>
    /// Static int8 (<paramref name="isStatic"/>, <see cref="Int8Calibration"/>): a fixed range inside or above the data,
    /// and now and then a value far past it (up to ±float.MaxValue), which must saturate exactly as the model says.
    /// </remarks>
    [TestCaseSource(nameof(ProductCases))]
    public void ProductsMatchAScalarModelOfTheSameQuantizedMath(KernelWidth width, CpuPrecision precision, bool isStatic)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        int[] sizes = [1, 7, 17, 31, 33, 255, 257, 513];
        int nr = 2 * (int)width;
        int cases = width == KernelWidth.Vector512 && CpuKernels.Detected < KernelWidth.Vector512 ? 10 : 24;
        for (int it = 0; it < cases; it++)
        {
            int m = new[] { 1, 1, 2, 5, 7, 13 }[rng.Next(6)], k = sizes[rng.Next(sizes.Length)], n = sizes[rng.Next(5)];
            bool accumulate = rng.Next(2) == 0;
            var w = RandomFloats(rng, k * n, 1 / Math.Sqrt(k));
            var a = RandomFloats(rng, m * k, 1);
            if (rng.Next(4) == 0)
                Array.Clear(a, 0, k); // a zero row
            if (isStatic && rng.Next(3) == 0)
                a[rng.Next(a.Length)] = rng.Next(2) == 0 ? 1e30f : -float.MaxValue; // far past the range
            var b = new PackedMatrix(k, n, nr, precision) { StaticRange = isStatic ? new[] { 0.3f, 0.9f, 1f, 4f }[rng.Next(4)] : 0 };
            b.Pack(new Map(w, n));
            int p0 = rng.Next(b.Panels), pc = rng.Next(1, b.Panels - p0 + 1);
            int ldc = b.Panels * nr;
            var c0 = RandomFloats(rng, m * ldc, 1);
            var c = (float[])c0.Clone();
            var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
            fixed (float* ap = a, cp = c)
                Product(width, m, k, ap, b, p0, pc, cp, ldc, accumulate, scratch.Pointer);
            GC.KeepAlive(scratch); // the kernels saw only its pointer: without this the GC may reclaim it mid-product
            GC.KeepAlive(b);

            string label = $"M={m} K={k} N={n} range={b.StaticRange} panels [{p0}, {p0 + pc}) acc={accumulate}";
            if (precision == CpuPrecision.Bf16)
            {
                // float32 sums in the kernel's order: within a few ulps of Σ|terms| (cancellation makes a relative check meaningless).
                for (int i = 0; i < m; i++)
                    for (int j = p0 * nr; j < (p0 + pc) * nr; j++)
                    {
                        double s = accumulate ? c0[i * ldc + j] : 0, magnitude = Math.Abs(s);
                        for (int kk = 0; j < n && kk < k; kk++)
                        {
                            double term = (double)a[i * k + kk] * Quantization.FromBf16(Quantization.ToBf16(w[kk * n + j]));
                            s += term;
                            magnitude += Math.Abs(term);
                        }
                        if (!(Math.Abs(c[i * ldc + j] - s) <= 1e-5 * magnitude))
                            Assert.Fail($"{label}: C[{i},{j}] = {c[i * ldc + j]:R}, expected {s:R} (Σ|terms| {magnitude:E2})");
                    }
            }
            else
            {
                var expected = Int8Reference(a, m, k, w, n, b, c0, ldc, p0 * nr, (p0 + pc) * nr, accumulate);
                for (int i = 0; i < m; i++)
                    for (int j = p0 * nr; j < (p0 + pc) * nr; j++)
                        if (BitConverter.SingleToInt32Bits(c[i * ldc + j]) != BitConverter.SingleToInt32Bits(expected[i * ldc + j]))
                            Assert.Fail($"{label}: C[{i},{j}] = {c[i * ldc + j]:R}, expected {expected[i * ldc + j]:R}");
            }
            // Columns outside the panel range are untouched.
            for (int i = 0; i < m; i++)
                for (int j = 0; j < ldc; j++)
                    if (j < p0 * nr || j >= (p0 + pc) * nr)
                        Assert.That(c[i * ldc + j], Is.EqualTo(c0[i * ldc + j]), $"{label}: C[{i},{j}] outside the panels");
        }
    }

    /// <summary>
    /// The int8 product, scalar: per row and K-block the int16 activations, exact integer sums, one scaling per block.
    /// Static matrices (<see cref="PackedMatrix.IsStatic"/>): the fixed scale of their range, saturated activations, and
    /// scale NaN for a block that holds NaN or ±∞.
    /// </summary>
    internal static float[] Int8Reference(float[] a, int m, int k, float[] w, int n, PackedMatrix b, float[] c0, int ldc, int j0, int j1, bool accumulate)
    {
        var scales = b.Scales!.Span;
        var c = (float[])c0.Clone();
        for (int k0 = 0; k0 < k; k0 += Sgemm.KC)
        {
            int kc = Math.Min(Sgemm.KC, k - k0);
            for (int i = 0; i < m; i++)
            {
                float max = 0;
                bool finite = true;
                for (int kk = 0; kk < kc; kk++)
                {
                    max = Math.Max(max, Math.Abs(a[i * k + k0 + kk]));
                    finite &= float.IsFinite(a[i * k + k0 + kk]);
                }
                float rowScale, inv;
                if (b.IsStatic)
                {
                    rowScale = Quantization.StaticScale(b.StaticRange, Quantization.ActivationLevels, out inv);
                    rowScale = finite ? rowScale : float.NaN;
                }
                else
                    rowScale = Quantization.ActivationScale(max, out inv);
                for (int j = j0; j < j1; j++)
                {
                    long sum = 0;
                    for (int kk = 0; j < n && kk < kc; kk++)
                    {
                        // The weight as the packed int8 (checked against the format by the test above).
                        int q = Quantization.QuantizeWeight(w[(k0 + kk) * n + j], scales[j]);
                        float x = a[i * k + k0 + kk];
                        sum += q * (long)(b.IsStatic ? Quantization.QuantizeSaturated(x, inv, Quantization.ActivationLevels) : Quantization.QuantizeActivation(x, inv));
                    }
                    float v = (float)(int)sum * (rowScale * scales[j]);
                    c[i * ldc + j] = accumulate || k0 > 0 ? c[i * ldc + j] + v : v;
                }
            }
        }
        return c;
    }

    internal static void Product(KernelWidth width, int m, int k, float* a, PackedMatrix b, int p0, int pc, float* c, int ldc, bool acc, float* scratch)
    {
        switch (width)
        {
            case KernelWidth.Vector512: Sgemm.Run<Vec512>(m, k, a, k, 1, b, p0, pc, c, ldc, acc, scratch); break;
            case KernelWidth.Vector256: Sgemm.Run<Vec256>(m, k, a, k, 1, b, p0, pc, c, ldc, acc, scratch); break;
            default: Sgemm.Run<VecS>(m, k, a, k, 1, b, p0, pc, c, ldc, acc, scratch); break;
        }
    }

    /// <summary>Element (k, col) of an int8 packed matrix (PackedMatrix remarks: pairs of k, register halves).</summary>
    private static int Int8At(PackedMatrix m, int k, int col)
    {
        int nr = m.PanelWidth, w = nr / 2, p = col / nr, j = col % nr;
        sbyte* panel = (sbyte*)m.PanelData(p);
        int value = panel[(long)(k >> 1) * 2 * nr + j / w * 2 * w + 2 * (j % w) + (k & 1)];
        GC.KeepAlive(m);
        return value;
    }

    [Test]
    public void NonFiniteInputsGiveNaNNotGarbage([Values] CpuPrecision precision)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var o = new RnnLayerOptions(RnnCellType.Lstm, 8, 16);
        var model = new CpuRnnModel([new LayerWeights<float>(o).Randomize(rng, 0.3)], precision);
        using var s = model.CreateSession(2, 3);
        var x = RandomFloats(rng, 3 * 2 * 8, 1);
        x[(0 * 2 + 1) * 8 + 1] = float.NaN; // x is [T, B, I]: row 1, step 0
        x[(2 * 2 + 0) * 8 + 3] = float.PositiveInfinity; // row 0, step 2
        var y = new float[3 * 2 * 16];
        s.Run(x, 3, 2, y);
        Assert.Multiple(() =>
        {
            Assert.That(y.AsSpan(0, 16).ToArray(), Has.None.NaN, "row 0, step 0 is finite");
            Assert.That(y.AsSpan(16, 16).ToArray(), Has.All.NaN, "row 1 after its NaN input");
            Assert.That(y.AsSpan(2 * 32 + 16, 16).ToArray(), Has.All.NaN, "row 1 stays NaN");
            if (precision != CpuPrecision.Int8)
                return; // float weights may turn ∞ into ±1 through the activations; int8's activation scale makes it NaN
            Assert.That(y.AsSpan(2 * 32, 16).ToArray(), Has.All.NaN, "row 0 after its ∞ input");
        });
    }

    // ---------------------------------------------------------------- end to end

    internal static LayerWeights<float> RandomLayer(Random rng, RnnCellType cell, int input, int hidden, bool variant = false, RnnDirection dir = RnnDirection.Forward)
    {
        var o = new RnnLayerOptions(cell, input, hidden, dir)
        {
            LinearBeforeReset = cell == RnnCellType.Gru && !variant,
            HasPeepholes = cell == RnnCellType.Lstm && variant,
        };
        // PyTorch's initialisation: uniform in ±1/√H.
        return new LayerWeights<float>(o).Randomize(rng, 1 / Math.Sqrt(hidden));
    }

    internal static (float[] Y, float[] Yh, float[] Yc) RunModel(CpuRnnModel model, float[] x, int steps, int batch, int[]? lengths = null, int threads = 1)
    {
        var last = model.Layers[^1];
        int state = model.Layers.Sum(l => l.DirectionCount) * batch * last.HiddenSize;
        var y = new float[steps * model.OutputDirections * batch * model.OutputSize];
        var yh = new float[state];
        var yc = new float[state];
        using var s = model.CreateSession(batch, steps, threads);
        s.Run(x, steps, batch, y, yh, last.Cell == RnnCellType.Lstm ? yc : default, lengths ?? default);
        return (y, yh, yc);
    }

    internal static double MaxAbsDiff(float[] a, float[] b)
    {
        double worst = 0;
        for (int i = 0; i < a.Length; i++)
            worst = Math.Max(worst, Math.Abs((double)a[i] - b[i]));
        return worst;
    }

    public static IEnumerable<TestCaseData> AccuracyCases()
    {
        foreach (var cell in new[] { RnnCellType.Lstm, RnnCellType.Gru })
            foreach (int h in new[] { 64, 255, 257, 512 })
                foreach (var p in Reduced)
                    yield return new TestCaseData(cell, h, p).SetArgDisplayNames($"{cell} H={h} {p}");
    }

    /// <summary>The documented bound: T = 100, I = H, batch 2, max |Y − Y_fp32| over Y, Y_h and Y_c.</summary>
    [TestCaseSource(nameof(AccuracyCases))]
    public void StaysWithinTheDocumentedBoundOfFloat32(RnnCellType cell, int hidden, CpuPrecision precision)
    {
        const int steps = 100, batch = 2;
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var layer = RandomLayer(rng, cell, hidden, hidden);
        var x = RandomFloats(rng, steps * batch * hidden, 1);
        var exact = RunModel(new CpuRnnModel([layer]), x, steps, batch);
        var reduced = RunModel(new CpuRnnModel([layer], precision), x, steps, batch, threads: hidden == 257 ? 2 : 1);
        double worst = Math.Max(MaxAbsDiff(reduced.Y, exact.Y), Math.Max(MaxAbsDiff(reduced.Yh, exact.Yh), MaxAbsDiff(reduced.Yc, exact.Yc)));
        TestContext.Out.WriteLine($"{cell} H={hidden} {precision}: max |Y - Y_fp32| = {worst:E2}");
        Assert.That(worst, Is.LessThan(Bound(precision)));
        Assert.That(worst, Is.GreaterThan(0), "the weights really are reduced");
    }

    public static IEnumerable<TestCaseData> WidthCases()
    {
        foreach (var w in Widths())
            foreach (var p in Reduced)
                foreach (var cell in new[] { RnnCellType.Lstm, RnnCellType.Gru })
                    yield return new TestCaseData(w, p, cell).SetArgDisplayNames($"{w} {p} {cell}");
    }

    /// <summary>
    /// Every width runs the same reduced-precision model alike (bidirectional, peepholes / linear_before_reset = 0,
    /// two layers, ragged sequence lengths, batch 3) and stays within the bound of float32.
    /// </summary>
    [TestCaseSource(nameof(WidthCases))]
    public void EveryWidthAgrees(KernelWidth width, CpuPrecision precision, RnnCellType cell)
    {
        const int steps = 30, batch = 3, input = 17, hidden = 33;
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        LayerWeights<float>[] layers =
        [
            RandomLayer(rng, cell, input, hidden, variant: true, RnnDirection.Bidirectional),
            RandomLayer(rng, cell, 2 * hidden, hidden),
        ];
        var x = RandomFloats(rng, steps * batch * input, 1);
        int[] lengths = [steps, 11, 1];
        var options = Options(width, 1);
        var at = RunModel(new CpuRnnModel(layers, options, precision), x, steps, batch, lengths);
        var scalar = RunModel(new CpuRnnModel(layers, Options(KernelWidth.Scalar, 1), precision), x, steps, batch, lengths);
        var exact = RunModel(new CpuRnnModel(layers), x, steps, batch, lengths);
        Assert.Multiple(() =>
        {
            Assert.That(MaxAbsDiff(at.Y, scalar.Y), Is.LessThan(1e-4), "against the scalar path");
            Assert.That(MaxAbsDiff(at.Yh, scalar.Yh), Is.LessThan(1e-4));
            Assert.That(MaxAbsDiff(at.Y, exact.Y), Is.LessThan(Bound(precision)), "against float32");
        });
    }

    // ---------------------------------------------------------------- API

    [Test]
    public void ModelsReportTheirPrecisionAndShrinkTheirWeights()
    {
        var rng = new Random(1);
        var layers = new[] { RandomLayer(rng, RnnCellType.Lstm, 64, 128), RandomLayer(rng, RnnCellType.Lstm, 128, 128) };
        var fp32 = new CpuRnnModel(layers);
        var bf16 = new CpuRnnModel(layers, CpuPrecision.Bf16);
        var int8 = new CpuRnnModel(layers, CpuPrecision.Int8);
        Assert.Multiple(() =>
        {
            Assert.That(fp32.Precision, Is.EqualTo(CpuPrecision.Fp32));
            Assert.That(int8.Precision, Is.EqualTo(CpuPrecision.Int8));
            long floats = 4L * 128 * (64 + 128) + 4L * 128 * (128 + 128);
            Assert.That(fp32.WeightBytes, Is.GreaterThanOrEqualTo(4 * floats));
            // bf16 halves W and R exactly (same panels, two bytes an element).
            Assert.That(bf16.Precision, Is.EqualTo(CpuPrecision.Bf16));
            Assert.That(bf16.WeightBytes, Is.EqualTo(fp32.WeightBytes / 2));
            // A quarter, plus one float scale per column of each matrix.
            Assert.That(int8.WeightBytes, Is.LessThan(fp32.WeightBytes / 4 + fp32.WeightBytes / 16));
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = new CpuRnnModel(layers, (CpuPrecision)7));
        });
    }

    [Test]
    public void ReducedPrecisionIsForInferenceOnly()
    {
        var rng = new Random(2);
        var layer = RandomLayer(rng, RnnCellType.Gru, 4, 8);
        Assert.Throws<ArgumentException>(() => _ = new CpuLayerPlan(layer, CpuKernels.Active, forBackward: true, CpuPrecision.Int8));
        var op = new OnnxRnnOperator(new OnnxRnnAttributes { Cell = RnnCellType.Gru, HiddenSize = 8 }, new OnnxRnnTensors
        {
            X = new NdArray(RandomFloats(rng, 3 * 1 * 4, 1), [3, 1, 4]),
            W = new NdArray(RandomFloats(rng, 24 * 4, 0.3), [1, 24, 4]),
            R = new NdArray(RandomFloats(rng, 24 * 8, 0.3), [1, 24, 8]),
        }) { Precision = CpuPrecision.Bf16 };
        var y = op.Forward()["Y"];
        Assert.That(y.Shape, Is.EqualTo(new[] { 3, 1, 1, 8 }));
        var ex = Assert.Throws<InvalidOperationException>(() => op.Backward(new Dictionary<string, NdArray>()));
        Assert.That(ex!.Message, Does.Contain("float32"));
    }

    [Test]
    public void OperatorMatchesTheReferenceWithinTheBound([Values(CpuPrecision.Bf16, CpuPrecision.Int8)] CpuPrecision precision)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        const int steps = 20, batch = 2, input = 24, hidden = 64;
        var tensors = new OnnxRnnTensors
        {
            X = new NdArray(RandomFloats(rng, batch * steps * input, 1), [batch, steps, input]),
            W = new NdArray(RandomFloats(rng, 2 * 4 * hidden * input, 1 / Math.Sqrt(hidden)), [2, 4 * hidden, input]),
            R = new NdArray(RandomFloats(rng, 2 * 4 * hidden * hidden, 1 / Math.Sqrt(hidden)), [2, 4 * hidden, hidden]),
            B = new NdArray(RandomFloats(rng, 2 * 8 * hidden, 0.1), [2, 8 * hidden]),
            InitialH = new NdArray(RandomFloats(rng, batch * 2 * hidden, 0.5), [batch, 2, hidden]),
        };
        var attributes = new OnnxRnnAttributes { Cell = RnnCellType.Lstm, HiddenSize = hidden, Direction = "bidirectional", Layout = 1 };
        var expected = new OnnxRnnOperator(attributes, tensors, ReferenceLayerEngine<double>.Default).Forward();
        var actual = new OnnxRnnOperator(attributes, tensors) { Precision = precision }.Forward();
        foreach (var name in new[] { "Y", "Y_h", "Y_c" })
        {
            Assert.That(actual[name].Shape, Is.EqualTo(expected[name].Shape), name);
            Assert.That(MaxAbsDiff(actual[name].ToFloats(), expected[name].ToFloats()), Is.LessThan(Bound(precision)), name);
        }
    }

    [Test]
    public void RunAndStepAllocateNothingInSteadyState([Values(CpuPrecision.Bf16, CpuPrecision.Int8)] CpuPrecision precision)
    {
        var rng = new Random(3);
        var model = new CpuRnnModel([RandomLayer(rng, RnnCellType.Lstm, 32, 64), RandomLayer(rng, RnnCellType.Lstm, 64, 64)], precision);
        using var session = model.CreateSession(4, 10);
        var x = RandomFloats(rng, 10 * 4 * 32, 1);
        var y = new float[10 * 4 * 64];
        var step = new float[4 * 64];
        int[] lengths = [10, 3, 7, 0];
        long allocated = SteadyStateAllocation(() =>
        {
            for (int i = 0; i < 20; i++)
            {
                session.Run(x, 10, 4, y, sequenceLengths: lengths);
                session.Step(x.AsSpan(0, 4 * 32), 4, step);
                session.Step(x.AsSpan(0, 32), 1, step.AsSpan(0, 64));
            }
        });
        Assert.That(allocated, Is.Zero, "bytes allocated on the calling thread by 20 x (Run + Step at batch 4 + Step at batch 1)");
    }

    internal readonly struct Map(float[] w, int n) : IElementMap
    {
        public float Get(int k, int col) => w[k * n + col];
    }
}

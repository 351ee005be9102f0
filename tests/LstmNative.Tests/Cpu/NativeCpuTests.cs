using LstmNative.Cpu;
using LstmNative.Cpu.Kernels;
using NUnit.Framework;

namespace LstmNative.Tests.Cpu;

/// <summary>The native micro-kernels against their managed reference (exactly: int8 sums are integers and the epilogue rounds alike).</summary>
public unsafe class NativeCpuTests
{
    [Test]
    public void ReportsWhatItLoaded()
    {
        TestContext.Out.WriteLine($"NativeCpu: {NativeCpu.Status}");
        Assert.That(NativeCpu.Status, Is.Not.Empty);
        // A kernel that fails its load-time probe is switched off and its tests skip: say so here, where CI sees it.
        Assert.That(NativeCpu.Status, Does.Not.Contain("disagrees"), "a native kernel failed its load-time check against its reference");
        if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") == "0")
        {
            Assert.That(NativeCpu.Int8QuadsFor(32), Is.False, "AVX-512 hidden from the runtime: the native AVX-512 kernels must stay off too");
            Assert.That(NativeCpu.Bf16DotProduct, Is.False, "AVX-512 hidden from the runtime: the native AVX-512 kernels must stay off too");
            Assert.That(NativeCpu.Int8Vnni, Is.EqualTo(NativeCpu.Int8QuadsFor(16)), "256-bit plans: int8 is native exactly when the AVX-VNNI kernel is on");
        }
        // Where the library loaded on a CPU with AVX-VNNI and the runtime runs 256-bit vectors or wider, the 256-bit int8
        // kernel must be on: otherwise its tests below would skip on exactly the machines they are for.
        if (NativeCpu.FeatureText.Contains("avx-vnni") && CpuKernels.Detected >= KernelWidth.Vector256)
            Assert.That(NativeCpu.Int8QuadsFor(16), Is.True, NativeCpu.Status);
    }

    /// <summary>Skips unless the native int8 kernel for panels of <paramref name="panelWidth"/> columns is on (32: AVX-512 VNNI; 16: AVX-VNNI).</summary>
    internal static void RequireVnni(int panelWidth)
    {
        if (!NativeCpu.Int8QuadsFor(panelWidth))
            Assert.Ignore($"native int8 kernel for {panelWidth}-column panels ({(panelWidth == 32 ? "AVX-512 VNNI" : "AVX-VNNI")}) not active here: {NativeCpu.Status}");
    }

    public static IEnumerable<TestCaseData> ProductCases()
    {
        foreach (int panelWidth in new[] { 32, 16 })
            foreach (var (m, k, n) in new[] { (1, 1, 32), (1, 64, 256), (1, 255, 1024), (2, 513, 96), (5, 3, 64), (6, 100, 64), (7, 257, 200), (100, 256, 1024), (13, 2048, 64), (1, 7, 17) })
                yield return new TestCaseData(panelWidth, m, k, n);
    }

    [TestCaseSource(nameof(ProductCases))]
    public void Int8VnniMatchesTheManagedReferenceExactly(int panelWidth, int m, int k, int n)
    {
        RequireVnni(panelWidth);
        var rng = new Random(m * 1000 + k + n);
        var b = new PackedMatrix(k, n, panelWidth, CpuPrecision.Int8, int8Quads: true);
        Assert.That(b.IsInt8Quads);
        var w = new float[k * n];
        for (int i = 0; i < w.Length; i++)
            w[i] = (float)(rng.NextDouble() * 2 - 1) * (i % 7 == 0 ? 3 : 1);
        b.Pack(new NativeCpu.ArrayMap(w, n));
        int lda = k + 3; // a strided row start, unit column stride
        var a = new float[m * lda];
        for (int i = 0; i < a.Length; i++)
            a[i] = (float)(rng.NextDouble() * 2 - 1);
        if (m > 2)
            Array.Clear(a, lda, k); // an all-zero row: scale 0
        int ldc = b.Panels * panelWidth + 5;
        var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
        foreach (bool accumulate in new[] { false, true })
            foreach (var (p0, count) in new[] { (0, b.Panels), (b.Panels / 2, b.Panels - b.Panels / 2) })
            {
                var expected = new float[m * ldc];
                var actual = new float[m * ldc];
                for (int i = 0; i < expected.Length; i++)
                    expected[i] = actual[i] = (i % 11) * 0.25f;
                fixed (float* ap = a, ep = expected, cp = actual)
                {
                    NativeCpu.ReferenceInt8Quads(m, k, ap, lda, 1, b, p0, count, ep, ldc, accumulate);
                    NativeCpu.RunInt8(m, k, ap, lda, 1, b, p0, count, cp, ldc, accumulate, scratch.Pointer);
                }
                Assert.That(actual, Is.EqualTo(expected), $"accumulate={accumulate} panels [{p0}, {p0 + count})");
            }
    }

    [TestCase(32)]
    [TestCase(16)]
    public void NonFiniteRowsGiveNaNLikeTheReference(int panelWidth)
    {
        RequireVnni(panelWidth);
        var b = new PackedMatrix(40, 64, panelWidth, CpuPrecision.Int8, int8Quads: true);
        var w = new float[40 * 64];
        for (int i = 0; i < w.Length; i++)
            w[i] = (i % 13) / 13f - 0.5f;
        b.Pack(new NativeCpu.ArrayMap(w, 64));
        var a = new float[2 * 40];
        for (int i = 0; i < a.Length; i++)
            a[i] = i * 0.01f;
        a[5] = float.NaN;
        a[40 + 7] = float.PositiveInfinity;
        var expected = new float[2 * 64];
        var actual = new float[2 * 64];
        var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
        fixed (float* ap = a, ep = expected, cp = actual)
        {
            NativeCpu.ReferenceInt8Quads(2, 40, ap, 40, 1, b, 0, b.Panels, ep, 64, false);
            NativeCpu.RunInt8(2, 40, ap, 40, 1, b, 0, b.Panels, cp, 64, false, scratch.Pointer);
        }
        Assert.That(actual, Is.All.NaN);
        Assert.That(expected, Is.All.NaN);
    }

    [TestCase(64, KernelWidth.Vector512)]
    [TestCase(257, KernelWidth.Vector512)]
    [TestCase(64, KernelWidth.Vector256)]
    [TestCase(257, KernelWidth.Vector256)]
    public void Int8ModelOnTheNativeKernelStaysWithinTheInt8Bound(int hidden, KernelWidth width)
    {
        RequireVnni(2 * (int)width);
        var rng = new Random(hidden);
        var layer = new LstmNative.Model.LayerWeights<float>(new LstmNative.Model.RnnLayerOptions(LstmNative.Model.RnnCellType.Lstm, hidden, hidden, LstmNative.Model.RnnDirection.Forward))
            .Randomize(rng, 1 / Math.Sqrt(hidden));
        int steps = 50, batch = 2;
        var x = CpuTestSupport.RandomFloats(rng, steps * batch * hidden, 1);
        float[] Run(CpuPrecision precision)
        {
            using var session = new CpuRnnModel([layer], CpuTestSupport.Options(width, 1), precision).CreateSession(batch, steps);
            var y = new float[steps * batch * hidden];
            session.Run(x, steps, batch, y);
            return y;
        }
        var fp32 = Run(CpuPrecision.Fp32);
        var native = Run(CpuPrecision.Int8);
        NativeCpu.EnableInt8(false);
        float[] managed;
        try
        {
            managed = Run(CpuPrecision.Int8);
        }
        finally
        {
            NativeCpu.EnableInt8(true);
        }
        double maxNative = fp32.Zip(native, (p, q) => Math.Abs(p - q)).Max();
        double maxManaged = fp32.Zip(managed, (p, q) => Math.Abs(p - q)).Max();
        TestContext.Out.WriteLine($"H={hidden}: max |int8 - fp32| native (u8 activations) {maxNative:E2}, managed (int16 activations) {maxManaged:E2}");
        Assert.That(maxNative, Is.LessThan(2e-2));
    }
}

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
            Assert.That(NativeCpu.Int8Vnni, Is.False, "AVX-512 hidden from the runtime: the native AVX-512 kernels must stay off too");
            Assert.That(NativeCpu.Bf16DotProduct, Is.False, "AVX-512 hidden from the runtime: the native AVX-512 kernels must stay off too");
        }
    }

    private static void RequireVnni()
    {
        if (!NativeCpu.Int8Vnni)
            Assert.Ignore($"native int8 VNNI kernel not active here: {NativeCpu.Status}");
    }

    [TestCase(1, 1, 32)]
    [TestCase(1, 64, 256)]
    [TestCase(1, 255, 1024)]
    [TestCase(2, 513, 96)]
    [TestCase(5, 3, 64)]
    [TestCase(6, 100, 64)]
    [TestCase(7, 257, 200)]
    [TestCase(100, 256, 1024)]
    [TestCase(13, 2048, 64)]
    public void Int8VnniMatchesTheManagedReferenceExactly(int m, int k, int n)
    {
        RequireVnni();
        var rng = new Random(m * 1000 + k + n);
        var b = new PackedMatrix(k, n, 32, CpuPrecision.Int8, int8Quads: true);
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
        int ldc = b.Panels * 32 + 5;
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

    [Test]
    public void NonFiniteRowsGiveNaNLikeTheReference()
    {
        RequireVnni();
        var b = new PackedMatrix(40, 64, 32, CpuPrecision.Int8, int8Quads: true);
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
            NativeCpu.ReferenceInt8Quads(2, 40, ap, 40, 1, b, 0, 2, ep, 64, false);
            NativeCpu.RunInt8(2, 40, ap, 40, 1, b, 0, 2, cp, 64, false, scratch.Pointer);
        }
        Assert.That(actual, Is.All.NaN);
        Assert.That(expected, Is.All.NaN);
    }

    [TestCase(64)]
    [TestCase(257)]
    public void Int8ModelOnTheNativeKernelStaysWithinTheInt8Bound(int hidden)
    {
        RequireVnni();
        var rng = new Random(hidden);
        var layer = new LstmNative.Model.LayerWeights<float>(new LstmNative.Model.RnnLayerOptions(LstmNative.Model.RnnCellType.Lstm, hidden, hidden, LstmNative.Model.RnnDirection.Forward))
            .Randomize(rng, 1 / Math.Sqrt(hidden));
        int steps = 50, batch = 2;
        var x = CpuTestSupport.RandomFloats(rng, steps * batch * hidden, 1);
        float[] Run(CpuPrecision precision)
        {
            using var session = new CpuRnnModel([layer], precision).CreateSession(batch, steps);
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

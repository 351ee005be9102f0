using LstmNative.Cpu;
using LstmNative.Cpu.Kernels;
using NUnit.Framework;
using static LstmNative.Tests.Cpu.CpuTestSupport;

namespace LstmNative.Tests.Cpu;

/// <summary>The SIMD primitives on their own: fast exp/sigmoid/tanh error bounds and the packed SGEMM.</summary>
public unsafe class KernelTests
{
    private delegate void VectorOp(float* src, float* dst, int n);

    private static VectorOp Op(KernelWidth width, string name) => (width, name) switch
    {
        (KernelWidth.Vector512, "exp") => Apply<Vec512>(FastMath.Exp),
        (KernelWidth.Vector512, "sigmoid") => Apply<Vec512>(FastMath.Sigmoid),
        (KernelWidth.Vector512, _) => Apply<Vec512>(FastMath.Tanh),
        (KernelWidth.Vector256, "exp") => Apply<Vec256>(FastMath.Exp),
        (KernelWidth.Vector256, "sigmoid") => Apply<Vec256>(FastMath.Sigmoid),
        (KernelWidth.Vector256, _) => Apply<Vec256>(FastMath.Tanh),
        (_, "exp") => Apply<VecS>(FastMath.Exp),
        (_, "sigmoid") => Apply<VecS>(FastMath.Sigmoid),
        _ => Apply<VecS>(FastMath.Tanh),
    };

    private static VectorOp Apply<TV>(Func<TV, TV> f) where TV : unmanaged, IVec<TV> => (src, dst, n) =>
    {
        for (int i = 0; i < n; i += TV.Count)
            TV.Store(dst + i, f(TV.Load(src + i)));
    };

    public static IEnumerable<TestCaseData> MathCases()
    {
        foreach (var w in Widths())
        {
            yield return new TestCaseData(w, "exp", -87.0, 88.0, 2).SetArgDisplayNames($"{w} exp");
            yield return new TestCaseData(w, "sigmoid", -80.0, 80.0, 3).SetArgDisplayNames($"{w} sigmoid");
            yield return new TestCaseData(w, "tanh", -20.0, 20.0, 4).SetArgDisplayNames($"{w} tanh");
        }
    }

    /// <summary>The documented bounds (FastMath remarks), in units in the last place of the float result.</summary>
    [TestCaseSource(nameof(MathCases))]
    public void FastMathStaysWithinItsDocumentedUlps(KernelWidth width, string name, double lo, double hi, int maxUlps)
    {
        const int n = 1 << 16;
        var src = new float[n];
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        for (int i = 0; i < n; i++)
            src[i] = i < n / 2 ? (float)(lo + (hi - lo) * i / (n / 2)) : (float)((rng.NextDouble() * 2 - 1) * (i % 3 == 0 ? 1e-3 : 2));
        var dst = new float[n];
        fixed (float* s = src, d = dst)
            Op(width, name)(s, d, n);
        double worst = 0;
        for (int i = 0; i < n; i++)
        {
            double x = src[i];
            double exact = name switch { "exp" => Math.Exp(x), "sigmoid" => 1 / (1 + Math.Exp(-x)), _ => Math.Tanh(x) };
            if (Math.Abs(exact) < 1e-37)
                continue; // below float's normal range the contract is absolute, not relative
            double ulp = Math.Abs(MathF.BitIncrement((float)Math.Abs(exact)) - (float)Math.Abs(exact));
            worst = Math.Max(worst, Math.Abs(dst[i] - exact) / ulp);
        }
        TestContext.Out.WriteLine($"{width} {name}: worst {worst:F2} ulp");
        Assert.That(worst, Is.LessThanOrEqualTo(maxUlps));
    }

    [Test]
    public void FastMathPropagatesNaNAndSaturates([ValueSource(typeof(CpuTestSupport), nameof(Widths))] KernelWidth width)
    {
        var src = new float[32];
        for (int i = 0; i < src.Length; i++)
            src[i] = (i % 4) switch { 0 => float.NaN, 1 => float.PositiveInfinity, 2 => float.NegativeInfinity, _ => 0f };
        var dst = new float[32];
        fixed (float* s = src, d = dst)
        {
            Op(width, "sigmoid")(s, d, 32);
            Assert.That(dst[0], Is.NaN);
            Assert.That(dst[1], Is.EqualTo(1f));
            Assert.That(dst[2], Is.EqualTo(0f).Within(1e-37));
            Op(width, "tanh")(s, d, 32);
            Assert.That(dst[0], Is.NaN);
            Assert.That(dst[1], Is.EqualTo(1f));
            Assert.That(dst[2], Is.EqualTo(-1f));
            Assert.That(dst[3], Is.EqualTo(0f));
        }
    }

    public static IEnumerable<TestCaseData> GemmCases()
    {
        foreach (var w in Widths())
            foreach (var (m, n, k) in new[] { (1, 1, 1), (7, 17, 31), (33, 255, 7), (13, 33, 257), (100, 40, 300), (1, 40, 600), (5, 17, 300), (2, 9, Sgemm.SliverKC + 3) })
                foreach (bool transposed in new[] { false, true })
                    yield return new TestCaseData(w, m, n, k, transposed).SetArgDisplayNames($"{w} M={m} N={n} K={k}{(transposed ? " Aᵀ" : "")}");
    }

    [TestCaseSource(nameof(GemmCases))]
    public void PackedSgemmMatchesNaiveProduct(KernelWidth width, int m, int n, int k, bool transposed)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        int nr = 2 * (int)width;
        var a = RandomFloats(rng, m * k, 1);
        var b = RandomFloats(rng, k * n, 1);
        var packed = new PackedMatrix(k, n, nr);
        int ldc = packed.Panels * nr;
        var c = RandomFloats(rng, m * ldc, 1);
        var c0 = (float[])c.Clone();
        var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
        fixed (float* ap = a, bp = b, cp = c)
        {
            packed.PackRows(bp, n, default, 0, packed.Panels);
            nint ars = transposed ? 1 : k, acs = transposed ? m : 1;
            switch (width)
            {
                case KernelWidth.Vector512: Sgemm.Run<Vec512>(m, k, ap, ars, acs, packed, 0, packed.Panels, cp, ldc, true, scratch.Pointer); break;
                case KernelWidth.Vector256: Sgemm.Run<Vec256>(m, k, ap, ars, acs, packed, 0, packed.Panels, cp, ldc, true, scratch.Pointer); break;
                default: Sgemm.Run<VecS>(m, k, ap, ars, acs, packed, 0, packed.Panels, cp, ldc, true, scratch.Pointer); break;
            }
        }
        GC.KeepAlive(scratch); // the kernels saw only its pointer: without this the GC may reclaim it mid-product
        var expected = new double[m * n];
        var actual = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = c0[i * ldc + j];
                for (int kk = 0; kk < k; kk++)
                    s += (double)(transposed ? a[kk * m + i] : a[i * k + kk]) * b[kk * n + j];
                expected[i * n + j] = s;
                actual[i * n + j] = c[i * ldc + j];
            }
        Assert.That(Compare("C", actual, expected, RelativeTolerance, out _), Is.Empty);
    }

    [Test]
    public void ComparisonDetectsAWrongElement()
    {
        // Guards the comparison itself: one element off by 1e-4 relative must fail at the 1e-5 tolerance.
        var expected = Enumerable.Range(1, 50).Select(i => (double)i).ToArray();
        var actual = expected.Select(v => (float)v).ToArray();
        Assert.That(Compare("ok", actual, expected, RelativeTolerance, out _), Is.Empty);
        actual[10] *= 1.0001f;
        Assert.That(Compare("bad", actual, expected, RelativeTolerance, out _), Has.Count.EqualTo(1));
    }
}

using LstmNative.Cpu;
using LstmNative.Cpu.Kernels;
using NUnit.Framework;
using static LstmNative.Tests.Cpu.CpuTestSupport;

namespace LstmNative.Tests.Cpu;

/// <summary><see cref="CpuGemm"/> against a float64 triple loop: every width, both transposes, odd sizes, accumulation.</summary>
public class CpuGemmTests
{
    public static IEnumerable<TestCaseData> Cases()
    {
        // (m, k, n): size 1 in each place, panel edges (n a multiple of NR, one past, one short), K past the K-block
        // (256), M past the row block (96), and a product big enough to be split over the pool.
        (int, int, int)[] shapes = [(1, 1, 1), (1, 7, 33), (5, 1, 3), (7, 13, 31), (6, 300, 64), (97, 17, 65), (130, 257, 100), (64, 256, 1000)];
        foreach (var w in Widths())
            foreach (var (m, k, n) in shapes)
                foreach (bool ta in new[] { false, true })
                    foreach (bool tb in new[] { false, true })
                        yield return new TestCaseData(w, m, k, n, ta, tb).SetArgDisplayNames($"{w} {m}x{k}x{n} tA={ta} tB={tb}");
    }

    [TestCaseSource(nameof(Cases))]
    public void ProductMatchesTheTripleLoop(KernelWidth width, int m, int k, int n, bool transposeA, bool transposeB)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var a = RandomFloats(rng, m * k, 1.0);
        var b = RandomFloats(rng, k * n, 1.0);
        var c0 = RandomFloats(rng, m * n + 5, 1.0); // a tail past m·n that must stay untouched
        var c = (float[])c0.Clone();
        CpuGemm.Multiply(a, transposeA, b, transposeB, c, m, k, n, accumulate: false, width);
        var acc = (float[])c0.Clone();
        CpuGemm.Multiply(a, transposeA, b, transposeB, acc, m, k, n, accumulate: true, width);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0, mag = 0;
                for (int p = 0; p < k; p++)
                {
                    double x = transposeA ? a[p * m + i] : a[i * k + p];
                    double y = transposeB ? b[j * k + p] : b[p * n + j];
                    s += x * y;
                    mag += Math.Abs(x * y);
                }
                double tol = 1e-6 * mag + 1e-7;
                Assert.That(c[i * n + j], Is.EqualTo(s).Within(tol), $"C[{i},{j}]");
                Assert.That(acc[i * n + j], Is.EqualTo(s + c0[i * n + j]).Within(tol + 1e-6 * Math.Abs(c0[i * n + j])), $"C+=[{i},{j}]");
            }
        for (int i = m * n; i < c.Length; i++)
            Assert.That(c[i], Is.EqualTo(c0[i]), "wrote past C");
    }

    [Test]
    public void ResultDoesNotDependOnWhetherThePoolSplitIt()
    {
        // Above ParallelMacs the columns are split over the pool; each element's sum order is the same either way.
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        int m = 300, k = 200, n = 517;
        Assume.That((long)m * k * n, Is.GreaterThanOrEqualTo(CpuGemm.ParallelMacs));
        var a = RandomFloats(rng, m * k, 1.0);
        var b = RandomFloats(rng, n * k, 1.0);
        var split = new float[m * n];
        CpuGemm.Multiply(a, false, b, true, split, m, k, n);
        // The same product 16 columns at a time (m·k·16 is below the threshold, so each runs on the calling thread).
        var rows = new float[m * n];
        var block = new float[m * 16];
        for (int j0 = 0; j0 < n; j0 += 16)
        {
            int w = Math.Min(16, n - j0);
            CpuGemm.Multiply(a, false, b.AsSpan(j0 * k, w * k), true, block, m, k, w);
            for (int i = 0; i < m; i++)
                block.AsSpan(i * w, w).CopyTo(rows.AsSpan(i * n + j0, w));
        }
        Assert.That(split, Is.EqualTo(rows));
    }

    [Test]
    public void KZeroClearsOrKeeps()
    {
        var c = new float[] { 1, 2, 3, 4 };
        CpuGemm.Multiply([], false, [], false, c, 2, 0, 2, accumulate: true);
        Assert.That(c, Is.EqualTo(new float[] { 1, 2, 3, 4 }));
        CpuGemm.Multiply([], false, [], false, c, 2, 0, 2);
        Assert.That(c, Is.All.Zero);
    }

    [Test]
    public void ShortSpansAndNegativeSizesAreRefused()
    {
        var x = new float[6];
        Assert.Throws<ArgumentException>(() => CpuGemm.Multiply(x, false, x, false, new float[3], 2, 3, 2));
        Assert.Throws<ArgumentException>(() => CpuGemm.Multiply(new float[5], false, x, false, new float[4], 2, 3, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => CpuGemm.Multiply(x, false, x, false, x, -1, 3, 2));
    }

    [Test]
    public void RepeatedProductsAllocateNothing()
    {
        var rng = new Random(5);
        int m = 64, k = 256, n = 1000;
        var a = RandomFloats(rng, m * k, 1.0);
        var b = RandomFloats(rng, n * k, 1.0);
        var c = new float[m * n];
        long bytes = SteadyStateAllocation(() => CpuGemm.Multiply(a, false, b, true, c, m, k, n, accumulate: true));
        Assert.That(bytes, Is.Zero);
    }
}

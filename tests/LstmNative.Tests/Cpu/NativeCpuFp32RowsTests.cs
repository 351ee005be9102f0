using System.Runtime.InteropServices;
using LstmNative.Cpu;
using LstmNative.Cpu.Kernels;
using LstmNative.Model;
using LstmNative.Reference;
using NUnit.Framework;

namespace LstmNative.Tests.Cpu;

/// <summary>
/// The native float32 kernel of 2-4 rows (<see cref="NativeCpu.RunFp32Rows"/>: a small batch's recurrent product) runs
/// the managed 512-bit kernels' FMAs in their order (Kernel2's two chains for two rows, one chain for three and four), so
/// it must agree with them bit for bit: on products of random shapes with strided rows, NaN and ∞, on whole models at
/// batch 2-4 (LSTM and GRU, one and two threads), and within float32 tolerance of the float64 reference. The probe
/// rejects a kernel one bit off. Seeds are fresh every run and printed.
/// </summary>
public unsafe class NativeCpuFp32RowsTests
{
    private static void RequireRows()
    {
        if (!NativeCpu.Fp32Rows)
            Assert.Ignore($"native fp32 2-4 row kernel not active here (needs AVX-512 in the CPU and the runtime, and the library): {NativeCpu.Status}");
    }

    [TestCase(2, 1, 1, 1)]
    [TestCase(3, 1, 1, 32)]
    [TestCase(4, 2, 3, 64)]
    [TestCase(2, 3, 1, 33)]
    [TestCase(3, 4, 1, 96)]
    [TestCase(4, 5, 2, 97)]
    [TestCase(2, 255, 1, 1024)]
    [TestCase(3, 257, 7, 160)]
    [TestCase(4, 1024, 1, 4096)]
    [TestCase(2, Sgemm.SliverKC + 1, 1, 96)]
    [TestCase(4, 2 * Sgemm.SliverKC + 3, 2, 64)]
    public void MatchesTheManagedKernelsBitForBit(int m, int k, int acs, int n)
    {
        RequireRows();
        var rng = new Random(CpuTestSupport.FreshSeed());
        var b = new PackedMatrix(k, n, 32);
        b.Pack(new NativeCpu.ArrayMap(CpuTestSupport.RandomFloats(rng, k * n, 1 / Math.Sqrt(k)), n));
        int ars = k * acs + 3; // rows apart by more than their length: A read in place, strided
        var a = CpuTestSupport.RandomFloats(rng, m * ars, 1);
        var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
        int ldc = b.Panels * 32 + 5;
        foreach (bool accumulate in new[] { false, true })
            foreach (var (p0, count) in new[] { (0, b.Panels), (b.Panels / 2, b.Panels - b.Panels / 2), (b.Panels - 1, 1), (0, 0) })
            {
                var expected = CpuTestSupport.RandomFloats(rng, m * ldc, 1);
                var actual = (float[])expected.Clone();
                var before = (float[])expected.Clone();
                fixed (float* ap = a, ep = expected, cp = actual)
                {
                    Sgemm.RunManaged<Vec512>(m, k, ap, ars, acs, b, p0, count, ep, ldc, accumulate, scratch.Pointer);
                    NativeCpu.RunFp32Rows(m, k, ap, ars, acs, b, p0, count, cp, ldc, accumulate);
                }
                string label = $"m={m} accumulate={accumulate} panels [{p0}, {p0 + count})";
                for (int j = 0; j < m * ldc; j++)
                {
                    int column = j % ldc;
                    if (column < p0 * 32 || column >= (p0 + count) * 32)
                        Assert.That(actual[j], Is.EqualTo(before[j]), $"{label}: C[{j}] outside the panels was written");
                    else if (BitConverter.SingleToInt32Bits(actual[j]) != BitConverter.SingleToInt32Bits(expected[j]))
                        Assert.Fail($"{label}: C[{j}] = {actual[j]:R}, the managed kernels {expected[j]:R}");
                }
            }
        GC.KeepAlive(b);
        GC.KeepAlive(scratch);
    }

    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public void NonFiniteValuesPropagateLikeTheManagedKernels(int m)
    {
        RequireRows();
        var rng = new Random(CpuTestSupport.FreshSeed());
        const int k = 9, n = 70;
        var w = CpuTestSupport.RandomFloats(rng, k * n, 1);
        w[3 * n + 5] = float.PositiveInfinity;
        w[4 * n + 40] = float.NaN;
        var b = new PackedMatrix(k, n, 32);
        b.Pack(new NativeCpu.ArrayMap(w, n));
        var a = CpuTestSupport.RandomFloats(rng, m * k, 1);
        a[k + 7] = float.NegativeInfinity;
        int ldc = b.Panels * 32;
        var expected = new float[m * ldc];
        var actual = new float[m * ldc];
        var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
        fixed (float* ap = a, ep = expected, cp = actual)
        {
            Sgemm.RunManaged<Vec512>(m, k, ap, k, 1, b, 0, b.Panels, ep, ldc, false, scratch.Pointer);
            NativeCpu.RunFp32Rows(m, k, ap, k, 1, b, 0, b.Panels, cp, ldc, false);
        }
        GC.KeepAlive(b);
        GC.KeepAlive(scratch);
        Assert.That(expected.Any(float.IsNaN) && expected.Any(float.IsInfinity), "the case has NaN and ∞ outputs");
        Assert.That(actual.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(expected.Select(BitConverter.SingleToInt32Bits)));
    }

    /// <summary>
    /// Whole layers at batch 2-4 (where the recurrent product runs this kernel): bit for bit the managed kernels' result,
    /// one and two threads, and within float32 tolerance of the float64 reference. Odd sizes and H = 1.
    /// </summary>
    [TestCase(RnnCellType.Lstm, 1, 1, 2, 1)]
    [TestCase(RnnCellType.Lstm, 65, 64, 3, 2)]
    [TestCase(RnnCellType.Lstm, 257, 100, 4, 1)]
    [TestCase(RnnCellType.Lstm, 512, 512, 4, 2)]
    [TestCase(RnnCellType.Gru, 1, 5, 3, 1)]
    [TestCase(RnnCellType.Gru, 129, 31, 2, 2)]
    [TestCase(RnnCellType.Gru, 257, 256, 4, 1)]
    public void SmallBatchModelsAreBitForBitTheManagedResult(RnnCellType cell, int hidden, int input, int batch, int threads)
    {
        RequireRows();
        const int steps = 7;
        var rng = new Random(CpuTestSupport.FreshSeed());
        var o = new RnnLayerOptions(cell, input, hidden) { LinearBeforeReset = cell == RnnCellType.Gru };
        var layer = new LayerWeights<float>(o).Randomize(rng, 1 / Math.Sqrt(hidden));
        var x = CpuTestSupport.RandomFloats(rng, steps * batch * input, 1);
        var model = new CpuRnnModel([layer], CpuPrecision.Fp32);
        float[] Run(bool native)
        {
            NativeCpu.EnableFp32(native);
            try
            {
                using var session = model.CreateSession(batch, steps, threads);
                var y = new float[steps * batch * hidden];
                var yh = new float[batch * hidden];
                var yc = new float[batch * hidden];
                session.Run(x, steps, batch, y, yh, cell == RnnCellType.Lstm ? yc : default);
                return [.. y, .. yh, .. yc];
            }
            finally
            {
                NativeCpu.EnableFp32(true);
            }
        }
        var native = Run(true);
        var managed = Run(false);
        Assert.That(native.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(managed.Select(BitConverter.SingleToInt32Bits)));

        var expected = ReferenceRnn.Forward<double>(layer.Convert<double>(), CpuTestSupport.ToDoubles(x), steps, batch, [], [], []);
        var failures = CpuTestSupport.Compare("Y", native.AsSpan(0, steps * batch * hidden), expected.Y, CpuTestSupport.RelativeTolerance, out double worst);
        TestContext.Out.WriteLine($"{cell} H={hidden} I={input} B={batch} threads={threads}: worst relative error vs float64 {worst:E2}");
        Assert.That(failures, Is.Empty);
    }

    /// <summary>The probe is a real check: a kernel whose result is one bit off somewhere is rejected, with where.</summary>
    [Test]
    public void TheProbeRejectsAKernelThatIsOneBitOff()
    {
        RequireRows();
        delegate* unmanaged<int, int, float*, nint, nint, float*, nint, int, int, float*, nint, int, int, int> wrong = &OneBitOff;
        Assert.That(NativeCpu.ProbeFp32Rows(wrong), Does.Contain("element"));
        delegate* unmanaged<int, int, float*, nint, nint, float*, nint, int, int, float*, nint, int, int, int> right = &Managed;
        Assert.That(NativeCpu.ProbeFp32Rows(right), Is.Null, "the managed kernels behind the native signature pass");
        Assert.That(NativeCpu.Status, Does.Contain("fp32 2-4 rows on"));
    }

    [UnmanagedCallersOnly]
    private static int Managed(int m, int k, float* a, nint ars, nint acs, float* panels, nint panelFloats, int p0, int count, float* c, nint ldc,
        int accumulate, int kBlock) => RunThroughManaged(m, k, a, ars, acs, panels, panelFloats, p0, count, c, ldc, accumulate, flipLastBit: false);

    [UnmanagedCallersOnly]
    private static int OneBitOff(int m, int k, float* a, nint ars, nint acs, float* panels, nint panelFloats, int p0, int count, float* c, nint ldc,
        int accumulate, int kBlock) => RunThroughManaged(m, k, a, ars, acs, panels, panelFloats, p0, count, c, ldc, accumulate, flipLastBit: true);

    /// <summary>The native kernel's contract on the managed kernels (panels copied into a PackedMatrix of the same layout).</summary>
    private static int RunThroughManaged(int m, int k, float* a, nint ars, nint acs, float* panels, nint panelFloats, int p0, int count, float* c,
        nint ldc, int accumulate, bool flipLastBit)
    {
        var b = new PackedMatrix(k, (p0 + count) * 32, 32);
        if (b.PanelBytes / sizeof(float) != panelFloats)
            return -2; // never throw across the native boundary
        Buffer.MemoryCopy(panels, b.Buffer.Pointer, b.Panels * b.PanelBytes, b.Panels * b.PanelBytes);
        var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
        Sgemm.RunManaged<Vec512>(m, k, a, ars, acs, b, p0, count, c, ldc, accumulate != 0, scratch.Pointer);
        if (flipLastBit && count > 0)
        {
            int* last = (int*)(c + (m - 1) * ldc + (p0 + count) * 32 - 1);
            *last ^= 1;
        }
        GC.KeepAlive(b);
        GC.KeepAlive(scratch);
        return 0;
    }
}

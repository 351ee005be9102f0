using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LstmNative.Cpu;
using LstmNative.Cpu.Kernels;
using LstmNative.Model;
using LstmNative.Reference;
using NUnit.Framework;

namespace LstmNative.Tests.Cpu;

/// <summary>
/// The native float32 batch-1 kernel (<see cref="NativeCpu.RunFp32"/>) runs the managed 512-bit kernels' FMAs in their
/// order, so it must agree with them bit for bit: on products of random shapes, on whole models (LSTM and GRU, one and
/// two threads), and against the float64 reference within float32 tolerance. Also: the load-time probe rejects a kernel
/// that is off by one bit, and the switches leave the managed path. Seeds are fresh every run and printed.
/// </summary>
public unsafe class NativeCpuFp32Tests
{
    private static void RequireFp32()
    {
        if (!NativeCpu.Fp32Gemv)
            Assert.Ignore($"native fp32 kernel not active here (needs AVX-512 in the CPU and the runtime, and the library): {NativeCpu.Status}");
    }

    [TestCase(1, 1, 1)]
    [TestCase(1, 1, 32)]
    [TestCase(2, 3, 64)]
    [TestCase(3, 1, 33)]
    [TestCase(4, 1, 96)]
    [TestCase(5, 2, 97)]
    [TestCase(64, 1, 256)]
    [TestCase(255, 1, 1024)]
    [TestCase(257, 7, 160)]
    [TestCase(1024, 1, 4096)]
    [TestCase(Sgemm.SliverKC + 1, 1, 96)]
    [TestCase(2 * Sgemm.SliverKC + 3, 2, 64)]
    public void MatchesTheManagedKernelsBitForBit(int k, int acs, int n)
    {
        RequireFp32();
        var rng = new Random(CpuTestSupport.FreshSeed());
        var b = new PackedMatrix(k, n, 32);
        var w = CpuTestSupport.RandomFloats(rng, k * n, 1 / Math.Sqrt(k));
        b.Pack(new NativeCpu.ArrayMap(w, n));
        var a = CpuTestSupport.RandomFloats(rng, k * acs, 1);
        var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
        int ldc = b.Panels * 32;
        foreach (bool accumulate in new[] { false, true })
            foreach (var (p0, count) in new[] { (0, b.Panels), (b.Panels / 2, b.Panels - b.Panels / 2), (b.Panels - 1, 1), (0, 0) })
            {
                var expected = CpuTestSupport.RandomFloats(rng, ldc, 1);
                var actual = (float[])expected.Clone();
                var before = (float[])expected.Clone();
                fixed (float* ap = a, ep = expected, cp = actual)
                {
                    Sgemm.RunManaged<Vec512>(1, k, ap, k * acs, acs, b, p0, count, ep, ldc, accumulate, scratch.Pointer);
                    NativeCpu.RunFp32(k, ap, acs, b, p0, count, cp, accumulate);
                }
                string label = $"accumulate={accumulate} panels [{p0}, {p0 + count})";
                for (int j = 0; j < ldc; j++)
                {
                    if (j < p0 * 32 || j >= (p0 + count) * 32)
                        Assert.That(actual[j], Is.EqualTo(before[j]), $"{label}: C[{j}] outside the panels was written");
                    else if (BitConverter.SingleToInt32Bits(actual[j]) != BitConverter.SingleToInt32Bits(expected[j]))
                        Assert.Fail($"{label}: C[{j}] = {actual[j]:R}, the managed kernels {expected[j]:R}");
                }
            }
        GC.KeepAlive(b);
        GC.KeepAlive(scratch);
    }

    /// <summary>NaN and ∞ in the row or the weights propagate as the managed kernels propagate them.</summary>
    [Test]
    public void NonFiniteValuesPropagateLikeTheManagedKernels()
    {
        RequireFp32();
        var rng = new Random(CpuTestSupport.FreshSeed());
        const int k = 9, n = 70;
        var w = CpuTestSupport.RandomFloats(rng, k * n, 1);
        w[3 * n + 5] = float.PositiveInfinity;
        w[4 * n + 40] = float.NaN;
        var b = new PackedMatrix(k, n, 32);
        b.Pack(new NativeCpu.ArrayMap(w, n));
        var a = CpuTestSupport.RandomFloats(rng, k, 1);
        a[7] = float.NegativeInfinity;
        int ldc = b.Panels * 32;
        var expected = new float[ldc];
        var actual = new float[ldc];
        var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
        fixed (float* ap = a, ep = expected, cp = actual)
        {
            Sgemm.RunManaged<Vec512>(1, k, ap, k, 1, b, 0, b.Panels, ep, ldc, false, scratch.Pointer);
            NativeCpu.RunFp32(k, ap, 1, b, 0, b.Panels, cp, false);
        }
        GC.KeepAlive(b);
        GC.KeepAlive(scratch);
        Assert.That(expected.Any(float.IsNaN) && expected.Any(float.IsInfinity), "the case has NaN and ∞ outputs");
        Assert.That(actual.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(expected.Select(BitConverter.SingleToInt32Bits)));
    }

    /// <summary>
    /// Whole layers at batch 1 (where the recurrent product runs the native kernel): bit for bit the managed kernels'
    /// result, one and two threads, and within float32 tolerance of the float64 reference. Odd sizes and H = 1.
    /// </summary>
    [TestCase(RnnCellType.Lstm, 1, 1, 1)]
    [TestCase(RnnCellType.Lstm, 1, 33, 1)]
    [TestCase(RnnCellType.Lstm, 65, 64, 2)]
    [TestCase(RnnCellType.Lstm, 257, 100, 1)]
    [TestCase(RnnCellType.Lstm, 257, 100, 2)]
    [TestCase(RnnCellType.Lstm, 1024, 1024, 2)]
    [TestCase(RnnCellType.Gru, 1, 5, 1)]
    [TestCase(RnnCellType.Gru, 129, 31, 2)]
    [TestCase(RnnCellType.Gru, 513, 512, 1)]
    public void ModelsAreBitForBitTheManagedResult(RnnCellType cell, int hidden, int input, int threads)
    {
        RequireFp32();
        const int steps = 7;
        var rng = new Random(CpuTestSupport.FreshSeed());
        var o = new RnnLayerOptions(cell, input, hidden) { LinearBeforeReset = cell == RnnCellType.Gru };
        var layer = new LayerWeights<float>(o).Randomize(rng, 1 / Math.Sqrt(hidden));
        var x = CpuTestSupport.RandomFloats(rng, steps * input, 1);
        var model = new CpuRnnModel([layer], CpuPrecision.Fp32);
        float[] Run(bool native)
        {
            NativeCpu.EnableFp32(native);
            try
            {
                using var session = model.CreateSession(1, steps, threads);
                var y = new float[steps * hidden];
                var yh = new float[hidden];
                var yc = new float[hidden];
                session.Run(x, steps, 1, y, yh, cell == RnnCellType.Lstm ? yc : default);
                // A streaming step too: its input product is one row as well.
                session.Reset();
                var ys = new float[hidden];
                session.Step(x.AsSpan(0, input), 1, ys);
                return [.. y, .. yh, .. yc, .. ys];
            }
            finally
            {
                NativeCpu.EnableFp32(true);
            }
        }
        var native = Run(true);
        var managed = Run(false);
        Assert.That(native.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(managed.Select(BitConverter.SingleToInt32Bits)));

        var expected = ReferenceRnn.Forward<double>(layer.Convert<double>(), CpuTestSupport.ToDoubles(x), steps, 1, [], [], []);
        var failures = CpuTestSupport.Compare("Y", native.AsSpan(0, steps * hidden), expected.Y, CpuTestSupport.RelativeTolerance, out double worst);
        TestContext.Out.WriteLine($"{cell} H={hidden} I={input} threads={threads}: worst relative error vs float64 {worst:E2}");
        Assert.That(failures, Is.Empty);
    }

    /// <summary>The probe is a real check: a kernel whose result is one bit off somewhere is rejected, with where.</summary>
    [Test]
    public void TheProbeRejectsAKernelThatIsOneBitOff()
    {
        RequireFp32();
        delegate* unmanaged<int, float*, nint, float*, nint, int, int, float*, int, int, int> wrong = &OneBitOff;
        string? mismatch = NativeCpu.ProbeFp32(wrong);
        Assert.That(mismatch, Does.Contain("element"));
        delegate* unmanaged<int, float*, nint, float*, nint, int, int, float*, int, int, int> right = &Managed;
        Assert.That(NativeCpu.ProbeFp32(right), Is.Null, "the managed kernels behind the native signature pass");
    }

    [UnmanagedCallersOnly]
    private static int Managed(int k, float* a, nint acs, float* panels, nint panelFloats, int p0, int count, float* c, int accumulate, int kBlock) =>
        RunThroughManaged(k, a, acs, panels, panelFloats, p0, count, c, accumulate, flipLastBit: false);

    [UnmanagedCallersOnly]
    private static int OneBitOff(int k, float* a, nint acs, float* panels, nint panelFloats, int p0, int count, float* c, int accumulate, int kBlock) =>
        RunThroughManaged(k, a, acs, panels, panelFloats, p0, count, c, accumulate, flipLastBit: true);

    /// <summary>The native kernel's contract on the managed kernels (panels copied into a PackedMatrix of the same layout).</summary>
    private static int RunThroughManaged(int k, float* a, nint acs, float* panels, nint panelFloats, int p0, int count, float* c, int accumulate, bool flipLastBit)
    {
        int totalPanels = p0 + count;
        var b = new PackedMatrix(k, totalPanels * 32, 32);
        if (b.PanelBytes / sizeof(float) != panelFloats)
            return -2; // never throw across the native boundary

        Buffer.MemoryCopy(panels, b.Buffer.Pointer, b.Panels * b.PanelBytes, b.Panels * b.PanelBytes);
        var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
        Sgemm.RunManaged<Vec512>(1, k, a, k * acs, acs, b, p0, count, c, totalPanels * 32, accumulate != 0, scratch.Pointer);
        if (flipLastBit && count > 0)
        {
            int* last = (int*)(c + (p0 + count) * 32 - 1);
            *last ^= 1;
        }
        GC.KeepAlive(b);
        GC.KeepAlive(scratch);
        return 0;
    }

    /// <summary><c>LSTMNATIVE_NATIVE=0</c> loads no fp32 kernel either; the status line names the fp32 kernel's state.</summary>
    [Test]
    public void SwitchedOffLoadsNoFp32Kernel()
    {
        var off = NativeCpu.Load(name => name == "LSTMNATIVE_NATIVE" ? "0" : Environment.GetEnvironmentVariable(name));
        Assert.That(off.Status, Does.StartWith("off (LSTMNATIVE_NATIVE=0)"));
        Assert.That(off.Fp32 == null, "no fp32 kernel loaded with LSTMNATIVE_NATIVE=0");
        if (NativeCpu.Fp32Gemv)
            Assert.That(NativeCpu.Status, Does.Contain("fp32 batch-1 on"));
        else
            TestContext.Out.WriteLine($"fp32 kernel off here: {NativeCpu.Status}");
    }
}

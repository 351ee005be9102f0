using System.Diagnostics;
using System.Runtime.InteropServices;

namespace LstmNative.Cpu.Kernels;

// Batch 1, float32: the recurrent product with a slice of the input projection of later steps in its gaps
// (lstmn_sgemv_f32_fused_avx512; why and how much in native/cpu/lstmnative_cpu.c and docs/benchmarks.md).
public static unsafe partial class NativeCpu
{
    private static readonly LstmnFusedGemvF32Fn FusedGemvF32;
    private static bool _fusedFp32Override = true;

    /// <summary>Whether the fused batch-1 float32 product passed its check (the float32 forward at batch 1 on one worker uses it).</summary>
    internal static bool Fp32Fused => FusedGemvF32 != null && _fusedFp32Override && Fp32Gemv;

    /// <summary>Test and benchmark hook: false runs the batch-1 float32 forward unfused (input projection first).</summary>
    internal static void EnableFp32Fused(bool enabled) => _fusedFp32Override = enabled;

    /// <summary>Floats of one block of side rows of K = <paramref name="k"/> (<see cref="InterleaveSideRows"/>).</summary>
    internal static long FusedBlockFloats(int k) => (long)k * FusedRows;

    /// <summary>
    /// Copies rows [0, m) of <paramref name="a"/> (row i at <c>a + i·ars</c>, ars may be negative; k floats each) into
    /// <paramref name="dst"/> in blocks of <see cref="FusedRows"/> rows, interleaved by k (row r's k-th value at
    /// <c>block + k·FusedRows + r % FusedRows</c>), the layout the fused float32 product broadcasts from; the rows of a
    /// last, partial block are zero.
    /// </summary>
    internal static void InterleaveSideRows(int m, int k, float* a, nint ars, float* dst)
    {
        if (m <= 0)
            return;
        long blocks = (m + FusedRows - 1) / FusedRows;
        new Span<float>(dst + (blocks - 1) * FusedBlockFloats(k), (int)FusedBlockFloats(k)).Clear();
        for (int i = 0; i < m; i++)
        {
            float* row = a + i * ars, block = dst + i / FusedRows * FusedBlockFloats(k) + i % FusedRows;
            for (int j = 0; j < k; j++)
                block[(long)j * FusedRows] = row[j];
        }
    }

    /// <summary>
    /// <c>c = h × r</c> over all of <paramref name="r"/>'s panels (bit for bit <see cref="RunFp32"/>) and, in the same
    /// stream, <c>cx[row] = x[row] × w</c> for side rows [0, <paramref name="rows"/>) over w's panels [q0, q0 + qcount)
    /// (one block of <see cref="InterleaveSideRows"/> at <paramref name="xs"/>; row i written at <c>cx + i·ldcx</c> floats,
    /// ldcx may be negative), summed as <see cref="ReferenceSideRow"/> describes.
    /// </summary>
    internal static void RunFp32Fused(int k, float* h, PackedMatrix r, float* c, int kx, float* xs, int rows, PackedMatrix w,
        int q0, int qcount, float* cx, nint ldcx)
    {
        Debug.Assert(FusedGemvF32 != null && r.Precision == CpuPrecision.Fp32 && w.Precision == CpuPrecision.Fp32 && rows <= FusedRows);
        int rc = FusedGemvF32(k, h, r.Buffer.Pointer, (nint)(r.PanelBytes / sizeof(float)), r.Panels, c, 0, Sgemm.SliverKC,
            kx, xs, rows, w.Buffer.Pointer, (nint)(w.PanelBytes / sizeof(float)), q0, qcount, Sgemm.KC, cx, ldcx);
        if (rc != 0)
            throw new InvalidOperationException($"native fused fp32 product refused (status {rc})");
        GC.KeepAlive(r);
        GC.KeepAlive(w);
    }

    /// <summary>
    /// The side product alone (no recurrent panels): <c>cx[row] = x[row] × w</c> over w's panels [q0, q0 + qcount), summed
    /// as <see cref="RunFp32Fused"/> sums its side rows — for the block of steps the walk projects before its first step,
    /// so that every projected row of a fused walk is summed alike.
    /// </summary>
    internal static void RunFp32Side(int kx, float* xs, int rows, PackedMatrix w, int q0, int qcount, float* cx, nint ldcx)
    {
        Debug.Assert(FusedGemvF32 != null && w.Precision == CpuPrecision.Fp32 && rows <= FusedRows);
        int rc = FusedGemvF32(0, null, null, 0, 0, null, 0, Sgemm.SliverKC, kx, xs, rows, w.Buffer.Pointer, (nint)(w.PanelBytes / sizeof(float)),
            q0, qcount, Sgemm.KC, cx, ldcx);
        if (rc != 0)
            throw new InvalidOperationException($"native fused fp32 product refused (status {rc})");
        GC.KeepAlive(w);
    }

    /// <summary>
    /// The side rows' reference, scalar: column j of row x is one fused multiply-add chain over k in ascending order,
    /// restarted every <see cref="Sgemm.KC"/> k and added to what the earlier blocks stored — the sums of
    /// <see cref="Sgemm"/>'s 3-to-6-row kernels, which run a long product's rows in K blocks of that size.
    /// </summary>
    internal static void ReferenceSideRow(int kx, ReadOnlySpan<float> x, PackedMatrix w, int q0, int qcount, Span<float> c)
    {
        for (int q = q0; q < q0 + qcount; q++)
            for (int j = 0; j < 32; j++)
            {
                float* panel = (float*)w.PanelData(q);
                for (int k0 = 0; k0 < kx; k0 += Sgemm.KC)
                {
                    float sum = 0;
                    for (int kk = k0; kk < Math.Min(kx, k0 + Sgemm.KC); kk++)
                        sum = MathF.FusedMultiplyAdd(panel[(long)kk * 32 + j], x[kk], sum);
                    c[q * 32 + j] = k0 == 0 ? sum : c[q * 32 + j] + sum;
                }
            }
        GC.KeepAlive(w);
    }

    /// <summary>Gets the fused float32 product from the library and checks it (<see cref="ProbeFp32Fused"/>); the status text.</summary>
    private static string LoadFp32Fused(nint handle, out LstmnFusedGemvF32Fn fused)
    {
        fused = null;
        try
        {
            var f = (LstmnFusedGemvF32Fn)NativeLibrary.GetExport(handle, "lstmn_sgemv_f32_fused_avx512");
            string? mismatch = ProbeFp32Fused(f);
            if (mismatch is not null)
                return $"fused batch-1 fp32 disabled: it disagrees with its references ({mismatch})";
            fused = f;
            return "fused batch-1 fp32 on";
        }
        catch (EntryPointNotFoundException e)
        {
            return $"fused batch-1 fp32 off ({e.Message})";
        }
    }

    /// <summary>
    /// The fused float32 product against the plain batch-1 product (the recurrent part, which passed its own check) and
    /// against <see cref="ReferenceSideRow"/> (the side rows), bit for bit: R with an odd panel count (a lone last panel),
    /// W longer and shorter than R and past one K block, 1, 3 and 8 side rows written last first (a negative stride), a
    /// panel window not at 0. Null when every bit agrees.
    /// </summary>
    internal static string? ProbeFp32Fused(LstmnFusedGemvF32Fn fused)
    {
        var rng = new Random(19);
        var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
        foreach (var (k, n, kx, nx, rows, q0, qcount) in new[] { (37, 160, 19, 200, 3, 1, 4), (9, 64, 300, 96, 8, 0, 3), (64, 96, 5, 40, 1, 1, 1), (130, 128, 130, 256, 8, 2, 5) })
        {
            PackedMatrix Matrix(int kk, int nn)
            {
                var m = new PackedMatrix(kk, nn, 32);
                m.Pack(new ArrayMap(Random(rng, kk * nn), nn));
                return m;
            }
            var r = Matrix(k, n);
            var w = Matrix(kx, nx);
            var h = Random(rng, k);
            var x = Random(rng, rows * kx);
            int ld = w.Panels * 32 + 64;
            var xs = new float[FusedBlockFloats(kx)];
            var c = new float[r.Panels * 32];
            var cRef = new float[c.Length];
            var cx = new float[rows * ld];
            var cxRef = new float[cx.Length];
            fixed (float* hp = h, xp = x, xsp = xs, cp = c, crp = cRef, cxp = cx)
            {
                InterleaveSideRows(rows, kx, xp, kx, xsp);
                int rc = fused(k, hp, r.Buffer.Pointer, (nint)(r.PanelBytes / sizeof(float)), r.Panels, cp, 0, Sgemm.SliverKC,
                    kx, xsp, rows, w.Buffer.Pointer, (nint)(w.PanelBytes / sizeof(float)), q0, qcount, Sgemm.KC, cxp + (rows - 1) * ld, -ld);
                if (rc != 0)
                    return $"status {rc} at k={k}, kx={kx}";
                Sgemm.RunManaged<Vec512>(1, k, hp, k, 1, r, 0, r.Panels, crp, c.Length, false, scratch.Pointer);
            }
            // The side product alone (no recurrent panels), as a walk's first block runs it: the same side rows.
            var cxAlone = new float[cx.Length];
            fixed (float* xsp = xs, cap = cxAlone)
            {
                int rc = fused(0, null, null, 0, 0, null, 0, Sgemm.SliverKC, kx, xsp, rows, w.Buffer.Pointer, (nint)(w.PanelBytes / sizeof(float)),
                    q0, qcount, Sgemm.KC, cap + (rows - 1) * ld, -ld);
                if (rc != 0)
                    return $"status {rc} without recurrent panels at kx={kx}";
            }
            for (int i = 0; i < cx.Length; i++)
                if (BitConverter.SingleToInt32Bits(cx[i]) != BitConverter.SingleToInt32Bits(cxAlone[i]))
                    return $"kx={kx} nx={nx} rows={rows}: side element {i} is {cxAlone[i]:R} without recurrent panels, {cx[i]:R} with them";
            // Side row i was written at row rows - 1 - i (the negative stride).
            for (int i = 0; i < rows; i++)
                ReferenceSideRow(kx, x.AsSpan(i * kx, kx), w, q0, qcount, cxRef.AsSpan((rows - 1 - i) * ld, ld));
            GC.KeepAlive(r);
            for (int i = 0; i < c.Length; i++)
                if (BitConverter.SingleToInt32Bits(c[i]) != BitConverter.SingleToInt32Bits(cRef[i]))
                    return $"k={k} n={n}: recurrent element {i} is {c[i]:R}, the plain product {cRef[i]:R}";
            for (int i = 0; i < cx.Length; i++)
                if (BitConverter.SingleToInt32Bits(cx[i]) != BitConverter.SingleToInt32Bits(cxRef[i]))
                    return $"kx={kx} nx={nx} rows={rows}: side element {i} is {cx[i]:R}, the reference {cxRef[i]:R}";
        }
        GC.KeepAlive(scratch);
        return null;
    }
}

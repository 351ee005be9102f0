using System.Diagnostics;
using System.Runtime.InteropServices;

namespace LstmNative.Cpu.Kernels;

// Batch 1, int8: the recurrent product with a slice of the input projection of later steps in its gaps
// (lstmn_qgemv_u8s8_fused_avx512vnni; why and how much in native/cpu/lstmnative_cpu.c and docs/benchmarks.md).
public static unsafe partial class NativeCpu
{
    /// <summary>Side rows the fused product carries at most: the forward projects this many later steps per block.</summary>
    internal const int FusedRows = 8;

    private static readonly LstmnQuantizeSideFn SideQuantizer;
    private static readonly LstmnFusedGemvFn FusedGemv;
    private static bool _fusedOverride = true;

    /// <summary>Whether the fused batch-1 int8 product passed its check (the int8 forward at batch 1 on one worker uses it).</summary>
    internal static bool Int8Fused => FusedGemv != null && _fusedOverride && Int8QuadsFor(FusedPanelWidth);

    /// <summary>The panel width the fused product reads (it is written for AVX-512 VNNI only).</summary>
    internal const int FusedPanelWidth = 32;

    /// <summary>Test and benchmark hook: false runs the batch-1 int8 forward unfused (input projection first, as before).</summary>
    internal static void EnableInt8Fused(bool enabled) => _fusedOverride = enabled;

    /// <summary>
    /// Gets the fused product from the library and checks it against the plain VNNI product (<paramref name="int8"/> and
    /// <paramref name="int8Static"/>, which passed their own check) bit for bit; the status text for <see cref="Status"/>.
    /// </summary>
    private static string LoadFused(nint handle, LstmnInt8Fn int8, LstmnInt8StaticFn int8Static, out LstmnQuantizeSideFn quantizeSide, out LstmnFusedGemvFn fusedGemv)
    {
        quantizeSide = null;
        fusedGemv = null;
        try
        {
            var q = (delegate* unmanaged<int, int, float*, nint, nint, byte*, float*, float, float, byte*, int>)
                NativeLibrary.GetExport(handle, "lstmn_quantize_side_rows_u8_avx512vnni");
            var f = (delegate* unmanaged<int, float*, sbyte*, nint, int, float*, int*, float*, int, byte*, nint, float, float,
                int, byte*, float*, int, sbyte*, nint, int, int, float*, int*, float*, nint, int, int>)
                NativeLibrary.GetExport(handle, "lstmn_qgemv_u8s8_fused_avx512vnni");
            string? mismatch = ProbeFused(q, f, int8, int8Static);
            if (mismatch is not null)
                return $"fused batch-1 int8 disabled: it disagrees with the VNNI product ({mismatch})";
            quantizeSide = q;
            fusedGemv = f;
            return "fused batch-1 int8 on";
        }
        catch (EntryPointNotFoundException e)
        {
            return $"fused batch-1 int8 off ({e.Message})";
        }
    }

    /// <summary>
    /// Quantizes rows [0, m) of <paramref name="a"/> (<paramref name="ars"/> floats apart, may be negative) for products
    /// with <paramref name="w"/> (its static activation scale, or each row's own: the bytes and scales the VNNI product
    /// computes itself) into <paramref name="dst"/> in blocks of <see cref="FusedRows"/> rows interleaved by quad
    /// (<see cref="FusedBlockBytes"/> bytes a block), scales in <paramref name="scales"/>. <paramref name="scratch"/>: k bytes.
    /// </summary>
    internal static void QuantizeSideRows(int m, int k, float* a, nint ars, byte* dst, float* scales, PackedMatrix w, float* scratch)
    {
        Debug.Assert(SideQuantizer != null && w.IsInt8Quads);
        SideQuantizer(m, k, a, ars, 1, dst, scales, w.IsStatic ? w.StaticScale8 : 0, w.IsStatic ? w.StaticInverse8 : 0, (byte*)scratch);
    }

    /// <summary>Bytes of one block of side rows of K = <paramref name="k"/> (<see cref="QuantizeSideRows"/>).</summary>
    internal static int FusedBlockBytes(int k) => ((k + 3) & ~3) * FusedRows;

    /// <summary>
    /// <c>c (+)= h × r</c> over all of <paramref name="r"/>'s panels (the batch-1 VNNI product) and, in the same stream,
    /// <c>cx[row] = xq[row] × w</c> for side rows [0, <paramref name="rows"/>) over w's panels [q0, q0 + qcount)
    /// (one block of <see cref="QuantizeSideRows"/> at <paramref name="xq"/>; row i written at <c>cx + i·ldcx</c> floats,
    /// ldcx may be negative). Bit for bit what <see cref="RunInt8"/> gives for the same rows. <paramref name="runPanels"/>
    /// &gt; 0 (even): r's panels in runs of that many, the last run first (the alternating walk, <see cref="Sgemm.RunRecurrent{TV}"/>).
    /// </summary>
    internal static void RunInt8Fused(int k, float* h, PackedMatrix r, float* c, bool accumulate, float* scratch,
        int kx, byte* xq, float* xScale, int rows, PackedMatrix w, int q0, int qcount, float* cx, nint ldcx, int runPanels)
    {
        Debug.Assert(FusedGemv != null && r.IsInt8Quads && w.IsInt8Quads && rows <= FusedRows);
        int rc = FusedGemv(k, h, (sbyte*)r.Buffer.Pointer, (nint)r.PanelBytes, r.Panels, r.Scales!.Pointer, (int*)r.ColumnSums!.Pointer,
            c, accumulate ? 1 : 0, (byte*)scratch, (nint)Sgemm.ScratchFloats * sizeof(float), r.IsStatic ? r.StaticScale8 : 0,
            r.IsStatic ? r.StaticInverse8 : 0, kx, xq, xScale, rows, (sbyte*)w.Buffer.Pointer, (nint)w.PanelBytes, q0, qcount,
            w.Scales!.Pointer, (int*)w.ColumnSums!.Pointer, cx, ldcx, runPanels);
        if (rc != 0)
            throw new InvalidOperationException($"native fused int8 product refused k = {k} (status {rc})");
        GC.KeepAlive(r);
        GC.KeepAlive(w);
    }

    /// <summary>
    /// The fused product against the plain one on random shapes, dynamic and static: R with an odd panel count (a lone
    /// last panel), W longer and shorter than R, 1, 3 and 8 side rows with a negative stride, a panel window not at 0,
    /// C accumulated, R read in one run and in descending runs. Null when every bit agrees.
    /// </summary>
    private static string? ProbeFused(LstmnQuantizeSideFn quantize, LstmnFusedGemvFn fused, LstmnInt8Fn int8, LstmnInt8StaticFn int8Static)
    {
        var rng = new Random(18);
        var scratch = new AlignedBuffer(Sgemm.ScratchFloats);
        foreach (float range in new[] { 0f, 1.5f })
            foreach (var (k, n, kx, nx, rows, q0, qcount, runPanels) in new[] { (37, 160, 19, 200, 3, 1, 4, 0), (37, 160, 19, 200, 3, 1, 4, 2),
                         (9, 64, 300, 96, 8, 0, 3, 0), (64, 96, 5, 40, 1, 1, 1, 0), (64, 224, 40, 64, 8, 0, 2, 4) })
            {
                PackedMatrix Matrix(int kk, int nn)
                {
                    var m = new PackedMatrix(kk, nn, 32, CpuPrecision.Int8, int8Quads: true) { StaticRange = range };
                    var v = new float[kk * nn];
                    for (int i = 0; i < v.Length; i++)
                        v[i] = (float)(rng.NextDouble() * 2 - 1);
                    m.Pack(new ArrayMap(v, nn));
                    return m;
                }
                var r = Matrix(k, n);
                var w = Matrix(kx, nx);
                var h = Random(rng, k);
                var x = Random(rng, rows * kx);
                int ld = nx + 32 * 2;
                var xq = new byte[FusedBlockBytes(kx)];
                var xs = new float[rows];
                var c = new float[r.Panels * 32];
                var cRef = new float[c.Length];
                var cx = new float[rows * ld];
                var cxRef = new float[cx.Length];
                for (int i = 0; i < c.Length; i++)
                    c[i] = cRef[i] = i % 3;
                fixed (float* hp = h, xp = x, xsp = xs, cp = c, crp = cRef, cxp = cx, cxrp = cxRef)
                fixed (byte* xqp = xq)
                {
                    // Rows taken and written last first (negative strides), as the reverse direction runs them.
                    float* cx0 = cxp + (rows - 1) * ld;
                    quantize(rows, kx, xp + (rows - 1) * kx, -kx, 1, xqp, xsp, w.IsStatic ? w.StaticScale8 : 0, w.IsStatic ? w.StaticInverse8 : 0,
                        (byte*)scratch.Pointer);
                    int rc = fused(k, hp, (sbyte*)r.Buffer.Pointer, (nint)r.PanelBytes, r.Panels, r.Scales!.Pointer, (int*)r.ColumnSums!.Pointer,
                        cp, 1, (byte*)scratch.Pointer, (nint)Sgemm.ScratchFloats * sizeof(float), r.IsStatic ? r.StaticScale8 : 0, r.IsStatic ? r.StaticInverse8 : 0,
                        kx, xqp, xsp, rows, (sbyte*)w.Buffer.Pointer, (nint)w.PanelBytes, q0, qcount, w.Scales!.Pointer, (int*)w.ColumnSums!.Pointer,
                        cx0, -ld, runPanels);
                    if (rc != 0)
                        return $"status {rc} at k={k}, kx={kx}";
                    void Plain(int m, int kk, float* a, PackedMatrix b, int p0, int pc, float* c, bool acc)
                    {
                        byte* sp = (byte*)scratch.Pointer;
                        nint bytes = (nint)Sgemm.ScratchFloats * sizeof(float);
                        int rc = b.IsStatic
                            ? int8Static(m, kk, a, kk, 1, (sbyte*)b.Buffer.Pointer, (nint)b.PanelBytes, p0, pc, b.Scales!.Pointer, (int*)b.ColumnSums!.Pointer, c, 0, acc ? 1 : 0, sp, bytes, b.StaticScale8, b.StaticInverse8)
                            : int8(m, kk, a, kk, 1, (sbyte*)b.Buffer.Pointer, (nint)b.PanelBytes, p0, pc, b.Scales!.Pointer, (int*)b.ColumnSums!.Pointer, c, 0, acc ? 1 : 0, sp, bytes);
                        if (rc != 0)
                            throw new InvalidOperationException($"probe: plain int8 product status {rc}");
                    }
                    Plain(1, k, hp, r, 0, r.Panels, crp, true);
                    for (int i = 0; i < rows; i++)
                        Plain(1, kx, xp + i * kx, w, q0, qcount, cxrp + i * ld, false); // x row i lands in row i
                }
                GC.KeepAlive(r);
                GC.KeepAlive(w);
                for (int i = 0; i < c.Length; i++)
                    if (BitConverter.SingleToInt32Bits(c[i]) != BitConverter.SingleToInt32Bits(cRef[i]))
                        return $"k={k} n={n} runs={runPanels}{Scheme(range)}: recurrent element {i} is {c[i]:R}, the plain product {cRef[i]:R}";
                for (int i = 0; i < cx.Length; i++)
                    if (BitConverter.SingleToInt32Bits(cx[i]) != BitConverter.SingleToInt32Bits(cxRef[i]))
                        return $"kx={kx} nx={nx} rows={rows} runs={runPanels}{Scheme(range)}: side element {i} is {cx[i]:R}, the plain product {cxRef[i]:R}";
            }
        GC.KeepAlive(scratch);
        return null;
    }

    private static float[] Random(Random rng, int n)
    {
        var v = new float[n];
        for (int i = 0; i < v.Length; i++)
            v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }
}

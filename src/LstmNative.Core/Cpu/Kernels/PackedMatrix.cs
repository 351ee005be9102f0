using System.Diagnostics;

namespace LstmNative.Cpu.Kernels;

/// <summary>
/// The right-hand operand of <see cref="Sgemm"/>, a logical <c>[K, N]</c> matrix stored as column panels of
/// <see cref="PanelWidth"/> (= 2 vector registers of w lanes) columns: panel p holds, for k = 0..K-1, the NR values
/// <c>B[k, p*NR .. p*NR+NR)</c> contiguously. Columns past N are zero. Weights are packed once; a K-block of a panel
/// is contiguous and sized by <see cref="Sgemm"/> to stay in L1 while the micro-kernel sweeps the rows.
/// </summary>
/// <remarks>
/// Reduced-precision weights (<see cref="CpuPrecision"/>) keep the panels and change only what a panel row holds:
/// <list type="bullet">
/// <item><b>Bf16</b>: row k is w 32-bit words; word i holds column i in its low half and column i + w in its high
/// half, so one load, a shift and a mask give the two float registers.</item>
/// <item><b>Int8</b>: K is padded to even and rows come in pairs; pair j is 2·NR bytes: for each register half
/// h ∈ {0, 1}, the 2w bytes <c>q[2j, h·w + i], q[2j + 1, h·w + i]</c> for i = 0..w-1 (the operand order of
/// <c>vpmaddwd</c>). <see cref="Scales"/> holds each column's scale (<see cref="Quantization.WeightScale"/>).</item>
/// </list>
/// </remarks>
internal sealed unsafe class PackedMatrix
{
    /// <param name="k">Rows (K).</param>
    /// <param name="n">Columns (N).</param>
    /// <param name="panelWidth">NR.</param>
    /// <param name="precision">Element storage.</param>
    /// <param name="int8Quads">Int8 only: the layout of the native VNNI kernel (<see cref="IsInt8Quads"/>); null picks it
    /// when a native VNNI kernel of this panel width is on (<see cref="NativeCpu.Int8QuadsFor"/>) and the shape suits it.</param>
    /// <param name="bf16Pairs">Bf16 only: the layout of the native <c>vdpbf16ps</c> kernel (<see cref="IsBf16Pairs"/>);
    /// null picks it when <see cref="NativeCpu.Bf16DotProduct"/> is on and the shape suits it.</param>
    public PackedMatrix(int k, int n, int panelWidth, CpuPrecision precision = CpuPrecision.Fp32, bool? int8Quads = null, bool? bf16Pairs = null)
    {
        K = k;
        N = n;
        PanelWidth = panelWidth;
        Precision = precision;
        Panels = (n + panelWidth - 1) / panelWidth;
        ElementBytes = precision switch { CpuPrecision.Bf16 => 2, CpuPrecision.Int8 => 1, _ => 4 };
        IsInt8Quads = precision == CpuPrecision.Int8 && (int8Quads ?? NativeCpu.Int8QuadsFor(panelWidth)) && NativeCpu.SuitsInt8Quads(k, panelWidth);
        IsBf16Pairs = precision == CpuPrecision.Bf16 && (bf16Pairs ?? NativeCpu.Bf16DotProduct) && NativeCpu.SuitsBf16Pairs(k, panelWidth);
        int kStored = IsInt8Quads ? (k + 3) & ~3 : precision == CpuPrecision.Int8 || IsBf16Pairs ? (k + 1) & ~1 : k;
        PanelBytes = (long)panelWidth * Math.Max(kStored, 1) * ElementBytes;
        Buffer = new AlignedBuffer((Panels * PanelBytes + 3) / 4);
        if (precision == CpuPrecision.Int8)
            Scales = new AlignedBuffer((long)Panels * panelWidth);
        if (IsInt8Quads)
            ColumnSums = new AlignedBuffer((long)Panels * panelWidth);
    }

    /// <summary>
    /// A float32 matrix packed into <paramref name="storage"/> (at least <c>Panels · NR · K</c> floats), for operands
    /// packed anew on every call (<see cref="CpuGemm"/>): the storage is reused, only this small header is new.
    /// </summary>
    public PackedMatrix(int k, int n, int panelWidth, AlignedBuffer storage)
    {
        K = k;
        N = n;
        PanelWidth = panelWidth;
        Precision = CpuPrecision.Fp32;
        Panels = (n + panelWidth - 1) / panelWidth;
        ElementBytes = 4;
        PanelBytes = (long)panelWidth * Math.Max(k, 1) * ElementBytes;
        if (Panels * PanelBytes / 4 > storage.Length)
            throw new ArgumentException($"storage of {storage.Length} floats cannot hold a packed {k} x {n} matrix", nameof(storage));
        Buffer = storage;
    }

    /// <summary>
    /// Int8 in the layout of the native <c>vpdpbusd</c> kernel (<see cref="NativeCpu"/>) instead of <c>vpmaddwd</c>
    /// pairs: K padded to a multiple of 4; quad j of a panel is 2·NR·2 bytes: for each register half h, w columns of
    /// 4 bytes (<c>q[4j + t, h·w + i]</c> at byte <c>4i + t</c>); <see cref="ColumnSums"/> holds <c>Σ_k q[k, n]</c>
    /// for the zero-point compensation of the uint8 activations.
    /// </summary>
    public bool IsInt8Quads { get; }

    /// <summary>
    /// Bf16 in the layout of the native <c>vdpbf16ps</c> kernel (<see cref="NativeCpu"/>) instead of widened column
    /// halves: K padded to even; pair j of a panel is NR·2 bf16: for each register half h, w columns of 2 bf16
    /// (<c>B[2j + t, h·w + i]</c> at element <c>2i + t</c>), the operand order of <c>vdpbf16ps</c>.
    /// </summary>
    public bool IsBf16Pairs { get; }

    /// <summary>
    /// Int8 only: the calibrated range (max |a|) of the activations this matrix multiplies, for static int8
    /// (<see cref="Int8Calibration"/>): each row of A is quantized with the fixed scale
    /// <see cref="Quantization.StaticScale"/> of this range and saturated, with no max scan. 0 (the default): dynamic,
    /// each row scaled by its own largest magnitude.
    /// </summary>
    public float StaticRange
    {
        get;
        init
        {
            if (value != 0 && (Precision != CpuPrecision.Int8 || !(value > 0) || !float.IsFinite(value)))
                throw new ArgumentOutOfRangeException(nameof(value), $"a static activation range must be finite, positive and on int8 weights, got {value} ({Precision})");
            field = value;
            // Computed once here, not per product (two divisions are a measurable part of a batch-1 product at H = 64).
            if (value > 0)
            {
                StaticScale16 = Quantization.StaticScale(value, Quantization.ActivationLevels, out StaticInverse16);
                StaticScale8 = Quantization.StaticScale(value, Quantization.WeightLevels, out StaticInverse8);
            }
        }
    }

    /// <summary>Static only: the int16 activation scale of <see cref="StaticRange"/> (managed kernels) and its inverse.</summary>
    public readonly float StaticScale16, StaticInverse16;

    /// <summary>Static only: the uint8 activation scale of <see cref="StaticRange"/> (native VNNI kernel) and its inverse.</summary>
    public readonly float StaticScale8, StaticInverse8;

    /// <summary>Whether the activations have a fixed (calibrated) scale: <see cref="StaticRange"/> &gt; 0.</summary>
    public bool IsStatic => StaticRange > 0;

    /// <summary>Int8 quads only: <c>Σ_k q[k, n]</c> per column as int32 (stored in a float buffer), <c>[Panels · NR]</c>.</summary>
    public AlignedBuffer? ColumnSums { get; }

    /// <summary>Rows (the reduction dimension).</summary>
    public int K { get; }

    /// <summary>Logical columns.</summary>
    public int N { get; }

    /// <summary>Columns per panel (NR).</summary>
    public int PanelWidth { get; }

    /// <summary>Number of panels.</summary>
    public int Panels { get; }

    /// <summary>How the elements are stored.</summary>
    public CpuPrecision Precision { get; }

    /// <summary>Bytes per stored element (4, 2 or 1).</summary>
    public int ElementBytes { get; }

    /// <summary>Bytes per panel.</summary>
    public long PanelBytes { get; }

    public AlignedBuffer Buffer { get; }

    /// <summary>Int8 only: the scale of each column, <c>[Panels · NR]</c> (0 for padding).</summary>
    public AlignedBuffer? Scales { get; }

    /// <summary>Bytes of packed data (and scales).</summary>
    public long ByteSize => Panels * PanelBytes + (Scales is null ? 0 : 4L * Scales.Length);

    /// <summary>Start of panel <paramref name="p"/> (float32 matrices).</summary>
    public float* Panel(int p)
    {
        Debug.Assert(Precision == CpuPrecision.Fp32);
        return Buffer.Pointer + (long)p * PanelWidth * K;
    }

    /// <summary>Start of panel <paramref name="p"/>, any precision.</summary>
    public byte* PanelData(int p) => (byte*)Buffer.Pointer + p * PanelBytes;

    /// <summary>
    /// Packs panels [p0, p0 + count) of <c>B[k, n] = src[row(k) * rowStride + n]</c>, where row(k) = k, or
    /// <c>rowIndex[k]</c> when given (a negative entry packs a zero row).
    /// </summary>
    public void PackRows(float* src, nint rowStride, ReadOnlySpan<int> rowIndex, int p0, int count)
    {
        Debug.Assert(Precision == CpuPrecision.Fp32);
        int nr = PanelWidth;
        for (int p = p0; p < p0 + count; p++)
        {
            float* dst = Panel(p);
            int n0 = p * nr, width = Math.Min(nr, N - n0);
            for (int k = 0; k < K; k++, dst += nr)
            {
                int row = rowIndex.IsEmpty ? k : rowIndex[k];
                if (row < 0)
                {
                    new Span<float>(dst, nr).Clear();
                    continue;
                }
                new ReadOnlySpan<float>(src + row * rowStride + n0, width).CopyTo(new Span<float>(dst, width));
                for (int j = width; j < nr; j++)
                    dst[j] = 0;
            }
        }
    }

    /// <summary>Packs with an arbitrary element map (weight packing, done once): <c>B[k, n] = value(k, n)</c>.</summary>
    public void Pack<TMap>(TMap map) where TMap : IElementMap
    {
        switch (Precision)
        {
            case CpuPrecision.Bf16:
                PackBf16(map);
                return;
            case CpuPrecision.Int8:
                PackInt8(map);
                return;
        }
        int nr = PanelWidth;
        for (int p = 0; p < Panels; p++)
        {
            float* dst = Panel(p);
            for (int k = 0; k < K; k++, dst += nr)
                for (int j = 0; j < nr; j++)
                {
                    int n = p * nr + j;
                    dst[j] = n < N ? map.Get(k, n) : 0f;
                }
        }
    }

    private void PackBf16<TMap>(TMap map) where TMap : IElementMap
    {
        int nr = PanelWidth, w = nr / 2;
        if (IsBf16Pairs)
        {
            int k2 = (K + 1) & ~1;
            for (int p = 0; p < Panels; p++)
            {
                ushort* dst = (ushort*)PanelData(p);
                for (int j = 0; j < nr; j++)
                {
                    int n = p * nr + j, half = j / w, i = j % w;
                    for (int k = 0; k < k2; k++)
                        dst[(long)(k >> 1) * 2 * nr + half * 2 * w + 2 * i + (k & 1)] =
                            n < N && k < K ? Quantization.ToBf16(map.Get(k, n)) : (ushort)0;
                }
            }
            return;
        }
        for (int p = 0; p < Panels; p++)
        {
            uint* dst = (uint*)PanelData(p);
            for (int k = 0; k < K; k++, dst += w)
                for (int i = 0; i < w; i++)
                {
                    int lo = p * nr + i, hi = lo + w;
                    uint l = lo < N ? Quantization.ToBf16(map.Get(k, lo)) : 0u;
                    uint h = hi < N ? Quantization.ToBf16(map.Get(k, hi)) : 0u;
                    dst[i] = l | h << 16;
                }
        }
    }

    private void PackInt8Quads<TMap>(TMap map) where TMap : IElementMap
    {
        int nr = PanelWidth, w = nr / 2, k4 = (K + 3) & ~3;
        float* scales = Scales!.Pointer;
        int* sums = (int*)ColumnSums!.Pointer;
        for (int p = 0; p < Panels; p++)
        {
            sbyte* dst = (sbyte*)PanelData(p);
            for (int j = 0; j < nr; j++)
            {
                int n = p * nr + j, half = j / w, i = j % w, sum = 0;
                for (int k = 0; k < k4; k++)
                {
                    sbyte q = n < N && k < K ? Quantization.QuantizeWeight(map.Get(k, n), scales[n]) : (sbyte)0;
                    dst[(long)(k >> 2) * 4 * nr + half * 4 * w + 4 * i + (k & 3)] = q;
                    sum += q;
                }
                sums[n] = sum;
            }
        }
    }

    private void PackInt8<TMap>(TMap map) where TMap : IElementMap
    {
        int nr = PanelWidth, w = nr / 2;
        float* scales = Scales!.Pointer;
        for (int n = 0; n < Panels * nr; n++)
        {
            if (n >= N)
            {
                scales[n] = 0;
                continue;
            }
            float max = 0;
            bool nan = false;
            for (int k = 0; k < K; k++)
            {
                float v = map.Get(k, n);
                nan |= float.IsNaN(v);
                max = Math.Max(max, Math.Abs(v));
            }
            scales[n] = nan ? float.NaN : Quantization.WeightScale(max);
        }
        if (IsInt8Quads)
        {
            PackInt8Quads(map);
            return;
        }
        for (int p = 0; p < Panels; p++)
        {
            sbyte* dst = (sbyte*)PanelData(p);
            for (int k = 0; k < K + (K & 1); k++)
            {
                int pair = k >> 1, t = k & 1;
                for (int j = 0; j < nr; j++)
                {
                    int n = p * nr + j, half = j / w, i = j % w;
                    dst[(long)pair * 2 * nr + half * 2 * w + 2 * i + t] =
                        n < N && k < K ? Quantization.QuantizeWeight(map.Get(k, n), scales[n]) : (sbyte)0;
                }
            }
        }
    }
}

/// <summary>An element source for <see cref="PackedMatrix.Pack{TMap}"/>.</summary>
internal interface IElementMap
{
    float Get(int k, int n);
}

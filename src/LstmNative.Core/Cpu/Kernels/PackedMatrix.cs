namespace LstmNative.Cpu.Kernels;

/// <summary>
/// The right-hand operand of <see cref="Sgemm"/>, a logical <c>[K, N]</c> matrix stored as column panels of
/// <see cref="PanelWidth"/> (= 2 vector registers) columns: panel p holds, for k = 0..K-1, the NR values
/// <c>B[k, p*NR .. p*NR+NR)</c> contiguously. Columns past N are zero. Weights are packed once; a K-block of a panel
/// is contiguous and sized by <see cref="Sgemm"/> to stay in L1 while the micro-kernel sweeps the rows.
/// </summary>
internal sealed unsafe class PackedMatrix
{
    public PackedMatrix(int k, int n, int panelWidth)
    {
        K = k;
        N = n;
        PanelWidth = panelWidth;
        Panels = (n + panelWidth - 1) / panelWidth;
        Buffer = new AlignedBuffer((long)Panels * panelWidth * Math.Max(k, 1));
    }

    /// <summary>Rows (the reduction dimension).</summary>
    public int K { get; }

    /// <summary>Logical columns.</summary>
    public int N { get; }

    /// <summary>Columns per panel (NR).</summary>
    public int PanelWidth { get; }

    /// <summary>Number of panels.</summary>
    public int Panels { get; }

    public AlignedBuffer Buffer { get; }

    /// <summary>Start of panel <paramref name="p"/>.</summary>
    public float* Panel(int p) => Buffer.Pointer + (long)p * PanelWidth * K;

    /// <summary>
    /// Packs panels [p0, p0 + count) of <c>B[k, n] = src[row(k) * rowStride + n]</c>, where row(k) = k, or
    /// <c>rowIndex[k]</c> when given (a negative entry packs a zero row).
    /// </summary>
    public void PackRows(float* src, nint rowStride, ReadOnlySpan<int> rowIndex, int p0, int count)
    {
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
}

/// <summary>An element source for <see cref="PackedMatrix.Pack{TMap}"/>.</summary>
internal interface IElementMap
{
    float Get(int k, int n);
}

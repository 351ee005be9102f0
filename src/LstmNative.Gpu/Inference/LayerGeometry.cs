using LstmNative.Model;

namespace LstmNative.Gpu.Inference;

/// <summary>
/// Where one layer's operands live for a call of <c>T</c> steps and <c>B</c> rows: strides (in elements) of the input
/// projections, the output and the state. Pure index maths, shared by both algorithms and tested on the CPU.
/// </summary>
/// <remarks>
/// The first layer reads the caller's input in the session's layout; later layers read the previous layer's output,
/// which the session keeps time-major <c>[T, B, D·H]</c> (directions side by side, as PyTorch). The last layer writes
/// the caller's layout (<c>[T, D, B, H]</c> or <c>[B, T, D, H]</c>). States are kept for the session's maximum batch
/// (<c>[D, maxB, H]</c> time-major, <c>[maxB, D, H]</c> batch-major) so that direction blocks do not move with B.
/// </remarks>
internal readonly record struct LayerGeometry
{
    /// <summary>Rows of the input GEMM (T·B).</summary>
    public int Rows { get; init; }

    /// <summary>Width of an input-projection row: D·G·H (both directions' gates).</summary>
    public int XwWidth { get; init; }

    /// <summary>Offset between time steps in the input projections.</summary>
    public long XwStrideT { get; init; }

    /// <summary>Offset between batch rows in the input projections.</summary>
    public long XwStrideB { get; init; }

    /// <summary>Offset between time steps in the output.</summary>
    public long YStrideT { get; init; }

    /// <summary>Offset between batch rows in the output.</summary>
    public long YStrideB { get; init; }

    /// <summary>Offset of direction d's block in the output (multiply by d).</summary>
    public long YStrideD { get; init; }

    /// <summary>Offset of direction d's state (multiply by d).</summary>
    public long StateStrideD { get; init; }

    /// <summary>Offset between batch rows in the state (the GEMM's leading dimension).</summary>
    public int LdState { get; init; }

    /// <summary>Computes the geometry of layer <paramref name="layer"/> of <paramref name="layerCount"/>.</summary>
    public static LayerGeometry For(RnnLayerOptions options, int layer, int layerCount, int steps, int batch, int maxBatch, SequenceLayout layout)
    {
        int d = options.DirectionCount, h = options.HiddenSize, gh = options.GateCount * h;
        int width = d * gh;
        bool batchMajorInput = layer == 0 && layout == SequenceLayout.BatchMajor;
        bool last = layer == layerCount - 1;
        long yT, yB, yD;
        if (!last)
        {
            (yT, yB, yD) = ((long)batch * d * h, (long)d * h, h);           // [T, B, D*H]
        }
        else if (layout == SequenceLayout.TimeMajor)
        {
            (yT, yB, yD) = ((long)d * batch * h, h, (long)batch * h);       // [T, D, B, H]
        }
        else
        {
            (yT, yB, yD) = ((long)d * h, (long)steps * d * h, h);           // [B, T, D, H]
        }
        return new LayerGeometry
        {
            Rows = checked(steps * batch),
            XwWidth = width,
            XwStrideT = batchMajorInput ? width : (long)batch * width,
            XwStrideB = batchMajorInput ? (long)steps * width : width,
            YStrideT = yT,
            YStrideB = yB,
            YStrideD = yD,
            StateStrideD = layout == SequenceLayout.TimeMajor ? (long)maxBatch * h : h,
            LdState = layout == SequenceLayout.TimeMajor ? h : d * h,
        };
    }

    /// <summary>Elements of one layer's state buffer (h or c) for the session's maximum batch.</summary>
    public static long StateElements(RnnLayerOptions options, int maxBatch) => (long)options.DirectionCount * maxBatch * options.HiddenSize;

    /// <summary>
    /// The copies between a caller's state block of one layer (<c>[D, B, H]</c> or <c>[B, D, H]</c>, B rows) and the
    /// device state (maxB rows): (device offset, host offset, count) per contiguous piece. Returns the piece count.
    /// </summary>
    public static int StateCopies(RnnLayerOptions options, int batch, int maxBatch, SequenceLayout layout, Span<(long Device, long Host, long Count)> pieces)
    {
        int d = options.DirectionCount, h = options.HiddenSize;
        if (layout == SequenceLayout.BatchMajor)
        {
            pieces[0] = (0, 0, (long)batch * d * h);
            return 1;
        }
        for (int dir = 0; dir < d; dir++)
            pieces[dir] = ((long)dir * maxBatch * h, (long)dir * batch * h, (long)batch * h);
        return d;
    }
}

using System.Numerics;

namespace LstmNative.Model;

/// <summary>The gate orders of the formats we exchange weights with.</summary>
public enum GateConvention
{
    /// <summary>The engine's own order (cuDNN/PyTorch): LSTM i, f, g, o; GRU r, z, n.</summary>
    Internal,

    /// <summary>ONNX: LSTM i, o, f, c; GRU z, r, h; peepholes i, o, f.</summary>
    Onnx,

    /// <summary>PyTorch nn.LSTM / nn.GRU (same as internal): LSTM i, f, g, o; GRU r, z, n.</summary>
    PyTorch,

    /// <summary>Keras: LSTM i, f, c, o; GRU z, r, h.</summary>
    Keras,
}

/// <summary>
/// The one place that knows how other engines order their gates. Every weight import/export goes through here,
/// because a wrong gate order is the classic silent RNN bug: the model runs, and is wrong.
/// </summary>
public static class GateOrder
{
    // For each internal gate block k, the block index it has in the external convention.
    private static readonly int[] LstmFromOnnx = [0, 2, 3, 1];   // i<-i, f<-f(2), g<-c(3), o<-o(1)
    private static readonly int[] GruFromOnnx = [1, 0, 2];       // r<-r(1), z<-z(0), n<-h(2)
    private static readonly int[] Identity3 = [0, 1, 2];
    private static readonly int[] Identity4 = [0, 1, 2, 3];
    private static readonly int[] PeepholeFromOnnx = [0, 2, 1];  // internal i, f, o <- ONNX i, o, f

    /// <summary>For each internal gate block, the index of the same gate in <paramref name="convention"/>.</summary>
    public static ReadOnlySpan<int> ExternalIndexOfInternalGate(RnnCellType cell, GateConvention convention) => (cell, convention) switch
    {
        (RnnCellType.Lstm, GateConvention.Onnx) => LstmFromOnnx,
        (RnnCellType.Gru, GateConvention.Onnx) => GruFromOnnx,
        (RnnCellType.Gru, GateConvention.Keras) => GruFromOnnx,
        (RnnCellType.Lstm, _) => Identity4,
        (RnnCellType.Gru, _) => Identity3,
        _ => throw new ArgumentOutOfRangeException(nameof(cell)),
    };

    /// <summary>For each internal peephole block (i, f, o), the index in <paramref name="convention"/>.</summary>
    public static ReadOnlySpan<int> ExternalIndexOfInternalPeephole(GateConvention convention) =>
        convention == GateConvention.Onnx ? PeepholeFromOnnx : [0, 1, 2];

    /// <summary>
    /// Copies a gate-blocked array (blocks of <paramref name="blockSize"/> elements each)
    /// from an external convention into internal order.
    /// </summary>
    public static void ToInternal<T>(ReadOnlySpan<T> external, Span<T> internalOrder, ReadOnlySpan<int> externalIndexOfInternal, int blockSize)
    {
        if (external.Length != internalOrder.Length || external.Length != externalIndexOfInternal.Length * blockSize)
            throw new ArgumentException("gate block sizes do not match");
        for (int k = 0; k < externalIndexOfInternal.Length; k++)
            external.Slice(externalIndexOfInternal[k] * blockSize, blockSize).CopyTo(internalOrder.Slice(k * blockSize, blockSize));
    }

    /// <summary>The inverse of <see cref="ToInternal{T}"/>.</summary>
    public static void FromInternal<T>(ReadOnlySpan<T> internalOrder, Span<T> external, ReadOnlySpan<int> externalIndexOfInternal, int blockSize)
    {
        if (external.Length != internalOrder.Length || external.Length != externalIndexOfInternal.Length * blockSize)
            throw new ArgumentException("gate block sizes do not match");
        for (int k = 0; k < externalIndexOfInternal.Length; k++)
            internalOrder.Slice(k * blockSize, blockSize).CopyTo(external.Slice(externalIndexOfInternal[k] * blockSize, blockSize));
    }

    /// <summary>
    /// Builds layer weights from ONNX tensors (all row-major, ONNX gate order):
    /// <c>W[D, G*H, I]</c>, <c>R[D, G*H, H]</c>, optional <c>B[D, 2*G*H]</c> (Wb then Rb), optional <c>P[D, 3H]</c>.
    /// </summary>
    public static LayerWeights<T> FromOnnx<T>(RnnLayerOptions options, ReadOnlySpan<T> w, ReadOnlySpan<T> r, ReadOnlySpan<T> b, ReadOnlySpan<T> p)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var weights = new LayerWeights<T>(options with { HasPeepholes = options.HasPeepholes || !p.IsEmpty });
        int g = options.GateCount, h = options.HiddenSize, i = options.InputSize;
        var order = ExternalIndexOfInternalGate(options.Cell, GateConvention.Onnx);
        for (int d = 0; d < weights.Directions.Length; d++)
        {
            var dw = weights.Directions[d];
            ToInternal(w.Slice(d * g * h * i, g * h * i), dw.W, order, h * i);
            ToInternal(r.Slice(d * g * h * h, g * h * h), dw.R, order, h * h);
            if (!b.IsEmpty)
            {
                ToInternal(b.Slice(d * 2 * g * h, g * h), dw.Bw, order, h);
                ToInternal(b.Slice(d * 2 * g * h + g * h, g * h), dw.Br, order, h);
            }
            if (!p.IsEmpty)
                ToInternal(p.Slice(d * 3 * h, 3 * h), dw.P, ExternalIndexOfInternalPeephole(GateConvention.Onnx), h);
        }
        return weights;
    }

    /// <summary>Writes layer weights as ONNX tensors; spans sized as in <see cref="FromOnnx{T}"/> (B and P may be empty to skip).</summary>
    public static void ToOnnx<T>(LayerWeights<T> weights, Span<T> w, Span<T> r, Span<T> b, Span<T> p)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(weights);
        var o = weights.Options;
        int g = o.GateCount, h = o.HiddenSize, i = o.InputSize;
        var order = ExternalIndexOfInternalGate(o.Cell, GateConvention.Onnx);
        for (int d = 0; d < weights.Directions.Length; d++)
        {
            var dw = weights.Directions[d];
            FromInternal(dw.W, w.Slice(d * g * h * i, g * h * i), order, h * i);
            FromInternal(dw.R, r.Slice(d * g * h * h, g * h * h), order, h * h);
            if (!b.IsEmpty)
            {
                FromInternal(dw.Bw, b.Slice(d * 2 * g * h, g * h), order, h);
                FromInternal(dw.Br, b.Slice(d * 2 * g * h + g * h, g * h), order, h);
            }
            if (!p.IsEmpty && dw.P is not null)
                FromInternal(dw.P, p.Slice(d * 3 * h, 3 * h), ExternalIndexOfInternalPeephole(GateConvention.Onnx), h);
        }
    }
}

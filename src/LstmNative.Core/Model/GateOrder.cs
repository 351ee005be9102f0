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

    /// <summary>
    /// Builds one direction of layer weights from a Keras LSTM/GRU cell (Keras gate order LSTM i, f, c, o; GRU z, r, h):
    /// <c>kernel[I, G*U]</c> and <c>recurrent_kernel[U, G*U]</c> (both transposed with respect to ONNX), and a bias that is
    /// empty (<c>use_bias=False</c>), <c>[G*U]</c> (one bias, taken as the input-side bias), or, for a GRU with
    /// <c>reset_after=True</c>, <c>[2, G*U]</c> (input-side bias row, then recurrent-side bias row).
    /// Keras has no peepholes; a Keras <c>Bidirectional</c> wrapper holds two separate layers, so the options must have one direction.
    /// Keras GRU <c>reset_after=True</c> corresponds to <see cref="RnnLayerOptions.LinearBeforeReset"/>; set it in <paramref name="options"/>.
    /// </summary>
    public static LayerWeights<T> FromKeras<T>(RnnLayerOptions options, ReadOnlySpan<T> kernel, ReadOnlySpan<T> recurrentKernel, ReadOnlySpan<T> bias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.DirectionCount != 1)
            throw new ArgumentException("a Keras recurrent layer has one direction; build each layer of a Bidirectional wrapper separately");
        if (options.HasPeepholes)
            throw new ArgumentException("Keras LSTM has no peepholes");
        int g = options.GateCount, h = options.HiddenSize, i = options.InputSize;
        if (kernel.Length != i * g * h)
            throw new ArgumentException($"kernel: expected [{i}, {g * h}] ({i * g * h} values), got {kernel.Length}");
        if (recurrentKernel.Length != h * g * h)
            throw new ArgumentException($"recurrent_kernel: expected [{h}, {g * h}] ({h * g * h} values), got {recurrentKernel.Length}");
        if (!(bias.IsEmpty || bias.Length == g * h || (bias.Length == 2 * g * h && options.Cell == RnnCellType.Gru)))
            throw new ArgumentException($"bias: expected [{g * h}]{(options.Cell == RnnCellType.Gru ? $" or [2, {g * h}]" : "")}, got {bias.Length} values");

        var weights = new LayerWeights<T>(options);
        var dw = weights.Directions[0];
        var order = ExternalIndexOfInternalGate(options.Cell, GateConvention.Keras);
        // Transpose to the [G*U, in] row-major layout (still Keras gate order), then reorder the gate blocks.
        var w = new T[g * h * i];
        for (int row = 0; row < i; row++)
            for (int col = 0; col < g * h; col++)
                w[col * i + row] = kernel[row * g * h + col];
        var r = new T[g * h * h];
        for (int row = 0; row < h; row++)
            for (int col = 0; col < g * h; col++)
                r[col * h + row] = recurrentKernel[row * g * h + col];
        ToInternal<T>(w, dw.W, order, h * i);
        ToInternal<T>(r, dw.R, order, h * h);
        if (!bias.IsEmpty)
            ToInternal(bias[..(g * h)], dw.Bw, order, h);
        if (bias.Length == 2 * g * h)
            ToInternal(bias[(g * h)..], dw.Br, order, h);
        return weights;
    }

    /// <summary>Writes layer weights as ONNX tensors; spans sized as in <see cref="FromOnnx{T}"/> (B and P may be empty to skip).</summary>
    public static void ToOnnx<T>(LayerWeights<T> weights, Span<T> w, Span<T> r, Span<T> b, Span<T> p)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Options.ProjectionSize > 0)
            throw new NotSupportedException($"ONNX LSTM has no projection: a layer with projection size {weights.Options.ProjectionSize} (proj_size) cannot be written as ONNX weights");
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

    /// <summary>
    /// Copies one direction of PyTorch <c>nn.LSTM</c>/<c>nn.GRU</c> parameters into <paramref name="target"/>:
    /// <c>weight_ih[G*H, I]</c>, <c>weight_hh[G*H, H]</c> (<c>[4H, P]</c> with a projection), <c>bias_ih</c> and
    /// <c>bias_hh[G*H]</c> (empty for <c>bias=False</c>, leaving zeros), and <c>weight_hr[P, H]</c> (empty without a projection).
    /// </summary>
    public static void FromPyTorch<T>(DirectionWeights<T> target, RnnCellType cell, ReadOnlySpan<T> weightIh, ReadOnlySpan<T> weightHh,
        ReadOnlySpan<T> biasIh, ReadOnlySpan<T> biasHh, ReadOnlySpan<T> weightHr)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(target);
        var order = ExternalIndexOfInternalGate(cell, GateConvention.PyTorch);
        int h = target.HiddenSize;
        ToInternal(weightIh, target.W, order, target.W.Length / order.Length);
        ToInternal(weightHh, target.R, order, target.R.Length / order.Length);
        if (!biasIh.IsEmpty)
            ToInternal(biasIh, target.Bw, order, h);
        if (!biasHh.IsEmpty)
            ToInternal(biasHh, target.Br, order, h);
        if (target.Whr is { } whr)
        {
            if (weightHr.Length != whr.Length)
                throw new ArgumentException($"weight_hr: expected {whr.Length} values, got {weightHr.Length}");
            weightHr.CopyTo(whr); // a plain [P, H] matrix: no gate blocks
        }
    }

    /// <summary>The inverse of <see cref="FromPyTorch{T}"/>: spans sized as there (biases and weight_hr may be empty to skip).</summary>
    public static void ToPyTorch<T>(DirectionWeights<T> source, RnnCellType cell, Span<T> weightIh, Span<T> weightHh,
        Span<T> biasIh, Span<T> biasHh, Span<T> weightHr)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(source);
        var order = ExternalIndexOfInternalGate(cell, GateConvention.PyTorch);
        int h = source.HiddenSize;
        FromInternal(source.W, weightIh, order, source.W.Length / order.Length);
        FromInternal(source.R, weightHh, order, source.R.Length / order.Length);
        if (!biasIh.IsEmpty)
            FromInternal(source.Bw, biasIh, order, h);
        if (!biasHh.IsEmpty)
            FromInternal(source.Br, biasHh, order, h);
        if (!weightHr.IsEmpty && source.Whr is { } whr)
            whr.CopyTo(weightHr);
    }
}

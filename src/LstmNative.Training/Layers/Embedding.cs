using System.Numerics;
using LstmNative.Training.Init;

namespace LstmNative.Training.Layers;

/// <summary>
/// A lookup table as PyTorch's <c>nn.Embedding</c>: an input of integer-valued indices <c>[...]</c> (held as
/// <typeparamref name="T"/>, since tensors here are floating point) gives <c>[..., D]</c>. Indices carry no gradient:
/// <see cref="Backward"/> returns zeros of the input's shape and scatters into the weight's gradient.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class Embedding<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private int[] _indices = [];
    private Tensor<T>? _output, _gradInput;
    private int[]? _inputShape;

    /// <summary>Creates the table with PyTorch's default init, N(0, 1); the padding row, if any, is zero and never trained.</summary>
    public Embedding(int numEmbeddings, int embeddingDim, Random random, int? paddingIndex = null)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (numEmbeddings < 1 || embeddingDim < 1)
            throw new ArgumentException($"Embedding needs positive sizes, got {numEmbeddings} x {embeddingDim}");
        if (paddingIndex is { } pad && (uint)pad >= (uint)numEmbeddings)
            throw new ArgumentException($"padding index {pad} is outside [0, {numEmbeddings})");
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        PaddingIndex = paddingIndex;
        Weight = RegisterParameter("weight", new Tensor<T>(numEmbeddings, embeddingDim));
        Initializers.Normal<T>(Weight.Value.Data, 1.0, random);
        if (paddingIndex is { } p)
            Weight.Value.Span.Slice(p * embeddingDim, embeddingDim).Clear();
    }

    /// <summary>Rows of the table.</summary>
    public int NumEmbeddings { get; }

    /// <summary>D.</summary>
    public int EmbeddingDim { get; }

    /// <summary>The index whose row stays zero and gets no gradient, or null.</summary>
    public int? PaddingIndex { get; }

    /// <summary>The table <c>[N, D]</c>.</summary>
    public Parameter<T> Weight { get; }

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int d = EmbeddingDim;
        Span<int> shape = stackalloc int[input.Rank + 1];
        input.Shape.CopyTo(shape);
        shape[^1] = d;
        var output = _output = Tensor<T>.Reuse(_output, shape);
        if (_indices.Length != input.Length)
            _indices = new int[input.Length];
        if (_inputShape is null || !input.HasShape(_inputShape))
            _inputShape = input.Shape.ToArray();
        ReadOnlySpan<T> x = input.Data, w = Weight.Value.Data;
        Span<T> y = output.Data;
        for (int i = 0; i < x.Length; i++)
        {
            T v = x[i];
            if (!T.IsInteger(v) || v < T.Zero || v >= T.CreateChecked(NumEmbeddings))
                throw new ArgumentException($"embedding index {v} at position {i} is not an integer in [0, {NumEmbeddings})");
            int index = _indices[i] = int.CreateChecked(v);
            w.Slice(index * d, d).CopyTo(y.Slice(i * d, d));
        }
        return output;
    }

    /// <inheritdoc/>
    public override Tensor<T> Backward(Tensor<T> gradOutput)
    {
        var output = RequireForward(_output);
        RequireSameShape(gradOutput, output);
        int d = EmbeddingDim;
        ReadOnlySpan<T> dy = gradOutput.Data;
        Span<T> dw = Weight.Grad.Data;
        for (int i = 0; i < _indices.Length; i++)
        {
            int index = _indices[i];
            if (index == PaddingIndex)
                continue;
            var src = dy.Slice(i * d, d);
            var dst = dw.Slice(index * d, d);
            for (int j = 0; j < d; j++)
                dst[j] += src[j];
        }
        var gradInput = _gradInput = Tensor<T>.Reuse(_gradInput, _inputShape);
        gradInput.Clear();
        return gradInput;
    }
}

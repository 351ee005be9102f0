using System.Numerics;

namespace LstmNative.Training.Layers;

/// <summary>
/// Swaps two axes (a copy, row-major): e.g. axes 1 and 2 turn a recurrent layer's <c>[B, T, F]</c> into the
/// <c>[B, F, T]</c> that <see cref="Conv1d{T}"/> and <see cref="MaxPool1d{T}"/> take, and back.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class Transpose<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _axis0, _axis1;
    private Tensor<T>? _output, _gradInput;
    private int[]? _inputShape;

    /// <summary>Creates the layer swapping <paramref name="axis0"/> and <paramref name="axis1"/> (batch axis is 0).</summary>
    public Transpose(int axis0 = 1, int axis1 = 2)
    {
        if (axis0 < 0 || axis1 < 0 || axis0 == axis1)
            throw new ArgumentException($"Transpose needs two distinct non-negative axes, got {axis0} and {axis1}");
        (_axis0, _axis1) = axis0 < axis1 ? (axis0, axis1) : (axis1, axis0);
    }

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank <= _axis1)
            throw new ArgumentException($"Transpose({_axis0}, {_axis1}) needs rank > {_axis1}, got {input}");
        if (_inputShape is null || !input.HasShape(_inputShape))
            _inputShape = input.Shape.ToArray();
        Span<int> shape = stackalloc int[input.Rank];
        input.Shape.CopyTo(shape);
        (shape[_axis0], shape[_axis1]) = (shape[_axis1], shape[_axis0]);
        var output = _output = Tensor<T>.Reuse(_output, shape);
        Swap(input.Data, output.Data, input.Shape);
        return output;
    }

    /// <inheritdoc/>
    public override Tensor<T> Backward(Tensor<T> gradOutput)
    {
        var output = RequireForward(_output);
        RequireSameShape(gradOutput, output);
        var gradInput = _gradInput = Tensor<T>.Reuse(_gradInput, _inputShape);
        Swap(gradOutput.Data, gradInput.Data, output.Shape);
        return gradInput;
    }

    // Views the source as [A, d0, M, d1, Z] (axes before, first axis, between, second axis, after)
    // and writes [A, d1, M, d0, Z]; the same routine is its own inverse given the swapped shape.
    private void Swap(ReadOnlySpan<T> src, Span<T> dst, ReadOnlySpan<int> srcShape)
    {
        int a = 1, m = 1, z = 1, d0 = srcShape[_axis0], d1 = srcShape[_axis1];
        for (int i = 0; i < _axis0; i++)
            a *= srcShape[i];
        for (int i = _axis0 + 1; i < _axis1; i++)
            m *= srcShape[i];
        for (int i = _axis1 + 1; i < srcShape.Length; i++)
            z *= srcShape[i];
        for (int ia = 0; ia < a; ia++)
            for (int i = 0; i < d0; i++)
                for (int im = 0; im < m; im++)
                    for (int j = 0; j < d1; j++)
                    {
                        int from = (((ia * d0 + i) * m + im) * d1 + j) * z;
                        int to = (((ia * d1 + j) * m + im) * d0 + i) * z;
                        src.Slice(from, z).CopyTo(dst.Slice(to, z));
                    }
    }
}

using System.Numerics;

namespace LstmNative.Training.Layers;

/// <summary>
/// Keeps the last time step of a batch-first sequence: <c>[B, T, F]</c> to <c>[B, F]</c>. The usual bridge from a
/// recurrent stack to a forecasting head; the gradient goes to step T-1 and the other steps get zero.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class LastTimeStep<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _input, _output, _gradInput;

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 3 || input.Dim(1) < 1)
            throw new ArgumentException($"LastTimeStep expects [B, T, F] with T >= 1, got {input}");
        int b = input.Dim(0), t = input.Dim(1), f = input.Dim(2);
        var output = _output = Tensor<T>.Reuse(_output, [b, f]);
        _input = input;
        for (int n = 0; n < b; n++)
            input.Data.AsSpan(((n * t) + t - 1) * f, f).CopyTo(output.Data.AsSpan(n * f, f));
        return output;
    }

    /// <inheritdoc/>
    public override Tensor<T> Backward(Tensor<T> gradOutput)
    {
        var input = RequireForward(_input);
        RequireSameShape(gradOutput, _output!);
        var gradInput = _gradInput = Tensor<T>.Reuse(_gradInput, input.Shape);
        gradInput.Clear();
        int b = input.Dim(0), t = input.Dim(1), f = input.Dim(2);
        for (int n = 0; n < b; n++)
            gradOutput.Data.AsSpan(n * f, f).CopyTo(gradInput.Data.AsSpan(((n * t) + t - 1) * f, f));
        return gradInput;
    }
}

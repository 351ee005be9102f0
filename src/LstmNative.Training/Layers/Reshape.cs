using System.Numerics;

namespace LstmNative.Training.Layers;

/// <summary>
/// Reshapes each sample, keeping the batch axis: <c>[B, ...]</c> to <c>[B, shape...]</c>, one entry of the shape may
/// be -1 (inferred). The output is a view over the input's data, and the input gradient a view over the output
/// gradient's data: nothing is copied. Example: a head's <c>[B, horizon*K]</c> to <c>[B, horizon, K]</c>.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public class Reshape<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int[] _sampleShape;
    private Tensor<T>? _output, _gradInput;
    private int[]? _inputShape;

    /// <summary>Creates the layer for the per-sample shape (batch axis excluded).</summary>
    public Reshape(params int[] sampleShape)
    {
        ArgumentNullException.ThrowIfNull(sampleShape);
        if (sampleShape.Length == 0 || sampleShape.Count(d => d == -1) > 1 || sampleShape.Any(d => d < -1 || d == 0))
            throw new ArgumentException($"invalid reshape target {Tensor<T>.FormatShape(sampleShape)}");
        _sampleShape = (int[])sampleShape.Clone();
    }

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank < 1)
            throw new ArgumentException("Reshape needs a batch axis");
        int batch = input.Dim(0), perSample = batch == 0 ? 0 : input.Length / batch;
        Span<int> shape = stackalloc int[_sampleShape.Length + 1];
        shape[0] = batch;
        int known = 1, inferAt = -1;
        for (int i = 0; i < _sampleShape.Length; i++)
        {
            shape[i + 1] = _sampleShape[i];
            if (_sampleShape[i] == -1)
                inferAt = i + 1;
            else
                known *= _sampleShape[i];
        }
        if (inferAt >= 0)
            shape[inferAt] = known == 0 ? 0 : perSample / known;
        int count = 1;
        for (int i = 1; i < shape.Length; i++)
            count *= shape[i];
        if (count != perSample)
            throw new ArgumentException($"cannot reshape {input} to [B, {string.Join(", ", _sampleShape)}]");
        if (_inputShape is null || !input.HasShape(_inputShape))
            _inputShape = input.Shape.ToArray();
        _output = View(_output, input.Data, shape);
        return _output;
    }

    /// <inheritdoc/>
    public override Tensor<T> Backward(Tensor<T> gradOutput)
    {
        var output = RequireForward(_output);
        RequireSameShape(gradOutput, output);
        _gradInput = View(_gradInput, gradOutput.Data, _inputShape);
        return _gradInput;
    }

    // Reuses the last view object when it already wraps the same array with the same shape.
    private static Tensor<T> View(Tensor<T>? last, T[] data, ReadOnlySpan<int> shape) =>
        last is not null && ReferenceEquals(last.Data, data) && last.HasShape(shape) ? last : new Tensor<T>(data, shape.ToArray());
}

/// <summary>Flattens each sample: <c>[B, ...]</c> to <c>[B, prod(...)]</c>, as a view.</summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class Flatten<T> : Reshape<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the layer.</summary>
    public Flatten()
        : base(-1)
    {
    }
}

using System.Numerics;

namespace LstmNative.Training.Layers;

/// <summary>
/// Inverted dropout: in training each element is zeroed with probability <see cref="P"/> and the survivors are
/// scaled by 1/(1-P), so evaluation is the identity. The mask comes from the module's own seeded generator.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class Dropout<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Random _random;
    private Tensor<T>? _mask, _output, _gradInput;
    private bool _identity;

    /// <summary>Creates the layer; the mask stream is fixed by <paramref name="seed"/>.</summary>
    public Dropout(double p, int seed)
    {
        if (!(p >= 0 && p < 1))
            throw new ArgumentException($"dropout probability must be in [0, 1), got {p}");
        P = p;
        _random = new Random(seed);
    }

    /// <summary>Probability of zeroing an element.</summary>
    public double P { get; }

    /// <summary>Restarts the mask stream from <paramref name="seed"/> (replays the same masks).</summary>
    public void Reseed(int seed) => _random = new Random(seed);

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _identity = !IsTraining || P == 0;
        if (_identity)
            return input;
        var mask = _mask = Tensor<T>.Reuse(_mask, input.Shape);
        var output = _output = Tensor<T>.Reuse(_output, input.Shape);
        T scale = T.CreateChecked(1.0 / (1.0 - P));
        Span<T> m = mask.Data, y = output.Data;
        ReadOnlySpan<T> x = input.Data;
        for (int i = 0; i < m.Length; i++)
        {
            m[i] = _random.NextDouble() < P ? T.Zero : scale;
            y[i] = x[i] * m[i];
        }
        return output;
    }

    /// <inheritdoc/>
    public override Tensor<T> Backward(Tensor<T> gradOutput)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        if (_identity)
            return gradOutput;
        var mask = RequireForward(_mask);
        RequireSameShape(gradOutput, mask);
        var gradInput = _gradInput = Tensor<T>.Reuse(_gradInput, mask.Shape);
        ReadOnlySpan<T> m = mask.Data, dy = gradOutput.Data;
        Span<T> dx = gradInput.Data;
        for (int i = 0; i < dx.Length; i++)
            dx[i] = dy[i] * m[i];
        return gradInput;
    }
}

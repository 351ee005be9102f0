using System.Numerics;

namespace LstmNative.Training.Layers;

/// <summary>
/// Layer normalization over the last axis (size <see cref="NormalizedSize"/>) of any input, as PyTorch's
/// <c>nn.LayerNorm(normalized_shape=[F])</c>: each row is normalized by its own mean and biased variance.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class LayerNorm<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _xHat, _output, _gradInput;
    private T[] _invStd = [];

    /// <summary>Creates the layer with weight 1 and bias 0.</summary>
    public LayerNorm(int normalizedSize, double eps = 1e-5, bool elementwiseAffine = true)
    {
        if (normalizedSize < 1)
            throw new ArgumentException($"LayerNorm needs a positive size, got {normalizedSize}");
        NormalizedSize = normalizedSize;
        Eps = eps;
        if (elementwiseAffine)
        {
            Weight = RegisterParameter("weight", new Tensor<T>(normalizedSize));
            Weight.Value.Span.Fill(T.One);
            Bias = RegisterParameter("bias", new Tensor<T>(normalizedSize));
        }
    }

    /// <summary>Size of the normalized last axis.</summary>
    public int NormalizedSize { get; }

    /// <summary>Variance epsilon.</summary>
    public double Eps { get; }

    /// <summary>Scale <c>[F]</c>, or null.</summary>
    public Parameter<T>? Weight { get; }

    /// <summary>Shift <c>[F]</c>, or null.</summary>
    public Parameter<T>? Bias { get; }

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int f = NormalizedSize;
        if (input.Rank < 1 || input.Dim(-1) != f)
            throw new ArgumentException($"LayerNorm expects [..., {f}], got {input}");
        int rows = input.Length / f;
        var xHat = _xHat = Tensor<T>.Reuse(_xHat, input.Shape);
        var output = _output = Tensor<T>.Reuse(_output, input.Shape);
        if (_invStd.Length != rows)
            _invStd = new T[rows];
        T count = T.CreateChecked(f), eps = T.CreateChecked(Eps);
        ReadOnlySpan<T> x = input.Data;
        Span<T> xh = xHat.Data, y = output.Data;
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * f, f);
            T sum = T.Zero;
            foreach (var v in xr)
                sum += v;
            T mean = sum / count, sq = T.Zero;
            foreach (var v in xr)
                sq += (v - mean) * (v - mean);
            T inv = _invStd[r] = T.One / T.Sqrt(sq / count + eps);
            for (int i = 0; i < f; i++)
            {
                T h = xh[r * f + i] = (xr[i] - mean) * inv;
                y[r * f + i] = Weight is null ? h : Weight.Value.Data[i] * h + Bias!.Value.Data[i];
            }
        }
        return output;
    }

    /// <inheritdoc/>
    public override Tensor<T> Backward(Tensor<T> gradOutput)
    {
        var xHat = RequireForward(_xHat);
        RequireSameShape(gradOutput, xHat);
        var gradInput = _gradInput = Tensor<T>.Reuse(_gradInput, xHat.Shape);
        int f = NormalizedSize, rows = xHat.Length / f;
        T count = T.CreateChecked(f);
        ReadOnlySpan<T> dy = gradOutput.Data, xh = xHat.Data;
        Span<T> dx = gradInput.Data;
        for (int r = 0; r < rows; r++)
        {
            // g = dL/dxhat; dx = invStd * (g - mean(g) - xhat * mean(g * xhat)).
            T sumG = T.Zero, sumGX = T.Zero;
            for (int i = 0; i < f; i++)
            {
                int at = r * f + i;
                T g = Weight is null ? dy[at] : dy[at] * Weight.Value.Data[i];
                sumG += g;
                sumGX += g * xh[at];
                if (Weight is not null)
                {
                    Weight.Grad.Data[i] += dy[at] * xh[at];
                    Bias!.Grad.Data[i] += dy[at];
                }
            }
            for (int i = 0; i < f; i++)
            {
                int at = r * f + i;
                T g = Weight is null ? dy[at] : dy[at] * Weight.Value.Data[i];
                dx[at] = _invStd[r] * (g - (sumG + xh[at] * sumGX) / count);
            }
        }
        return gradInput;
    }
}

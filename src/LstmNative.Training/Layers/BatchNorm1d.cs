using System.Numerics;

namespace LstmNative.Training.Layers;

/// <summary>
/// Batch normalization per feature, as PyTorch's <c>nn.BatchNorm1d</c>: input <c>[B, F]</c> or <c>[B, F, L]</c>
/// (statistics over B and L). With <c>featuresLast</c> it takes the recurrent layers' <c>[B, T, F]</c> instead
/// (statistics over B and T), so it sits between LSTM layers without transposes.
/// Training normalizes with the biased batch variance and updates the running variance with the unbiased one.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class BatchNorm1d<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _mean, _invStd;
    private Tensor<T>? _xHat, _output, _gradInput;
    private bool _usedBatchStats;
    private int _outer, _inner;

    /// <summary>Creates the layer with weight 1, bias 0, running mean 0 and running variance 1.</summary>
    /// <param name="numFeatures">F.</param>
    /// <param name="eps">Added to the variance.</param>
    /// <param name="momentum">Running-statistics update: <c>running = (1 - momentum) running + momentum batch</c>.</param>
    /// <param name="affine">Whether to learn a per-feature scale and shift.</param>
    /// <param name="featuresLast">Take <c>[B, T, F]</c> (features on the last axis) instead of <c>[B, F, L]</c>.</param>
    public BatchNorm1d(int numFeatures, double eps = 1e-5, double momentum = 0.1, bool affine = true, bool featuresLast = false)
    {
        if (numFeatures < 1)
            throw new ArgumentException($"BatchNorm1d needs a positive feature count, got {numFeatures}");
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        FeaturesLast = featuresLast;
        if (affine)
        {
            Weight = RegisterParameter("weight", new Tensor<T>(numFeatures));
            Weight.Value.Span.Fill(T.One);
            Bias = RegisterParameter("bias", new Tensor<T>(numFeatures));
        }
        RunningMean = RegisterBuffer("running_mean", new Tensor<T>(numFeatures));
        RunningVar = RegisterBuffer("running_var", new Tensor<T>(numFeatures));
        RunningVar.Span.Fill(T.One);
        _mean = new T[numFeatures];
        _invStd = new T[numFeatures];
    }

    /// <summary>F.</summary>
    public int NumFeatures { get; }

    /// <summary>Variance epsilon.</summary>
    public double Eps { get; }

    /// <summary>Running-statistics momentum.</summary>
    public double Momentum { get; }

    /// <summary>Whether the input is <c>[B, T, F]</c>.</summary>
    public bool FeaturesLast { get; }

    /// <summary>Scale <c>[F]</c> (gamma), or null when not affine.</summary>
    public Parameter<T>? Weight { get; }

    /// <summary>Shift <c>[F]</c> (beta), or null when not affine.</summary>
    public Parameter<T>? Bias { get; }

    /// <summary>Running mean <c>[F]</c>, used in evaluation mode.</summary>
    public Tensor<T> RunningMean { get; }

    /// <summary>Running (unbiased) variance <c>[F]</c>, used in evaluation mode.</summary>
    public Tensor<T> RunningVar { get; }

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        (_outer, _inner) = Layout(input);
        int f = NumFeatures, inner = _inner, outer = _outer, n = outer * inner;
        var xHat = _xHat = Tensor<T>.Reuse(_xHat, input.Shape);
        var output = _output = Tensor<T>.Reuse(_output, input.Shape);
        _usedBatchStats = IsTraining;
        ReadOnlySpan<T> x = input.Data;
        Span<T> xh = xHat.Data, y = output.Data;

        if (_usedBatchStats)
        {
            if (n < 2)
                throw new ArgumentException($"BatchNorm1d in training needs more than one value per feature, got {input}");
            T count = T.CreateChecked(n), eps = T.CreateChecked(Eps), m = T.CreateChecked(Momentum);
            for (int c = 0; c < f; c++)
            {
                T sum = T.Zero;
                for (int o = 0; o < outer; o++)
                    for (int l = 0, at = (o * f + c) * inner; l < inner; l++)
                        sum += x[at + l];
                T mean = sum / count, sq = T.Zero;
                for (int o = 0; o < outer; o++)
                    for (int l = 0, at = (o * f + c) * inner; l < inner; l++)
                    {
                        T d = x[at + l] - mean;
                        sq += d * d;
                    }
                _mean[c] = mean;
                _invStd[c] = T.One / T.Sqrt(sq / count + eps);
                RunningMean.Data[c] = (T.One - m) * RunningMean.Data[c] + m * mean;
                RunningVar.Data[c] = (T.One - m) * RunningVar.Data[c] + m * sq / (count - T.One);
            }
        }
        else
        {
            T eps = T.CreateChecked(Eps);
            for (int c = 0; c < f; c++)
            {
                _mean[c] = RunningMean.Data[c];
                _invStd[c] = T.One / T.Sqrt(RunningVar.Data[c] + eps);
            }
        }

        for (int o = 0; o < outer; o++)
            for (int c = 0; c < f; c++)
            {
                T gamma = Weight is null ? T.One : Weight.Value.Data[c], beta = Bias is null ? T.Zero : Bias.Value.Data[c];
                for (int l = 0, at = (o * f + c) * inner; l < inner; l++)
                {
                    xh[at + l] = (x[at + l] - _mean[c]) * _invStd[c];
                    y[at + l] = gamma * xh[at + l] + beta;
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
        int f = NumFeatures, inner = _inner, outer = _outer;
        T count = T.CreateChecked(outer * inner);
        ReadOnlySpan<T> dy = gradOutput.Data, xh = xHat.Data;
        Span<T> dx = gradInput.Data;
        for (int c = 0; c < f; c++)
        {
            T sumDy = T.Zero, sumDyXHat = T.Zero;
            for (int o = 0; o < outer; o++)
                for (int l = 0, at = (o * f + c) * inner; l < inner; l++)
                {
                    sumDy += dy[at + l];
                    sumDyXHat += dy[at + l] * xh[at + l];
                }
            if (Weight is not null)
                Weight.Grad.Data[c] += sumDyXHat;
            if (Bias is not null)
                Bias.Grad.Data[c] += sumDy;

            T scale = (Weight is null ? T.One : Weight.Value.Data[c]) * _invStd[c];
            for (int o = 0; o < outer; o++)
                for (int l = 0, at = (o * f + c) * inner; l < inner; l++)
                {
                    // With batch statistics the mean and variance depend on x too: the two extra terms.
                    dx[at + l] = _usedBatchStats
                        ? scale * (dy[at + l] - (sumDy + xh[at + l] * sumDyXHat) / count)
                        : scale * dy[at + l];
                }
        }
        return gradInput;
    }

    private (int Outer, int Inner) Layout(Tensor<T> input)
    {
        bool ok = FeaturesLast
            ? input.Rank is 2 or 3 && input.Dim(-1) == NumFeatures
            : input.Rank is 2 or 3 && input.Dim(1) == NumFeatures;
        if (!ok)
            throw new ArgumentException(FeaturesLast
                ? $"BatchNorm1d (features last) expects [B, {NumFeatures}] or [B, T, {NumFeatures}], got {input}"
                : $"BatchNorm1d expects [B, {NumFeatures}] or [B, {NumFeatures}, L], got {input}");
        if (input.Rank == 2)
            return (input.Dim(0), 1);
        return FeaturesLast ? (input.Dim(0) * input.Dim(1), 1) : (input.Dim(0), input.Dim(2));
    }
}

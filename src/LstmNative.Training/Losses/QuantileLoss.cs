using System.Numerics;

namespace LstmNative.Training.Losses;

/// <summary>
/// The pinball (quantile) loss of a model with one output per quantile: for quantile τ and residual
/// <c>u = target − prediction</c>, <c>max(τ·u, (τ − 1)·u)</c>. Minimising it makes each output the τ-quantile of the
/// target given the input, so a 10 % and a 90 % head bound an 80 % prediction interval (Koenker and Bassett, 1978).
/// The prediction holds <see cref="Quantiles"/> values per target, quantiles innermost (<c>[..., Q]</c> against
/// <c>[...]</c>, e.g. <c>[B, H·Q]</c> against <c>[B, H]</c>). The derivative at a zero residual is 0, as <c>L1Loss</c>'s.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class QuantileLoss<T> : ILoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _tau;
    private Tensor<T>? _prediction, _target, _grad;

    /// <summary>Creates the loss for <paramref name="quantiles"/> (each in (0, 1), e.g. 0.1, 0.5, 0.9).</summary>
    public QuantileLoss(IReadOnlyList<double> quantiles, Reduction reduction = Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(quantiles);
        if (quantiles.Count == 0)
            throw new ArgumentException("at least one quantile is needed");
        foreach (double q in quantiles)
            if (!(q > 0 && q < 1))
                throw new ArgumentOutOfRangeException(nameof(quantiles), $"quantiles must lie in (0, 1), got {q}");
        Quantiles = [.. quantiles];
        _tau = quantiles.Select(T.CreateChecked).ToArray();
        Reduction = reduction;
    }

    /// <summary>The quantiles, in the order of the prediction's innermost values.</summary>
    public IReadOnlyList<double> Quantiles { get; }

    /// <summary>Mean (over every prediction value) or sum.</summary>
    public Reduction Reduction { get; }

    /// <inheritdoc/>
    public T Forward(Tensor<T> prediction, Tensor<T> target)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        int q = _tau.Length;
        if (target.Length == 0 || prediction.Length != (long)target.Length * q)
            throw new ArgumentException($"prediction {prediction} must hold {q} values (one per quantile) for each of the {target.Length} targets in {target}");
        _prediction = prediction;
        _target = target;
        ReadOnlySpan<T> p = prediction.Data, t = target.Data;
        T sum = T.Zero;
        for (int i = 0; i < p.Length; i++)
        {
            T u = t[i / q] - p[i], tau = _tau[i % q];
            sum += u >= T.Zero ? tau * u : (tau - T.One) * u;
        }
        return Reduction == Reduction.Mean ? sum / T.CreateChecked(p.Length) : sum;
    }

    /// <inheritdoc/>
    public Tensor<T> Backward()
    {
        var prediction = _prediction ?? throw new InvalidOperationException("Backward was called before Forward");
        var grad = _grad = Tensor<T>.Reuse(_grad, prediction.Shape);
        ReadOnlySpan<T> p = prediction.Data, t = _target!.Data;
        Span<T> g = grad.Data;
        int q = _tau.Length;
        T scale = Reduction == Reduction.Mean ? T.One / T.CreateChecked(p.Length) : T.One;
        for (int i = 0; i < p.Length; i++)
        {
            T u = t[i / q] - p[i], tau = _tau[i % q];
            g[i] = u > T.Zero ? -tau * scale : u < T.Zero ? (T.One - tau) * scale : T.Zero;
        }
        return grad;
    }

    /// <summary>
    /// Share of <paramref name="actual"/> values inside [lower, upper] and the mean width of the intervals: how a
    /// prediction interval is judged (coverage near its nominal rate, then as narrow as possible).
    /// </summary>
    public static (double Coverage, double MeanWidth) Interval(ReadOnlySpan<double> lower, ReadOnlySpan<double> upper, ReadOnlySpan<double> actual)
    {
        if (lower.Length != actual.Length || upper.Length != actual.Length || actual.Length == 0)
            throw new ArgumentException("lower, upper and actual must be non-empty and of one length");
        int inside = 0;
        double width = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            if (actual[i] >= lower[i] && actual[i] <= upper[i])
                inside++;
            width += upper[i] - lower[i];
        }
        return ((double)inside / actual.Length, width / actual.Length);
    }
}

using System.Numerics;

namespace LstmNative.Training.Losses;

/// <summary>
/// A loss that is a function of the residual <c>d = prediction - target</c> per element, reduced by mean or sum.
/// Prediction and target must hold the same number of elements (shapes may differ, e.g. <c>[B, H*K]</c> vs <c>[B, H, K]</c>).
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public abstract class PointwiseLoss<T> : ILoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _prediction, _target, _grad;

    /// <summary>Creates the loss.</summary>
    protected PointwiseLoss(Reduction reduction) => Reduction = reduction;

    /// <summary>Mean or sum.</summary>
    public Reduction Reduction { get; }

    /// <inheritdoc/>
    public T Forward(Tensor<T> prediction, Tensor<T> target)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        if (prediction.Length != target.Length)
            throw new ArgumentException($"prediction {prediction} and target {target} hold different numbers of elements");
        if (prediction.Length == 0)
            throw new ArgumentException("the loss of an empty prediction is undefined");
        _prediction = prediction;
        _target = target;
        ReadOnlySpan<T> p = prediction.Data, t = target.Data;
        T sum = T.Zero;
        for (int i = 0; i < p.Length; i++)
            sum += Value(p[i] - t[i]);
        return Reduction == Reduction.Mean ? sum / T.CreateChecked(p.Length) : sum;
    }

    /// <inheritdoc/>
    public Tensor<T> Backward()
    {
        var prediction = _prediction ?? throw new InvalidOperationException("Backward was called before Forward");
        var grad = _grad = Tensor<T>.Reuse(_grad, prediction.Shape);
        ReadOnlySpan<T> p = prediction.Data, t = _target!.Data;
        Span<T> g = grad.Data;
        T scale = Reduction == Reduction.Mean ? T.One / T.CreateChecked(p.Length) : T.One;
        for (int i = 0; i < p.Length; i++)
            g[i] = scale * Derivative(p[i] - t[i]);
        return grad;
    }

    /// <summary>The per-element loss of residual <paramref name="d"/>.</summary>
    protected abstract T Value(T d);

    /// <summary>Its derivative with respect to the prediction.</summary>
    protected abstract T Derivative(T d);
}

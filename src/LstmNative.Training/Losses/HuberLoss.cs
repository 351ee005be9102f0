using System.Numerics;

namespace LstmNative.Training.Losses;

/// <summary>
/// Huber loss as PyTorch's <c>nn.HuberLoss(delta)</c>: <c>0.5 d^2</c> when <c>|d| &lt;= delta</c>, else
/// <c>delta (|d| - 0.5 delta)</c>; quadratic near zero, linear (outlier-robust) beyond delta.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class HuberLoss<T> : PointwiseLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _delta;

    /// <summary>Creates the loss; <paramref name="delta"/> must be positive.</summary>
    public HuberLoss(double delta = 1.0, Reduction reduction = Reduction.Mean)
        : base(reduction)
    {
        if (!(delta > 0))
            throw new ArgumentException($"Huber delta must be positive, got {delta}");
        Delta = delta;
        _delta = T.CreateChecked(delta);
    }

    /// <summary>The threshold between the quadratic and linear parts.</summary>
    public double Delta { get; }

    /// <inheritdoc/>
    protected override T Value(T d)
    {
        T a = T.Abs(d), half = T.CreateChecked(0.5);
        return a <= _delta ? half * d * d : _delta * (a - half * _delta);
    }

    /// <inheritdoc/>
    protected override T Derivative(T d) => T.Clamp(d, -_delta, _delta);
}

using System.Numerics;

namespace LstmNative.Training.Losses;

/// <summary>Mean absolute error: <c>|d|</c> per element; the derivative at 0 is 0, like PyTorch's sign.</summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class L1Loss<T>(Reduction reduction = Reduction.Mean) : PointwiseLoss<T>(reduction)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    protected override T Value(T d) => T.Abs(d);

    /// <inheritdoc/>
    protected override T Derivative(T d) => d > T.Zero ? T.One : d < T.Zero ? -T.One : T.Zero;
}

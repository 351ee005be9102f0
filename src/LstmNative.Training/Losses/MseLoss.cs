using System.Numerics;

namespace LstmNative.Training.Losses;

/// <summary>Mean squared error: <c>d^2</c> per element.</summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class MseLoss<T>(Reduction reduction = Reduction.Mean) : PointwiseLoss<T>(reduction)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    protected override T Value(T d) => d * d;

    /// <inheritdoc/>
    protected override T Derivative(T d) => d + d;
}

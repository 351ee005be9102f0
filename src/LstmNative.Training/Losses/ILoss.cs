using System.Numerics;

namespace LstmNative.Training.Losses;

/// <summary>How per-element losses are combined into one scalar.</summary>
public enum Reduction
{
    /// <summary>Average over elements (samples, for cross-entropy).</summary>
    Mean,

    /// <summary>Sum over elements.</summary>
    Sum,
}

/// <summary>A scalar loss with its gradient with respect to the prediction.</summary>
/// <typeparam name="T">float or double.</typeparam>
public interface ILoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The loss of <paramref name="prediction"/> against <paramref name="target"/>; caches what <see cref="Backward"/> needs.</summary>
    T Forward(Tensor<T> prediction, Tensor<T> target);

    /// <summary>dLoss/dPrediction for the last <see cref="Forward"/>, in a buffer the loss owns (valid until its next call).</summary>
    Tensor<T> Backward();
}

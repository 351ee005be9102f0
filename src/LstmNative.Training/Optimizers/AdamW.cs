using System.Numerics;

namespace LstmNative.Training.Optimizers;

/// <summary>
/// AdamW as PyTorch's <c>torch.optim.AdamW</c>: decoupled weight decay <c>p *= 1 - lr wd</c> before the Adam update,
/// which then uses the raw gradient (no L2 term).
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class AdamW<T> : Adam<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the optimizer (PyTorch's defaults, weight decay 0.01).</summary>
    public AdamW(IEnumerable<Parameter<T>> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2)
        : base(parameters, learningRate, beta1, beta2, eps, weightDecay, decoupled: true)
    {
    }
}

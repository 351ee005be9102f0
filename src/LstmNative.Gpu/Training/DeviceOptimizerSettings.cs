
namespace LstmNative.Gpu.Training;

/// <summary>
/// The optimizer the fused device step applies, with PyTorch's (and LstmNative.Training's) semantics and defaults.
/// </summary>
/// <param name="Kind">SGD, Adam or AdamW.</param>
/// <param name="LearningRate">Initial learning rate (change it between steps with <see cref="GpuRnnTrainer.LearningRate"/>).</param>
public sealed record DeviceOptimizerSettings(DeviceOptimizerKind Kind, double LearningRate)
{
    /// <summary>Adam's first-moment decay.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>Adam's second-moment decay.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>Adam's denominator term.</summary>
    public double Eps { get; init; } = 1e-8;

    /// <summary>L2 penalty (SGD, Adam) or decoupled decay (AdamW).</summary>
    public double WeightDecay { get; init; }

    /// <summary>SGD momentum (0: none).</summary>
    public double Momentum { get; init; }

    /// <summary>SGD dampening.</summary>
    public double Dampening { get; init; }

    /// <summary>SGD Nesterov momentum.</summary>
    public bool Nesterov { get; init; }

    /// <summary>PyTorch's SGD.</summary>
    public static DeviceOptimizerSettings Sgd(double learningRate, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false) =>
        new(DeviceOptimizerKind.Sgd, learningRate) { Momentum = momentum, Dampening = dampening, WeightDecay = weightDecay, Nesterov = nesterov };

    /// <summary>PyTorch's Adam.</summary>
    public static DeviceOptimizerSettings Adam(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0) =>
        new(DeviceOptimizerKind.Adam, learningRate) { Beta1 = beta1, Beta2 = beta2, Eps = eps, WeightDecay = weightDecay };

    /// <summary>PyTorch's AdamW (weight decay 0.01 by default).</summary>
    public static DeviceOptimizerSettings AdamW(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2) =>
        new(DeviceOptimizerKind.AdamW, learningRate) { Beta1 = beta1, Beta2 = beta2, Eps = eps, WeightDecay = weightDecay };

    /// <summary>Throws <see cref="ArgumentException"/> with the CPU optimizers' messages when a setting is invalid.</summary>
    public void Validate()
    {
        if (!(LearningRate >= 0 && double.IsFinite(LearningRate)))
            throw new ArgumentException($"learning rate must be finite and non-negative, got {LearningRate}");
        if (Kind == DeviceOptimizerKind.Sgd)
        {
            if (Momentum < 0 || WeightDecay < 0 || Dampening < 0)
                throw new ArgumentException("momentum, dampening and weight decay must be non-negative");
            if (Nesterov && (Momentum == 0 || Dampening != 0))
                throw new ArgumentException("Nesterov momentum needs a positive momentum and zero dampening");
        }
        else
        {
            if (!(Beta1 >= 0 && Beta1 < 1 && Beta2 >= 0 && Beta2 < 1))
                throw new ArgumentException($"Adam betas must be in [0, 1), got {Beta1} and {Beta2}");
            if (!(Eps >= 0) || !(WeightDecay >= 0))
                throw new ArgumentException("eps and weight decay must be non-negative");
        }
    }
}

/// <summary>The optimizers the fused device step implements.</summary>
public enum DeviceOptimizerKind
{
    /// <summary>SGD with optional momentum, dampening, Nesterov and L2 weight decay.</summary>
    Sgd = 0,

    /// <summary>Adam with optional L2 weight decay.</summary>
    Adam = 1,

    /// <summary>AdamW: decoupled weight decay.</summary>
    AdamW = 2,
}

/// <summary>Gradient clipping before the optimizer step.</summary>
/// <param name="Mode">None, by value or by global norm.</param>
/// <param name="Limit">The clip value or the maximum norm (positive).</param>
public sealed record DeviceGradientClip(GradientClipMode Mode, double Limit = 0)
{
    /// <summary>No clipping.</summary>
    public static DeviceGradientClip None { get; } = new(GradientClipMode.None);

    /// <summary>Clamp every gradient element to [-<paramref name="value"/>, <paramref name="value"/>].</summary>
    public static DeviceGradientClip ByValue(double value) => new(GradientClipMode.Value, value);

    /// <summary>Scale the gradients to a global L2 norm of at most <paramref name="maxNorm"/>.</summary>
    public static DeviceGradientClip ByGlobalNorm(double maxNorm) => new(GradientClipMode.GlobalNorm, maxNorm);

    /// <summary>Throws when the limit is not positive for a clipping mode.</summary>
    public void Validate()
    {
        if (Mode != GradientClipMode.None && !(Limit > 0 && double.IsFinite(Limit)))
            throw new ArgumentException($"the gradient clipping limit must be positive, got {Limit}");
    }
}

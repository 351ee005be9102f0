using LstmNative.Training.Optimizers;

namespace LstmNative.Training.Schedulers;

/// <summary>PyTorch's <c>StepLR</c>: <c>lr = base * gamma^floor(epoch / stepSize)</c>.</summary>
public sealed class StepLR : LearningRateScheduler
{
    /// <summary>Drives <paramref name="optimizer"/> from its current rate (PyTorch's <c>StepLR(optimizer, step_size, gamma)</c>).</summary>
    public StepLR(IOptimizer optimizer, int stepSize, double gamma = 0.1)
        : this(optimizer, RateOf(optimizer), stepSize, gamma)
    {
    }

    /// <summary>Creates a schedule that computes rates only (copy <see cref="LearningRateScheduler.LearningRate"/> yourself).</summary>
    public StepLR(double baseLearningRate, int stepSize, double gamma = 0.1)
        : this(null, baseLearningRate, stepSize, gamma)
    {
    }

    private StepLR(IOptimizer? optimizer, double baseLearningRate, int stepSize, double gamma)
        : base(optimizer)
    {
        if (stepSize < 1)
            throw new ArgumentException($"step size must be positive, got {stepSize}");
        BaseLearningRate = baseLearningRate;
        StepSize = stepSize;
        Gamma = gamma;
        LearningRate = baseLearningRate;
    }

    /// <summary>The rate at epoch 0.</summary>
    public double BaseLearningRate { get; }

    /// <summary>Epochs between decays.</summary>
    public int StepSize { get; }

    /// <summary>Multiplicative decay.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected override double Advance(int epoch, double metric) => BaseLearningRate * Math.Pow(Gamma, epoch / StepSize);
}

namespace LstmNative.Training.Schedulers;

/// <summary>PyTorch's <c>StepLR</c>: <c>lr = base * gamma^floor(epoch / stepSize)</c>.</summary>
public sealed class StepLR : LearningRateScheduler
{
    /// <summary>Creates the schedule.</summary>
    public StepLR(double baseLearningRate, int stepSize, double gamma = 0.1)
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

namespace LstmNative.Training.Schedulers;

/// <summary>
/// A learning-rate schedule stepped once per epoch (or per batch, if you prefer; the unit is yours), as
/// PyTorch's <c>lr_scheduler</c>: <see cref="LearningRate"/> starts at the value for epoch 0 and each
/// <see cref="Step"/> advances it. Schedulers compute rates only; copy the rate into the optimizer after each step:
/// <c>scheduler.Step(valLoss); optimizer.LearningRate = scheduler.LearningRate;</c>.
/// </summary>
public abstract class LearningRateScheduler
{
    /// <summary>The rate for the current epoch.</summary>
    public double LearningRate { get; protected set; }

    /// <summary>Number of <see cref="Step"/> calls so far.</summary>
    public int Epoch { get; private set; }

    /// <summary>
    /// Ends an epoch and moves <see cref="LearningRate"/> to the next one. <paramref name="metric"/> (a validation
    /// loss, say) is needed by metric-driven schedules such as <see cref="ReduceLROnPlateau"/> and ignored by the others.
    /// </summary>
    public void Step(double metric = double.NaN)
    {
        Epoch++;
        LearningRate = Advance(Epoch, metric);
    }

    /// <summary>The rate for <paramref name="epoch"/> (already incremented), given the metric of the epoch that ended.</summary>
    protected abstract double Advance(int epoch, double metric);
}

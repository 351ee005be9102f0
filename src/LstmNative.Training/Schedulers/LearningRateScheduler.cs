using LstmNative.Training.Optimizers;

namespace LstmNative.Training.Schedulers;

/// <summary>
/// A learning-rate schedule stepped once per epoch (or per batch, if you prefer; the unit is yours), as
/// PyTorch's <c>lr_scheduler</c>: <see cref="LearningRate"/> starts at the value for epoch 0 and each
/// <see cref="Step"/> advances it. Constructed with an optimizer (<c>new ReduceLROnPlateau(optimizer)</c>), the
/// schedule drives it as PyTorch's do: the optimizer's rate is set at construction and after every <see cref="Step"/>.
/// Constructed with a bare rate, it only computes rates, which the caller copies into whatever uses them.
/// </summary>
public abstract class LearningRateScheduler
{
    /// <summary>A schedule that computes rates only (no optimizer bound).</summary>
    protected LearningRateScheduler()
    {
    }

    /// <summary>A schedule that writes every rate into <paramref name="optimizer"/> (null: computes rates only).</summary>
    protected LearningRateScheduler(IOptimizer? optimizer) => Optimizer = optimizer;

    /// <summary>The optimizer whose rate this schedule sets, or null when it only computes rates.</summary>
    public IOptimizer? Optimizer { get; }

    /// <summary>The rate for the current epoch (also the bound optimizer's rate, set when it changes).</summary>
    public double LearningRate
    {
        get;
        protected set
        {
            field = value;
            if (Optimizer is not null)
                Optimizer.LearningRate = value;
        }
    }

    /// <summary>Number of <see cref="Step"/> calls so far.</summary>
    public int Epoch { get; private set; }

    /// <summary>
    /// Ends an epoch and moves <see cref="LearningRate"/> (and the bound optimizer's rate) to the next one.
    /// <paramref name="metric"/> (a validation loss, say) is needed by metric-driven schedules such as
    /// <see cref="ReduceLROnPlateau"/> and ignored by the others.
    /// </summary>
    public void Step(double metric = double.NaN)
    {
        Epoch++;
        LearningRate = Advance(Epoch, metric);
    }

    /// <summary>The rate for <paramref name="epoch"/> (already incremented), given the metric of the epoch that ended.</summary>
    protected abstract double Advance(int epoch, double metric);

    /// <summary>The optimizer's current rate, the base rate of a schedule built on it.</summary>
    protected static double RateOf(IOptimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return optimizer.LearningRate;
    }
}

using LstmNative.Training.Optimizers;

namespace LstmNative.Training.Schedulers;

/// <summary>Whether a smaller or a larger metric is better.</summary>
public enum MetricMode
{
    /// <summary>Lower is better (losses).</summary>
    Min,

    /// <summary>Higher is better (accuracies).</summary>
    Max,
}

/// <summary>How <c>threshold</c> defines a significant improvement.</summary>
public enum ThresholdMode
{
    /// <summary>Relative: better than <c>best * (1 ∓ threshold)</c>.</summary>
    Relative,

    /// <summary>Absolute: better than <c>best ∓ threshold</c>.</summary>
    Absolute,
}

/// <summary>
/// PyTorch's <c>ReduceLROnPlateau</c>: after more than <c>patience</c> epochs without a significant improvement of
/// the metric, multiplies the rate by <c>factor</c> (not below <c>minLr</c>), then waits <c>cooldown</c> epochs
/// during which bad epochs are not counted. <see cref="LearningRateScheduler.Step"/> needs the metric.
/// </summary>
/// <example>
/// <code>
/// var optimizer = new Adam&lt;float&gt;(model.Parameters(), learningRate: 1e-3);
/// var scheduler = new ReduceLROnPlateau(optimizer, factor: 0.5, patience: 2);
/// // after each epoch:
/// scheduler.Step(validationLoss); // lowers optimizer.LearningRate on a plateau
/// </code>
/// </example>
public sealed class ReduceLROnPlateau : LearningRateScheduler
{
    private int _badEpochs, _cooldownLeft;

    /// <summary>
    /// Drives <paramref name="optimizer"/>, starting from its current rate (PyTorch's
    /// <c>ReduceLROnPlateau(optimizer, ...)</c>, with its defaults): each <see cref="LearningRateScheduler.Step"/>
    /// that reduces the rate sets the optimizer's.
    /// </summary>
    public ReduceLROnPlateau(
        IOptimizer optimizer,
        MetricMode mode = MetricMode.Min,
        double factor = 0.1,
        int patience = 10,
        double threshold = 1e-4,
        ThresholdMode thresholdMode = ThresholdMode.Relative,
        int cooldown = 0,
        double minLearningRate = 0)
        : this(optimizer, RateOf(optimizer), mode, factor, patience, threshold, thresholdMode, cooldown, minLearningRate)
    {
    }

    /// <summary>
    /// Creates a schedule that computes rates only (PyTorch's defaults): copy <see cref="LearningRateScheduler.LearningRate"/>
    /// into the optimizer yourself, or construct it with the optimizer instead.
    /// </summary>
    public ReduceLROnPlateau(
        double initialLearningRate,
        MetricMode mode = MetricMode.Min,
        double factor = 0.1,
        int patience = 10,
        double threshold = 1e-4,
        ThresholdMode thresholdMode = ThresholdMode.Relative,
        int cooldown = 0,
        double minLearningRate = 0)
        : this(null, initialLearningRate, mode, factor, patience, threshold, thresholdMode, cooldown, minLearningRate)
    {
    }

    private ReduceLROnPlateau(
        IOptimizer? optimizer,
        double initialLearningRate,
        MetricMode mode,
        double factor,
        int patience,
        double threshold,
        ThresholdMode thresholdMode,
        int cooldown,
        double minLearningRate)
        : base(optimizer)
    {
        if (!(factor > 0 && factor < 1))
            throw new ArgumentException($"factor must be in (0, 1), got {factor}");
        if (patience < 0 || cooldown < 0 || threshold < 0)
            throw new ArgumentException("patience, cooldown and threshold must be non-negative");
        Mode = mode;
        Factor = factor;
        Patience = patience;
        Threshold = threshold;
        ThresholdMode = thresholdMode;
        Cooldown = cooldown;
        MinLearningRate = minLearningRate;
        LearningRate = initialLearningRate;
        Best = mode == MetricMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
    }

    /// <summary>Min or max.</summary>
    public MetricMode Mode { get; }

    /// <summary>Multiplier applied on a plateau.</summary>
    public double Factor { get; }

    /// <summary>Bad epochs tolerated before reducing.</summary>
    public int Patience { get; }

    /// <summary>Minimum significant improvement.</summary>
    public double Threshold { get; }

    /// <summary>Relative or absolute threshold.</summary>
    public ThresholdMode ThresholdMode { get; }

    /// <summary>Epochs to wait after a reduction before counting bad epochs again.</summary>
    public int Cooldown { get; }

    /// <summary>Lower bound of the rate.</summary>
    public double MinLearningRate { get; }

    /// <summary>The best metric seen.</summary>
    public double Best { get; private set; }

    /// <inheritdoc/>
    protected override double Advance(int epoch, double metric)
    {
        if (double.IsNaN(metric))
            throw new ArgumentException("ReduceLROnPlateau.Step needs the epoch's metric");
        if (IsBetter(metric))
        {
            Best = metric;
            _badEpochs = 0;
        }
        else
        {
            _badEpochs++;
        }
        if (_cooldownLeft > 0)
        {
            _cooldownLeft--;
            _badEpochs = 0;
        }
        double lr = LearningRate;
        if (_badEpochs > Patience)
        {
            double reduced = Math.Max(lr * Factor, MinLearningRate);
            if (lr - reduced > 1e-8) // PyTorch's eps: ignore reductions too small to matter
                lr = reduced;
            _cooldownLeft = Cooldown;
            _badEpochs = 0;
        }
        return lr;
    }

    private bool IsBetter(double metric) => (Mode, ThresholdMode) switch
    {
        (MetricMode.Min, ThresholdMode.Relative) => metric < Best * (1 - Threshold),
        (MetricMode.Min, _) => metric < Best - Threshold,
        (MetricMode.Max, ThresholdMode.Relative) => metric > Best * (1 + Threshold),
        _ => metric > Best + Threshold,
    };
}

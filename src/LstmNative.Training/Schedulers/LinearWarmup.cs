namespace LstmNative.Training.Schedulers;

/// <summary>
/// Linear warm-up in front of any other schedule: for epochs <c>e &lt; warmupEpochs</c> the rate is
/// <c>start * (startFactor + (1 - startFactor) e / warmupEpochs)</c>, where <c>start</c> is the wrapped schedule's
/// initial rate; from epoch <c>warmupEpochs</c> on, the wrapped schedule runs from its own epoch 0, receiving the
/// metrics (so it composes with <see cref="ReduceLROnPlateau"/> too). Like PyTorch's
/// <c>SequentialLR([LinearLR(startFactor, total_iters=warmupEpochs), after], milestones=[warmupEpochs])</c>.
/// </summary>
public sealed class LinearWarmup : LearningRateScheduler
{
    private readonly LearningRateScheduler _after;
    private readonly double _target;

    /// <summary>
    /// Wraps <paramref name="after"/>, which must not have been stepped yet. When <paramref name="after"/> drives an
    /// optimizer, so does the warm-up (its first rate is set at once).
    /// </summary>
    public LinearWarmup(LearningRateScheduler after, int warmupEpochs, double startFactor = 0.1)
        : base((after ?? throw new ArgumentNullException(nameof(after))).Optimizer)
    {
        if (after.Epoch != 0)
            throw new ArgumentException("the schedule after the warm-up must not have been stepped");
        if (warmupEpochs < 1)
            throw new ArgumentException($"warm-up epochs must be positive, got {warmupEpochs}");
        if (!(startFactor > 0 && startFactor <= 1))
            throw new ArgumentException($"start factor must be in (0, 1], got {startFactor}");
        _after = after;
        _target = after.LearningRate;
        WarmupEpochs = warmupEpochs;
        StartFactor = startFactor;
        LearningRate = _target * startFactor;
    }

    /// <summary>Epochs of warm-up.</summary>
    public int WarmupEpochs { get; }

    /// <summary>Fraction of the target rate at epoch 0.</summary>
    public double StartFactor { get; }

    /// <inheritdoc/>
    protected override double Advance(int epoch, double metric)
    {
        if (epoch < WarmupEpochs)
            return _target * (StartFactor + (1 - StartFactor) * epoch / WarmupEpochs);
        if (epoch > WarmupEpochs)
            _after.Step(metric); // the epoch ending now is one the wrapped schedule ran
        return _after.LearningRate;
    }
}

using LstmNative.Training.Optimizers;

namespace LstmNative.Training.Schedulers;

/// <summary>
/// PyTorch's <c>CosineAnnealingLR</c> (closed form): <c>lr = etaMin + (base - etaMin) (1 + cos(pi epoch / tMax)) / 2</c>,
/// from the base rate at epoch 0 down to <c>etaMin</c> at epoch <c>tMax</c>.
/// </summary>
public sealed class CosineAnnealingLR : LearningRateScheduler
{
    /// <summary>Drives <paramref name="optimizer"/> from its current rate (PyTorch's <c>CosineAnnealingLR(optimizer, T_max, eta_min)</c>).</summary>
    public CosineAnnealingLR(IOptimizer optimizer, int tMax, double etaMin = 0)
        : this(optimizer, RateOf(optimizer), tMax, etaMin)
    {
    }

    /// <summary>Creates a schedule that computes rates only (copy <see cref="LearningRateScheduler.LearningRate"/> yourself).</summary>
    public CosineAnnealingLR(double baseLearningRate, int tMax, double etaMin = 0)
        : this(null, baseLearningRate, tMax, etaMin)
    {
    }

    private CosineAnnealingLR(IOptimizer? optimizer, double baseLearningRate, int tMax, double etaMin)
        : base(optimizer)
    {
        if (tMax < 1)
            throw new ArgumentException($"tMax must be positive, got {tMax}");
        BaseLearningRate = baseLearningRate;
        TMax = tMax;
        EtaMin = etaMin;
        LearningRate = baseLearningRate;
    }

    /// <summary>The rate at epoch 0.</summary>
    public double BaseLearningRate { get; }

    /// <summary>Epochs of the half period.</summary>
    public int TMax { get; }

    /// <summary>The lowest rate.</summary>
    public double EtaMin { get; }

    /// <inheritdoc/>
    protected override double Advance(int epoch, double metric) =>
        EtaMin + (BaseLearningRate - EtaMin) * (1 + Math.Cos(Math.PI * epoch / TMax)) / 2;
}

using System.Numerics;
using LstmNative.Training.Layers;

namespace LstmNative.Training.Schedulers;

/// <summary>
/// Stops training when the monitored metric has not improved by more than <see cref="MinDelta"/> for
/// <see cref="Patience"/> epochs in a row (Keras semantics), keeping a snapshot of the model at its best epoch so
/// <see cref="RestoreBest"/> can put those weights back.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class EarlyStopping<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly IModule<T> _model;
    private ModelSnapshot<T>? _best;
    private int _wait;

    /// <summary>Watches <paramref name="model"/>.</summary>
    public EarlyStopping(IModule<T> model, int patience, double minDelta = 0, MetricMode mode = MetricMode.Min)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (patience < 0 || !(minDelta >= 0))
            throw new ArgumentException("patience and min delta must be non-negative");
        _model = model;
        Patience = patience;
        MinDelta = minDelta;
        Mode = mode;
        BestMetric = mode == MetricMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
    }

    /// <summary>Epochs without improvement tolerated.</summary>
    public int Patience { get; }

    /// <summary>The smallest change that counts as an improvement.</summary>
    public double MinDelta { get; }

    /// <summary>Min or max.</summary>
    public MetricMode Mode { get; }

    /// <summary>The best metric so far.</summary>
    public double BestMetric { get; private set; }

    /// <summary>0-based index of the epoch with the best metric, or -1 before the first improvement.</summary>
    public int BestEpoch { get; private set; } = -1;

    /// <summary>Number of <see cref="Step"/> calls so far.</summary>
    public int Epoch { get; private set; }

    /// <summary>Whether the patience has run out.</summary>
    public bool ShouldStop { get; private set; }

    /// <summary>
    /// Records an epoch's metric; on an improvement snapshots the model. Returns <see cref="ShouldStop"/>.
    /// A NaN metric never counts as an improvement.
    /// </summary>
    public bool Step(double metric)
    {
        bool improved = Mode == MetricMode.Min ? metric < BestMetric - MinDelta : metric > BestMetric + MinDelta;
        if (improved)
        {
            BestMetric = metric;
            BestEpoch = Epoch;
            _best = ModelSnapshot<T>.Capture(_model);
            _wait = 0;
        }
        else if (++_wait >= Patience)
        {
            ShouldStop = true;
        }
        Epoch++;
        return ShouldStop;
    }

    /// <summary>Writes the best epoch's parameters and buffers back into the model.</summary>
    public void RestoreBest()
    {
        if (_best is null)
            throw new InvalidOperationException("no epoch improved the metric, so there is no best snapshot to restore");
        _best.RestoreTo(_model);
    }
}

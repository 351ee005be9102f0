using System.Numerics;

namespace LstmNative.Training.Optimizers;

/// <summary>
/// Base of the optimizers: a fixed list of parameters, a learning rate that schedulers may change between steps,
/// and <see cref="Step"/>, which applies the update from the accumulated gradients.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public abstract class Optimizer<T> : IOptimizer where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Captures the parameters (their tensors are updated in place).</summary>
    protected Optimizer(IEnumerable<Parameter<T>> parameters, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = parameters.ToArray();
        if (Parameters.Count == 0)
            throw new ArgumentException("the optimizer got no parameters");
        LearningRate = learningRate;
    }

    /// <summary>The parameters, in the order given.</summary>
    public IReadOnlyList<Parameter<T>> Parameters { get; }

    /// <summary>
    /// The learning rate of the next <see cref="Step"/>. A scheduler constructed with this optimizer
    /// (<c>new ReduceLROnPlateau(optimizer)</c>) sets it on every scheduler step; it may also be set by hand.
    /// </summary>
    public double LearningRate
    {
        get;
        set => field = value >= 0 && double.IsFinite(value) ? value : throw new ArgumentException($"learning rate must be finite and non-negative, got {value}");
    }

    /// <summary>Number of <see cref="Step"/> calls so far.</summary>
    public int StepCount { get; private set; }

    /// <summary>Updates every parameter from its gradient.</summary>
    public void Step()
    {
        StepCount++;
        for (int i = 0; i < Parameters.Count; i++)
            Update(i, Parameters[i].Value.Data, Parameters[i].Grad.Data);
    }

    /// <summary>Clears every gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters)
            p.Grad.Clear();
    }

    /// <summary>Updates parameter <paramref name="index"/> in place; <see cref="StepCount"/> is already incremented.</summary>
    protected abstract void Update(int index, Span<T> value, ReadOnlySpan<T> grad);

    /// <summary>One zeroed state array per parameter, for moments and momentum buffers.</summary>
    protected T[][] NewState() => Parameters.Select(p => new T[p.Value.Length]).ToArray();
}

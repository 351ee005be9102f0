using System.Numerics;

namespace LstmNative.Training.Optimizers;

/// <summary>
/// Stochastic gradient descent as PyTorch's <c>torch.optim.SGD</c>: <c>g = grad + wd p</c>; with momentum
/// <c>b = g</c> on the first step, then <c>b = mu b + (1 - dampening) g</c>; <c>g = nesterov ? g + mu b : b</c>;
/// <c>p -= lr g</c>.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class Sgd<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[][] _momentumBuffers;

    /// <summary>Creates the optimizer.</summary>
    public Sgd(IEnumerable<Parameter<T>> parameters, double learningRate, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : base(parameters, learningRate)
    {
        if (momentum < 0 || weightDecay < 0 || dampening < 0)
            throw new ArgumentException("momentum, dampening and weight decay must be non-negative");
        if (nesterov && (momentum == 0 || dampening != 0))
            throw new ArgumentException("Nesterov momentum needs a positive momentum and zero dampening");
        Momentum = momentum;
        Dampening = dampening;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
        _momentumBuffers = momentum > 0 ? NewState() : [];
    }

    /// <summary>Momentum factor mu.</summary>
    public double Momentum { get; }

    /// <summary>Dampening of the gradient added to the momentum buffer.</summary>
    public double Dampening { get; }

    /// <summary>L2 penalty added to the gradient.</summary>
    public double WeightDecay { get; }

    /// <summary>Whether the Nesterov form is used.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc/>
    protected override void Update(int index, Span<T> value, ReadOnlySpan<T> grad)
    {
        T lr = T.CreateChecked(LearningRate), wd = T.CreateChecked(WeightDecay), mu = T.CreateChecked(Momentum);
        T keep = T.One - T.CreateChecked(Dampening);
        bool first = StepCount == 1;
        Span<T> buffer = Momentum > 0 ? _momentumBuffers[index] : default;
        for (int i = 0; i < value.Length; i++)
        {
            T g = grad[i] + wd * value[i];
            if (!buffer.IsEmpty)
            {
                buffer[i] = first ? g : mu * buffer[i] + keep * g;
                g = Nesterov ? g + mu * buffer[i] : buffer[i];
            }
            value[i] -= lr * g;
        }
    }
}

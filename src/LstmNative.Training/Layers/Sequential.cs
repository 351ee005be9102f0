using System.Numerics;

namespace LstmNative.Training.Layers;

/// <summary>Modules applied in order; parameters are named by position (<c>0.weight</c>, <c>2.bias</c>).</summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class Sequential<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<IModule<T>> _layers = [];

    /// <summary>Creates the chain; more layers can be appended with <see cref="Add"/>.</summary>
    public Sequential(params IModule<T>[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        foreach (var layer in layers)
            Add(layer);
    }

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<IModule<T>> Layers => _layers;

    /// <summary>Appends a layer and returns this chain.</summary>
    public Sequential<T> Add(IModule<T> layer)
    {
        _layers.Add(RegisterModule(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), layer));
        return this;
    }

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> input)
    {
        var x = input;
        foreach (var layer in _layers)
            x = layer.Forward(x);
        return x;
    }

    /// <inheritdoc/>
    public override Tensor<T> Backward(Tensor<T> gradOutput)
    {
        var g = gradOutput;
        for (int i = _layers.Count - 1; i >= 0; i--)
            g = _layers[i].Backward(g);
        return g;
    }
}

using System.Numerics;

namespace LstmNative.Training.Layers;

/// <summary>
/// Base class for layers and custom models. Register parameters, buffers and child modules in the constructor;
/// <see cref="Parameters"/>, <see cref="Buffers"/> and <see cref="IsTraining"/> then cover the whole tree.
/// A custom model overrides <see cref="Forward"/> and <see cref="Backward"/>, calling its children's
/// Forward in order and their Backward in reverse order, and summing gradients where a tensor fans out.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public abstract class Module<T> : IModule<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<Parameter<T>> _parameters = [];
    private readonly List<NamedTensor<T>> _buffers = [];
    private readonly List<(string Name, IModule<T> Module)> _children = [];
    private bool _training = true;

    /// <summary>The registered child modules with their names, in registration order.</summary>
    public IReadOnlyList<(string Name, IModule<T> Module)> Children => _children;

    /// <inheritdoc/>
    public bool IsTraining
    {
        get => _training;
        set
        {
            _training = value;
            foreach (var (_, child) in _children)
                child.IsTraining = value;
        }
    }

    /// <inheritdoc/>
    public abstract Tensor<T> Forward(Tensor<T> input);

    /// <inheritdoc/>
    public abstract Tensor<T> Backward(Tensor<T> gradOutput);

    /// <inheritdoc/>
    public IEnumerable<Parameter<T>> Parameters()
    {
        foreach (var p in _parameters)
            yield return p;
        foreach (var (name, child) in _children)
            foreach (var p in child.Parameters())
                yield return p.WithPrefix(name);
    }

    /// <inheritdoc/>
    public IEnumerable<NamedTensor<T>> Buffers()
    {
        foreach (var b in _buffers)
            yield return b;
        foreach (var (name, child) in _children)
            foreach (var b in child.Buffers())
                yield return b.WithPrefix(name);
    }

    /// <summary>Registers a trainable tensor under a local name and returns its parameter.</summary>
    protected Parameter<T> RegisterParameter(string name, Tensor<T> value)
    {
        var p = new Parameter<T>(name, value);
        _parameters.Add(p);
        return p;
    }

    /// <summary>Registers a trainable tensor with a gradient tensor the caller provides (same shape) and returns its parameter.</summary>
    protected Parameter<T> RegisterParameter(string name, Tensor<T> value, Tensor<T> grad)
    {
        var p = new Parameter<T>(name, value, grad);
        _parameters.Add(p);
        return p;
    }

    /// <summary>Registers a non-trainable state tensor under a local name and returns it.</summary>
    protected Tensor<T> RegisterBuffer(string name, Tensor<T> value)
    {
        _buffers.Add(new NamedTensor<T>(name, value));
        return value;
    }

    /// <summary>Registers a child module under a name (the prefix of its parameters) and returns it.</summary>
    protected TModule RegisterModule<TModule>(string name, TModule module) where TModule : IModule<T>
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(module);
        if (_children.Exists(c => c.Name == name))
            throw new ArgumentException($"a child module named '{name}' is already registered");
        module.IsTraining = _training;
        _children.Add((name, module));
        return module;
    }

    /// <summary>Throws when <see cref="Backward"/> is called before any <see cref="Forward"/>.</summary>
    protected static TCache RequireForward<TCache>(TCache? cache) where TCache : class =>
        cache ?? throw new InvalidOperationException("Backward was called before Forward");

    /// <summary>Throws unless the gradient has the shape of the last output.</summary>
    protected static void RequireSameShape(Tensor<T> gradOutput, Tensor<T> output)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        if (!gradOutput.HasShape(output.Shape))
            throw new ArgumentException($"gradient shape {Tensor<T>.FormatShape(gradOutput.Shape)} differs from output shape {Tensor<T>.FormatShape(output.Shape)}");
    }
}

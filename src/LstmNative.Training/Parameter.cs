using System.Numerics;

namespace LstmNative.Training;

/// <summary>
/// A trainable tensor and the gradient that backward passes accumulate into it. Containers report parameters
/// with dotted paths (<c>0.weight</c>, <c>encoder.bias</c>) by wrapping them in new <see cref="Parameter{T}"/>
/// objects that share the same <see cref="Value"/> and <see cref="Grad"/> tensors: the tensors are the identity.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class Parameter<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates a parameter with a zeroed gradient of the same shape.</summary>
    public Parameter(string name, Tensor<T> value)
        : this(name, value, new Tensor<T>(value?.Shape.ToArray() ?? throw new ArgumentNullException(nameof(value))))
    {
    }

    /// <summary>
    /// Creates a parameter over existing value and gradient tensors of one shape, e.g. wrapping the arrays of a
    /// <c>LayerWeights</c> for the values and of a second one for the gradients, so nothing is copied.
    /// </summary>
    public Parameter(string name, Tensor<T> value, Tensor<T> grad)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(grad);
        if (!grad.HasShape(value.Shape))
            throw new ArgumentException($"gradient {grad} and value {value} of parameter '{name}' differ in shape");
        Name = name;
        Value = value;
        Grad = grad;
    }

    /// <summary>The name: local (<c>weight</c>) inside its module, a dotted path when reported by a container.</summary>
    public string Name { get; }

    /// <summary>The values the optimizer updates.</summary>
    public Tensor<T> Value { get; }

    /// <summary>The accumulated gradient, same shape as <see cref="Value"/>; cleared by <c>ZeroGrad</c>.</summary>
    public Tensor<T> Grad { get; }

    /// <summary>The same tensors under the name <c>prefix.Name</c>.</summary>
    public Parameter<T> WithPrefix(string prefix) => new(prefix + "." + Name, Value, Grad);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {Tensor<T>.FormatShape(Value.Shape)}";
}

/// <summary>A named non-trainable state tensor of a module (BatchNorm's running statistics).</summary>
/// <typeparam name="T">float or double.</typeparam>
/// <param name="Name">Local name, or a dotted path when reported by a container.</param>
/// <param name="Value">The state.</param>
public sealed record NamedTensor<T>(string Name, Tensor<T> Value) where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The same tensor under the name <c>prefix.Name</c>.</summary>
    public NamedTensor<T> WithPrefix(string prefix) => this with { Name = prefix + "." + Name };
}

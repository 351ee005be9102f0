using System.Numerics;

namespace LstmNative.Training.Layers;

/// <summary>
/// A scalar activation and its derivative; implemented by structs so <see cref="Activation{T, TFunction}"/>
/// is specialized per function by the JIT (no virtual call per element).
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public interface IActivationFunction<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>f(x).</summary>
    static abstract T Value(T x);

    /// <summary>f'(x), given x and y = f(x) (whichever is cheaper).</summary>
    static abstract T Derivative(T x, T y);
}

/// <summary>An elementwise activation layer; output has the input's shape.</summary>
/// <typeparam name="T">float or double.</typeparam>
/// <typeparam name="TFunction">The scalar function.</typeparam>
public class Activation<T, TFunction> : Module<T>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TFunction : struct, IActivationFunction<T>
{
    private Tensor<T>? _input, _output, _gradInput;

    /// <inheritdoc/>
    public sealed override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var output = _output = Tensor<T>.Reuse(_output, input.Shape);
        _input = input;
        ReadOnlySpan<T> x = input.Data;
        Span<T> y = output.Data;
        for (int i = 0; i < y.Length; i++)
            y[i] = TFunction.Value(x[i]);
        return output;
    }

    /// <inheritdoc/>
    public sealed override Tensor<T> Backward(Tensor<T> gradOutput)
    {
        var input = RequireForward(_input);
        RequireSameShape(gradOutput, _output!);
        var gradInput = _gradInput = Tensor<T>.Reuse(_gradInput, input.Shape);
        ReadOnlySpan<T> x = input.Data, y = _output!.Data, dy = gradOutput.Data;
        Span<T> dx = gradInput.Data;
        for (int i = 0; i < dx.Length; i++)
            dx[i] = dy[i] * TFunction.Derivative(x[i], y[i]);
        return gradInput;
    }
}

/// <summary>max(0, x); the derivative at 0 is taken as 0, like PyTorch.</summary>
/// <typeparam name="T">float or double.</typeparam>
public readonly struct ReluFunction<T> : IActivationFunction<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public static T Value(T x) => x > T.Zero ? x : T.Zero;

    /// <inheritdoc/>
    public static T Derivative(T x, T y) => x > T.Zero ? T.One : T.Zero;
}

/// <summary>tanh(x).</summary>
/// <typeparam name="T">float or double.</typeparam>
public readonly struct TanhFunction<T> : IActivationFunction<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public static T Value(T x) => T.Tanh(x);

    /// <inheritdoc/>
    public static T Derivative(T x, T y) => T.One - y * y;
}

/// <summary>1 / (1 + exp(-x)).</summary>
/// <typeparam name="T">float or double.</typeparam>
public readonly struct SigmoidFunction<T> : IActivationFunction<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public static T Value(T x) => T.One / (T.One + T.Exp(-x));

    /// <inheritdoc/>
    public static T Derivative(T x, T y) => y * (T.One - y);
}

/// <summary>Rectified linear unit, elementwise.</summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class Relu<T> : Activation<T, ReluFunction<T>> where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>Hyperbolic tangent, elementwise.</summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class Tanh<T> : Activation<T, TanhFunction<T>> where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>Logistic sigmoid, elementwise.</summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class Sigmoid<T> : Activation<T, SigmoidFunction<T>> where T : unmanaged, IFloatingPointIeee754<T>;

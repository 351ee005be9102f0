using System.Numerics;

namespace LstmNative.Model;

/// <summary>The activation functions ONNX allows in its RNN operators.</summary>
public enum ActivationKind
{
    /// <summary>1 / (1 + e^-x).</summary>
    Sigmoid,

    /// <summary>tanh(x).</summary>
    Tanh,

    /// <summary>max(0, x).</summary>
    Relu,

    /// <summary>alpha * x + beta.</summary>
    Affine,

    /// <summary>x if x &gt;= 0 else alpha * x.</summary>
    LeakyRelu,

    /// <summary>x if x &gt;= alpha else 0.</summary>
    ThresholdedRelu,

    /// <summary>alpha * tanh(beta * x).</summary>
    ScaledTanh,

    /// <summary>min(max(alpha * x + beta, 0), 1).</summary>
    HardSigmoid,

    /// <summary>x if x &gt;= 0 else alpha * (e^x - 1).</summary>
    Elu,

    /// <summary>x / (1 + |x|).</summary>
    Softsign,

    /// <summary>log(1 + e^x).</summary>
    Softplus,
}

/// <summary>An activation function with its ONNX parameters.</summary>
/// <param name="Kind">Which function.</param>
/// <param name="Alpha">ONNX <c>activation_alpha</c> entry (used by Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu).</param>
/// <param name="Beta">ONNX <c>activation_beta</c> entry (used by Affine, ScaledTanh, HardSigmoid).</param>
public readonly record struct Activation(ActivationKind Kind, double Alpha = 0, double Beta = 0)
{
    /// <summary>The logistic sigmoid.</summary>
    public static Activation Sigmoid => new(ActivationKind.Sigmoid);

    /// <summary>The hyperbolic tangent.</summary>
    public static Activation Tanh => new(ActivationKind.Tanh);

    /// <summary>Whether the function takes an alpha parameter.</summary>
    public static bool UsesAlpha(ActivationKind kind) => kind is ActivationKind.Affine or ActivationKind.LeakyRelu
        or ActivationKind.ThresholdedRelu or ActivationKind.ScaledTanh or ActivationKind.HardSigmoid or ActivationKind.Elu;

    /// <summary>Whether the function takes a beta parameter.</summary>
    public static bool UsesBeta(ActivationKind kind) => kind is ActivationKind.Affine or ActivationKind.ScaledTanh or ActivationKind.HardSigmoid;

    /// <summary>
    /// Parses an ONNX activation name (case-insensitive). Throws <see cref="NotSupportedException"/> naming the
    /// activation when it is not one ONNX defines for RNNs.
    /// </summary>
    public static Activation Parse(string name, double? alpha = null, double? beta = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ActivationKind kind = name.ToUpperInvariant() switch
        {
            "SIGMOID" => ActivationKind.Sigmoid,
            "TANH" => ActivationKind.Tanh,
            "RELU" => ActivationKind.Relu,
            "AFFINE" => ActivationKind.Affine,
            "LEAKYRELU" => ActivationKind.LeakyRelu,
            "THRESHOLDEDRELU" => ActivationKind.ThresholdedRelu,
            "SCALEDTANH" => ActivationKind.ScaledTanh,
            "HARDSIGMOID" => ActivationKind.HardSigmoid,
            "ELU" => ActivationKind.Elu,
            "SOFTSIGN" => ActivationKind.Softsign,
            "SOFTPLUS" => ActivationKind.Softplus,
            _ => throw new NotSupportedException($"activation '{name}' is not supported (supported: Sigmoid, Tanh, Relu, Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign, Softplus)"),
        };
        // ONNX's defaults for the parameterised functions, as ONNX Runtime applies them.
        double a = alpha ?? kind switch
        {
            ActivationKind.LeakyRelu => 0.01,
            ActivationKind.HardSigmoid => 0.2,
            ActivationKind.ThresholdedRelu or ActivationKind.Elu or ActivationKind.ScaledTanh or ActivationKind.Affine => 1.0,
            _ => 0,
        };
        double b = beta ?? kind switch
        {
            ActivationKind.HardSigmoid => 0.5,
            ActivationKind.ScaledTanh => 1.0,
            _ => 0,
        };
        return new Activation(kind, a, b);
    }

    /// <summary>f(x).</summary>
    public T Apply<T>(T x) where T : IFloatingPointIeee754<T>
    {
        T alpha = T.CreateChecked(Alpha), beta = T.CreateChecked(Beta);
        return Kind switch
        {
            ActivationKind.Sigmoid => T.One / (T.One + T.Exp(-x)),
            ActivationKind.Tanh => T.Tanh(x),
            ActivationKind.Relu => x > T.Zero ? x : T.Zero,
            ActivationKind.Affine => alpha * x + beta,
            ActivationKind.LeakyRelu => x >= T.Zero ? x : alpha * x,
            ActivationKind.ThresholdedRelu => x >= alpha ? x : T.Zero,
            ActivationKind.ScaledTanh => alpha * T.Tanh(beta * x),
            ActivationKind.HardSigmoid => T.Clamp(alpha * x + beta, T.Zero, T.One),
            ActivationKind.Elu => x >= T.Zero ? x : alpha * (T.Exp(x) - T.One),
            ActivationKind.Softsign => x / (T.One + T.Abs(x)),
            ActivationKind.Softplus => x > T.CreateChecked(30) ? x : T.Log(T.One + T.Exp(x)),
            _ => throw new InvalidOperationException(),
        };
    }

    /// <summary>f'(x), the derivative at the (clipped) pre-activation <paramref name="x"/>.</summary>
    public T Derivative<T>(T x) where T : IFloatingPointIeee754<T>
    {
        T alpha = T.CreateChecked(Alpha), beta = T.CreateChecked(Beta);
        switch (Kind)
        {
            case ActivationKind.Sigmoid:
                T s = T.One / (T.One + T.Exp(-x));
                return s * (T.One - s);
            case ActivationKind.Tanh:
                T t = T.Tanh(x);
                return T.One - t * t;
            case ActivationKind.Relu:
                return x > T.Zero ? T.One : T.Zero;
            case ActivationKind.Affine:
                return alpha;
            case ActivationKind.LeakyRelu:
                return x >= T.Zero ? T.One : alpha;
            case ActivationKind.ThresholdedRelu:
                return x >= alpha ? T.One : T.Zero;
            case ActivationKind.ScaledTanh:
                T st = T.Tanh(beta * x);
                return alpha * beta * (T.One - st * st);
            case ActivationKind.HardSigmoid:
                T v = alpha * x + beta;
                return v > T.Zero && v < T.One ? alpha : T.Zero;
            case ActivationKind.Elu:
                return x >= T.Zero ? T.One : alpha * T.Exp(x);
            case ActivationKind.Softsign:
                T d = T.One + T.Abs(x);
                return T.One / (d * d);
            case ActivationKind.Softplus:
                return T.One / (T.One + T.Exp(-x));
            default:
                throw new InvalidOperationException();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => UsesAlpha(Kind) || UsesBeta(Kind) ? $"{Kind}({Alpha}, {Beta})" : Kind.ToString();
}

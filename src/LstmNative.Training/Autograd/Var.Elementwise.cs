namespace LstmNative.Training.Autograd;

// Element-wise operations with broadcasting, and the operators that spell them.
public sealed partial class Var<T>
{
    /// <summary>a + b, broadcasting.</summary>
    public static Var<T> operator +(Var<T> a, Var<T> b) => Binary(a, b, "add", (x, y) => x + y, (_, _) => T.One, (_, _) => T.One);

    /// <summary>a − b, broadcasting.</summary>
    public static Var<T> operator -(Var<T> a, Var<T> b) => Binary(a, b, "subtract", (x, y) => x - y, (_, _) => T.One, (_, _) => -T.One);

    /// <summary>a ⊙ b (element-wise), broadcasting.</summary>
    public static Var<T> operator *(Var<T> a, Var<T> b) => Binary(a, b, "multiply", (x, y) => x * y, (_, y) => y, (x, _) => x);

    /// <summary>a / b (element-wise), broadcasting.</summary>
    public static Var<T> operator /(Var<T> a, Var<T> b) => Binary(a, b, "divide", (x, y) => x / y, (_, y) => T.One / y, (x, y) => -x / (y * y));

    /// <summary>−a.</summary>
    public static Var<T> operator -(Var<T> a) => Unary(a, x => -x, (_, _) => -T.One);

    /// <summary>a + s.</summary>
    public static Var<T> operator +(Var<T> a, T s) => Unary(a, x => x + s, (_, _) => T.One);

    /// <summary>s + a.</summary>
    public static Var<T> operator +(T s, Var<T> a) => a + s;

    /// <summary>a − s.</summary>
    public static Var<T> operator -(Var<T> a, T s) => Unary(a, x => x - s, (_, _) => T.One);

    /// <summary>s − a.</summary>
    public static Var<T> operator -(T s, Var<T> a) => Unary(a, x => s - x, (_, _) => -T.One);

    /// <summary>a · s.</summary>
    public static Var<T> operator *(Var<T> a, T s) => Unary(a, x => x * s, (_, _) => s);

    /// <summary>s · a.</summary>
    public static Var<T> operator *(T s, Var<T> a) => a * s;

    /// <summary>a / s.</summary>
    public static Var<T> operator /(Var<T> a, T s) => Unary(a, x => x / s, (_, _) => T.One / s);

    /// <summary>Element-wise eˣ.</summary>
    public Var<T> Exp() => Unary(this, T.Exp, (_, y) => y);

    /// <summary>Element-wise natural logarithm.</summary>
    public Var<T> Log() => Unary(this, T.Log, (x, _) => T.One / x);

    /// <summary>Element-wise tanh.</summary>
    public Var<T> Tanh() => Unary(this, T.Tanh, (_, y) => T.One - y * y);

    /// <summary>Element-wise logistic sigmoid.</summary>
    public Var<T> Sigmoid() => Unary(this, x => T.One / (T.One + T.Exp(-x)), (_, y) => y * (T.One - y));

    /// <summary>Element-wise max(x, 0) (gradient 0 at 0, as PyTorch).</summary>
    public Var<T> Relu() => Unary(this, x => x > T.Zero ? x : T.Zero, (x, _) => x > T.Zero ? T.One : T.Zero);

    /// <summary>Element-wise x².</summary>
    public Var<T> Square() => Unary(this, x => x * x, (x, _) => x + x);

    /// <summary>Element-wise √x.</summary>
    public Var<T> Sqrt() => Unary(this, T.Sqrt, (_, y) => T.One / (y + y));

    /// <summary>Where <paramref name="mask"/> is true, <paramref name="value"/> (no gradient there); elsewhere this.</summary>
    /// <param name="mask">Booleans broadcastable to this shape (e.g. <c>[B, 1, S]</c> padding masks against <c>[B, T, S]</c> scores).</param>
    /// <param name="maskShape">The mask's shape.</param>
    /// <param name="value">The fill, e.g. negative infinity before a softmax.</param>
    public Var<T> MaskedFill(bool[] mask, int[] maskShape, T value)
    {
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(maskShape);
        if (mask.Length != maskShape.Aggregate(1, (n, d) => n * d))
            throw new ArgumentException($"MaskedFill: the mask has {mask.Length} values, its shape {Broadcast.Format(maskShape)} says otherwise");
        var shape = Broadcast.Shape(Value.Shape, maskShape, "MaskedFill");
        if (!Value.HasShape(shape))
            throw new ArgumentException($"MaskedFill: mask {Broadcast.Format(maskShape)} must broadcast to {Describe()} without growing it");
        var offsets = Broadcast.Offsets(maskShape, shape);
        var x = Value.Data;
        var y = new T[x.Length];
        for (int i = 0; i < y.Length; i++)
            y[i] = mask[offsets[i]] ? value : x[i];
        return Result(new Tensor<T>(y, shape), [this], g =>
        {
            var gx = new T[g.Length];
            for (int i = 0; i < gx.Length; i++)
                gx[i] = mask[offsets[i]] ? T.Zero : g.Data[i];
            Accumulate(gx);
        });
    }

    private static Var<T> Unary(Var<T> a, Func<T, T> f, Func<T, T, T> derivative)
    {
        ArgumentNullException.ThrowIfNull(a);
        var x = a.Value.Data;
        var y = new T[x.Length];
        for (int i = 0; i < y.Length; i++)
            y[i] = f(x[i]);
        return Result(new Tensor<T>(y, a.Value.Shape.ToArray()), [a], g =>
        {
            var gx = new T[x.Length];
            for (int i = 0; i < gx.Length; i++)
                gx[i] = g.Data[i] * derivative(x[i], y[i]); // derivative(input, output)
            a.Accumulate(gx);
        });
    }

    private static Var<T> Binary(Var<T> a, Var<T> b, string op, Func<T, T, T> f, Func<T, T, T> dA, Func<T, T, T> dB)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var shape = Broadcast.Shape(a.Value.Shape, b.Value.Shape, op);
        var oa = Broadcast.Offsets(a.Value.Shape, shape);
        var ob = Broadcast.Offsets(b.Value.Shape, shape);
        T[] x = a.Value.Data, z = b.Value.Data;
        var y = new T[oa.Length];
        for (int i = 0; i < y.Length; i++)
            y[i] = f(x[oa[i]], z[ob[i]]);
        return Result(new Tensor<T>(y, shape), [a, b], g =>
        {
            // A broadcast operand receives the sum of the gradients of every element it fed.
            if (a.RequiresGrad)
            {
                var ga = new T[x.Length];
                for (int i = 0; i < y.Length; i++)
                    ga[oa[i]] += g.Data[i] * dA(x[oa[i]], z[ob[i]]);
                a.Accumulate(ga);
            }
            if (b.RequiresGrad)
            {
                var gb = new T[z.Length];
                for (int i = 0; i < y.Length; i++)
                    gb[ob[i]] += g.Data[i] * dB(x[oa[i]], z[ob[i]]);
                b.Accumulate(gb);
            }
        });
    }
}

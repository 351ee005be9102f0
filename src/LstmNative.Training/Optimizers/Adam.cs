using System.Numerics;

namespace LstmNative.Training.Optimizers;

/// <summary>
/// Adam as PyTorch's <c>torch.optim.Adam</c>: <c>g = grad + wd p</c> (L2 penalty), <c>m = b1 m + (1 - b1) g</c>,
/// <c>v = b2 v + (1 - b2) g^2</c>, <c>p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)</c>.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public class Adam<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[][] _m, _v;
    private readonly bool _decoupled;

    /// <summary>Creates the optimizer.</summary>
    public Adam(IEnumerable<Parameter<T>> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
        : this(parameters, learningRate, beta1, beta2, eps, weightDecay, decoupled: false)
    {
    }

    /// <summary>Creates the optimizer, with the weight decay coupled (Adam, L2) or decoupled (AdamW).</summary>
    private protected Adam(IEnumerable<Parameter<T>> parameters, double learningRate, double beta1, double beta2, double eps, double weightDecay, bool decoupled)
        : base(parameters, learningRate)
    {
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1))
            throw new ArgumentException($"Adam betas must be in [0, 1), got {beta1} and {beta2}");
        if (!(eps >= 0) || !(weightDecay >= 0))
            throw new ArgumentException("eps and weight decay must be non-negative");
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        _decoupled = decoupled;
        _m = NewState();
        _v = NewState();
    }

    /// <summary>Decay of the first moment.</summary>
    public double Beta1 { get; }

    /// <summary>Decay of the second moment.</summary>
    public double Beta2 { get; }

    /// <summary>Added to the denominator.</summary>
    public double Eps { get; }

    /// <summary>Weight decay: an L2 term in the gradient (Adam) or a direct shrink of the weights (AdamW).</summary>
    public double WeightDecay { get; }

    /// <inheritdoc/>
    protected override void Update(int index, Span<T> value, ReadOnlySpan<T> grad)
    {
        int t = StepCount;
        double lr = LearningRate;
        T b1 = T.CreateChecked(Beta1), b2 = T.CreateChecked(Beta2);
        T oneMinusB1 = T.One - b1, oneMinusB2 = T.One - b2;
        T stepSize = T.CreateChecked(lr / (1 - Math.Pow(Beta1, t)));
        T sqrtBc2 = T.CreateChecked(Math.Sqrt(1 - Math.Pow(Beta2, t)));
        T eps = T.CreateChecked(Eps);
        T l2 = _decoupled ? T.Zero : T.CreateChecked(WeightDecay);
        T shrink = _decoupled ? T.CreateChecked(1 - lr * WeightDecay) : T.One;
        Span<T> m = _m[index], v = _v[index];
        int i = 0;
        if (Vector.IsHardwareAccelerated && value.Length >= Vector<T>.Count)
        {
            // The same operations lane by lane (no fused multiply-add), so results equal the scalar loop's bit for bit.
            var vb1 = new Vector<T>(b1);
            var vb2 = new Vector<T>(b2);
            var v1b1 = new Vector<T>(oneMinusB1);
            var v1b2 = new Vector<T>(oneMinusB2);
            var vStep = new Vector<T>(stepSize);
            var vSqrt = new Vector<T>(sqrtBc2);
            var vEps = new Vector<T>(eps);
            var vL2 = new Vector<T>(l2);
            var vShrink = new Vector<T>(shrink);
            for (; i <= value.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var x = new Vector<T>(value[i..]);
                var g = new Vector<T>(grad[i..]) + vL2 * x;
                x *= vShrink;
                var mi = vb1 * new Vector<T>(m[i..]) + v1b1 * g;
                var vi = vb2 * new Vector<T>(v[i..]) + v1b2 * g * g;
                x -= vStep * mi / (Vector.SquareRoot(vi) / vSqrt + vEps);
                mi.CopyTo(m[i..]);
                vi.CopyTo(v[i..]);
                x.CopyTo(value[i..]);
            }
        }
        for (; i < value.Length; i++)
        {
            T g = grad[i] + l2 * value[i];
            value[i] *= shrink;
            m[i] = b1 * m[i] + oneMinusB1 * g;
            v[i] = b2 * v[i] + oneMinusB2 * g * g;
            value[i] -= stepSize * m[i] / (T.Sqrt(v[i]) / sqrtBc2 + eps);
        }
    }
}

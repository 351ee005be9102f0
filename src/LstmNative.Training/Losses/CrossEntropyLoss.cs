using System.Numerics;

namespace LstmNative.Training.Losses;

/// <summary>
/// Cross-entropy of logits <c>[N, C]</c> against class indices <c>[N]</c>, as PyTorch's <c>nn.CrossEntropyLoss</c>:
/// <c>logsumexp(z_n) - z_n[target_n]</c> per sample, computed stably (max subtracted). Gradient: softmax minus one-hot.
/// With <see cref="LabelSmoothing"/> ε the target is <c>(1 - ε)</c> one-hot plus <c>ε / C</c> everywhere; samples whose
/// target is <see cref="IgnoreIndex"/> (padding) add nothing, and the mean is over the other samples (NaN when there are
/// none, as in PyTorch).
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class CrossEntropyLoss<T> : ILoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _softmax, _grad;
    private int[] _targets = [];
    private int _counted;

    /// <summary>Creates the loss (PyTorch's <c>reduction</c>, <c>ignore_index</c> and <c>label_smoothing</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1].</exception>
    public CrossEntropyLoss(Reduction reduction = Reduction.Mean, int ignoreIndex = -100, double labelSmoothing = 0)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "label smoothing must be in [0, 1]");
        Reduction = reduction;
        IgnoreIndex = ignoreIndex;
        LabelSmoothing = labelSmoothing;
    }

    /// <summary>Mean over the counted samples or sum.</summary>
    public Reduction Reduction { get; }

    /// <summary>Target value of samples that add nothing to the loss or its gradient (e.g. the padding id).</summary>
    public int IgnoreIndex { get; }

    /// <summary>Label smoothing ε in [0, 1].</summary>
    public double LabelSmoothing { get; }

    /// <summary>The loss for integer class targets.</summary>
    public T Forward(Tensor<T> logits, ReadOnlySpan<int> targets)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank != 2 || logits.Dim(0) != targets.Length || logits.Dim(0) == 0)
            throw new ArgumentException($"cross-entropy expects logits [N, C] and {targets.Length} targets with N > 0, got {logits}");
        int n = logits.Dim(0), c = logits.Dim(1);
        var softmax = _softmax = Tensor<T>.Reuse(_softmax, logits.Shape);
        if (_targets.Length != n)
            _targets = new int[n];
        T total = T.Zero;
        T eps = T.CreateChecked(LabelSmoothing), uniform = eps / T.CreateChecked(c);
        _counted = 0;
        for (int s = 0; s < n; s++)
        {
            int target = targets[s];
            _targets[s] = target;
            if (target == IgnoreIndex)
                continue;
            if ((uint)target >= (uint)c)
                throw new ArgumentException($"target {target} of sample {s} is outside [0, {c})");
            _counted++;
            var z = logits.Data.AsSpan(s * c, c);
            var p = softmax.Data.AsSpan(s * c, c);
            T max = T.NegativeInfinity;
            foreach (var v in z)
                max = T.Max(max, v);
            T sum = T.Zero;
            for (int k = 0; k < c; k++)
                sum += p[k] = T.Exp(z[k] - max);
            for (int k = 0; k < c; k++)
                p[k] /= sum;
            T logSum = max + T.Log(sum);
            total += (T.One - eps) * (logSum - z[target]);
            if (LabelSmoothing > 0)
            {
                // ε/C · Σ_k −log p_k = ε/C · (C · logsumexp − Σ_k z_k)
                T zSum = T.Zero;
                foreach (var v in z)
                    zSum += v;
                total += uniform * (T.CreateChecked(c) * logSum - zSum);
            }
        }
        return Reduction == Reduction.Mean ? total / T.CreateChecked(_counted) : total;
    }

    /// <summary>The loss for targets held as integer-valued <typeparamref name="T"/> in a tensor <c>[N]</c>.</summary>
    public T Forward(Tensor<T> prediction, Tensor<T> target)
    {
        ArgumentNullException.ThrowIfNull(target);
        Span<int> classes = target.Length <= 256 ? stackalloc int[target.Length] : new int[target.Length];
        for (int i = 0; i < classes.Length; i++)
        {
            T v = target.Data[i];
            if (!T.IsInteger(v))
                throw new ArgumentException($"target {v} of sample {i} is not a class index");
            classes[i] = int.CreateSaturating(v);
        }
        return Forward(prediction, classes);
    }

    /// <inheritdoc/>
    public Tensor<T> Backward()
    {
        var softmax = _softmax ?? throw new InvalidOperationException("Backward was called before Forward");
        var grad = _grad = Tensor<T>.Reuse(_grad, softmax.Shape);
        int n = softmax.Dim(0), c = softmax.Dim(1);
        T scale = Reduction == Reduction.Mean ? T.One / T.CreateChecked(_counted) : T.One;
        T eps = T.CreateChecked(LabelSmoothing), uniform = eps / T.CreateChecked(c);
        ReadOnlySpan<T> p = softmax.Data;
        Span<T> g = grad.Data;
        for (int s = 0; s < n; s++)
        {
            if (_targets[s] == IgnoreIndex)
            {
                g.Slice(s * c, c).Clear();
                continue;
            }
            // softmax minus the smoothed target (1 − ε) one-hot + ε/C
            for (int k = 0; k < c; k++)
                g[s * c + k] = scale * (p[s * c + k] - uniform - (k == _targets[s] ? T.One - eps : T.Zero));
        }
        return grad;
    }
}

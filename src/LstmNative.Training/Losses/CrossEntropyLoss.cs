using System.Numerics;

namespace LstmNative.Training.Losses;

/// <summary>
/// Cross-entropy of logits <c>[N, C]</c> against class indices <c>[N]</c>, as PyTorch's <c>nn.CrossEntropyLoss</c>:
/// <c>logsumexp(z_n) - z_n[target_n]</c> per sample, computed stably (max subtracted). Gradient: softmax minus one-hot.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class CrossEntropyLoss<T> : ILoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _softmax, _grad;
    private int[] _targets = [];

    /// <summary>Creates the loss.</summary>
    public CrossEntropyLoss(Reduction reduction = Reduction.Mean) => Reduction = reduction;

    /// <summary>Mean over samples or sum.</summary>
    public Reduction Reduction { get; }

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
        for (int s = 0; s < n; s++)
        {
            int target = targets[s];
            if ((uint)target >= (uint)c)
                throw new ArgumentException($"target {target} of sample {s} is outside [0, {c})");
            _targets[s] = target;
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
            total += max + T.Log(sum) - z[target];
        }
        return Reduction == Reduction.Mean ? total / T.CreateChecked(n) : total;
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
        T scale = Reduction == Reduction.Mean ? T.One / T.CreateChecked(n) : T.One;
        ReadOnlySpan<T> p = softmax.Data;
        Span<T> g = grad.Data;
        for (int s = 0; s < n; s++)
            for (int k = 0; k < c; k++)
                g[s * c + k] = scale * (k == _targets[s] ? p[s * c + k] - T.One : p[s * c + k]);
        return grad;
    }
}

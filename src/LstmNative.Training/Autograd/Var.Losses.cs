namespace LstmNative.Training.Autograd;

// Embedding lookup and the losses that end a graph.
public sealed partial class Var<T>
{
    /// <summary>
    /// Rows of <paramref name="weight"/> <c>[V, D]</c> picked by <paramref name="ids"/> (shape <paramref name="idShape"/>):
    /// a result of shape <c>idShape + [D]</c>; the gradient of repeated ids adds up (PyTorch's <c>F.embedding</c>).
    /// </summary>
    public static Var<T> Embedding(Var<T> weight, int[] ids, params int[] idShape)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(idShape);
        if (weight.Rank != 2)
            throw new ArgumentException($"Embedding: the weight must be [V, D], got {weight.Describe()}");
        if (ids.Length != idShape.Aggregate(1, (n, d) => n * d))
            throw new ArgumentException($"Embedding: {ids.Length} ids do not fill shape {Broadcast.Format(idShape)}");
        int vocab = weight.Dim(0), dim = weight.Dim(1);
        for (int i = 0; i < ids.Length; i++)
            if ((uint)ids[i] >= (uint)vocab)
                throw new ArgumentOutOfRangeException(nameof(ids), $"Embedding: id {ids[i]} at {i} is outside the vocabulary of {vocab}");
        var w = weight.Value.Data;
        var y = new T[ids.Length * dim];
        for (int i = 0; i < ids.Length; i++)
            Array.Copy(w, ids[i] * dim, y, i * dim, dim);
        return Result(new Tensor<T>(y, [.. idShape, dim]), [weight], g =>
        {
            var gw = new T[w.Length];
            for (int i = 0; i < ids.Length; i++)
                for (int j = 0; j < dim; j++)
                    gw[ids[i] * dim + j] += g.Data[i * dim + j];
            weight.Accumulate(gw);
        });
    }

    /// <summary>
    /// Cross-entropy of logits <c>[N, C]</c> against class indices, averaged over the targets that are not
    /// <paramref name="ignoreIndex"/> (PyTorch's <c>F.cross_entropy</c>, <c>reduction="mean"</c>), with optional label
    /// smoothing ε: the target distribution is (1 − ε) on the class plus ε / C on every class.
    /// </summary>
    public Var<T> CrossEntropy(int[] targets, int ignoreIndex = -100, double labelSmoothing = 0)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (Rank != 2 || targets.Length != Dim(0))
            throw new ArgumentException($"CrossEntropy: logits must be [N, C] with N = {targets.Length} targets, got {Describe()}");
        if (labelSmoothing is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"label smoothing must be in [0, 1], got {labelSmoothing}");
        int classes = Dim(1);
        foreach (int t in targets)
            if (t != ignoreIndex && (uint)t >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(targets), $"CrossEntropy: target {t} is outside [0, {classes})");
        var logp = LogSoftmax(1);
        T eps = T.CreateChecked(labelSmoothing), onTarget = T.One - eps, spread = eps / T.CreateChecked(classes);
        var weights = new T[logp.Value.Length];
        int counted = 0;
        for (int r = 0; r < targets.Length; r++)
        {
            if (targets[r] == ignoreIndex)
                continue;
            counted++;
            for (int c = 0; c < classes; c++)
                weights[r * classes + c] = spread;
            weights[r * classes + targets[r]] += onTarget;
        }
        // loss = −Σ w ⊙ log p / counted: a constant weighting, so the product rule gives the gradient.
        var w = new Var<T>(new Tensor<T>(weights, logp.Value.Shape.ToArray()));
        return -(logp * w).Sum() / T.CreateChecked(Math.Max(1, counted));
    }

    /// <summary>Mean squared error against <paramref name="target"/> (same shape; no gradient to the target).</summary>
    public Var<T> MseLoss(Tensor<T> target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (!target.HasShape(Value.Shape))
            throw new ArgumentException($"MseLoss: target {target} does not match {Describe()}");
        return (this - new Var<T>(target)).Square().Mean();
    }
}

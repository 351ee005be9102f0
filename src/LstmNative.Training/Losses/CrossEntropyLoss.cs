using System.Numerics;
using LstmNative.Cpu;

namespace LstmNative.Training.Losses;

/// <summary>
/// Cross-entropy of logits <c>[N, C]</c> against class indices <c>[N]</c>, as PyTorch's <c>nn.CrossEntropyLoss</c>:
/// <c>logsumexp(z_n) - z_n[target_n]</c> per sample, computed stably (max subtracted). Gradient: softmax minus one-hot.
/// With <see cref="LabelSmoothing"/> ε the target is <c>(1 - ε)</c> one-hot plus <c>ε / C</c> everywhere; samples whose
/// target is <see cref="IgnoreIndex"/> (padding) add nothing, and the mean is over the other samples (NaN when there are
/// none, as in PyTorch).
/// </summary>
/// <remarks>
/// Forward and backward are one fused pass: each row's softmax is written straight into the gradient buffer and turned
/// into the gradient there, so a large <c>[tokens × vocabulary]</c> batch is read once and needs no second buffer. Rows
/// run on <see cref="WorkerPool.Shared"/> when the batch is large; each row's sums are taken in double in a fixed
/// order and the row losses are added in row order, so the result does not depend on the core count. After the first
/// call of a size nothing is allocated.
/// </remarks>
/// <typeparam name="T">float or double.</typeparam>
public sealed class CrossEntropyLoss<T> : ILoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // Below this many logits one thread is faster than waking the pool.
    private const long ParallelLogits = 1 << 16;

    private readonly RowJob _job = new();
    private Tensor<T>? _grad;
    private int[] _targets = [];

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

    /// <summary>The loss for integer class targets; <see cref="Backward"/> then returns its gradient.</summary>
    public T Forward(Tensor<T> logits, ReadOnlySpan<int> targets)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank != 2 || logits.Dim(0) != targets.Length || logits.Dim(0) == 0)
            throw new ArgumentException($"cross-entropy expects logits [N, C] and {targets.Length} targets with N > 0, got {logits}");
        var grad = _grad = Tensor<T>.Reuse(_grad, logits.Shape);
        return T.CreateChecked(ForwardBackward(logits.Data, targets, grad.Data, logits.Dim(1), out _));
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
    public Tensor<T> Backward() => _grad ?? throw new InvalidOperationException("Backward was called before Forward");

    /// <summary>
    /// Forward and backward in one pass over row-major logits <c>[N, C]</c> in a flat array (a batch of
    /// <c>tokens × vocabulary</c> needs no tensor around it): returns the reduced loss and overwrites
    /// <paramref name="gradient"/> with dLoss/dlogits (zero on ignored rows). Rows run in parallel when the batch is large.
    /// </summary>
    /// <param name="logits">Logits, at least <c>targets.Length × classes</c> values.</param>
    /// <param name="targets">One class index (or <see cref="IgnoreIndex"/>) per row.</param>
    /// <param name="gradient">Receives the gradient; the same length as the rows used of <paramref name="logits"/> or more.</param>
    /// <param name="classes">Number of classes C.</param>
    /// <param name="counted">Number of rows whose target is not <see cref="IgnoreIndex"/>.</param>
    /// <returns>The mean (over counted rows; NaN when none) or summed loss, in double.</returns>
    /// <exception cref="ArgumentException">A buffer is too short or a target is outside [0, C).</exception>
    public double ForwardBackward(T[] logits, ReadOnlySpan<int> targets, T[] gradient, int classes, out int counted)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(gradient);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        int n = targets.Length;
        long values = (long)n * classes;
        if (logits.Length < values || gradient.Length < values)
            throw new ArgumentException($"cross-entropy of {n} targets × {classes} classes needs {values} logits and gradients, got {logits.Length} and {gradient.Length}");
        if (_targets.Length < n)
            _targets = new int[n];
        counted = 0;
        for (int s = 0; s < n; s++)
        {
            int target = _targets[s] = targets[s];
            if (target == IgnoreIndex)
                continue;
            if ((uint)target >= (uint)classes)
                throw new ArgumentException($"target {target} of sample {s} is outside [0, {classes})");
            counted++;
        }
        var job = _job;
        if (job.RowLoss.Length < n)
            job.RowLoss = new double[n];
        job.Logits = logits;
        job.Gradient = gradient;
        job.Targets = _targets;
        job.Rows = n;
        job.Classes = classes;
        job.Ignore = IgnoreIndex;
        job.Smoothing = LabelSmoothing;
        job.Scale = Reduction == Reduction.Mean ? 1.0 / counted : 1.0;
        int workers = values < ParallelLogits ? 1 : Math.Min(WorkerPool.Shared.Threads, n);
        try
        {
            if (workers <= 1)
                job.Execute(0, 1, SpinBarrier.Single);
            else
                WorkerPool.Shared.Run(job, workers);
        }
        finally
        {
            job.Logits = job.Gradient = [];
        }
        double total = 0;
        for (int s = 0; s < n; s++)
            total += job.RowLoss[s];
        return Reduction == Reduction.Mean ? total / counted : total;
    }

    /// <summary>The per-row kernel, handed to the pool; worker w takes a contiguous share of the rows.</summary>
    private sealed class RowJob : IPoolJob
    {
        public T[] Logits = [];
        public T[] Gradient = [];
        public int[] Targets = [];
        public double[] RowLoss = [];
        public int Rows, Classes, Ignore;
        public double Smoothing, Scale;

        public void Execute(int worker, int workers, SpinBarrier barrier)
        {
            int c = Classes;
            for (int s = (int)((long)Rows * worker / workers), end = (int)((long)Rows * (worker + 1) / workers); s < end; s++)
            {
                var g = Gradient.AsSpan(s * c, c);
                int target = Targets[s];
                if (target == Ignore)
                {
                    g.Clear();
                    RowLoss[s] = 0;
                    continue;
                }
                RowLoss[s] = Row(Logits.AsSpan(s * c, c), target, g);
            }
        }

        // Softmax into g (exponentials first, then scaled), the row's loss in double.
        private double Row(ReadOnlySpan<T> z, int target, Span<T> g)
        {
            int c = z.Length;
            T max = T.NegativeInfinity;
            foreach (var v in z)
                max = T.Max(max, v);
            double sum = 0, sumShifted = 0;
            for (int k = 0; k < c; k++)
            {
                double shifted = double.CreateChecked(z[k] - max);
                double e = Math.Exp(shifted);
                g[k] = T.CreateChecked(e);
                sum += e;
                sumShifted += shifted;
            }
            double logSum = Math.Log(sum);
            double eps = Smoothing;
            // −(1 − ε)·log p_target − ε/C · Σ_k log p_k (the ε term skipped at ε = 0, where a −∞ logit would give 0·∞)
            double loss = -(1 - eps) * (double.CreateChecked(z[target] - max) - logSum);
            if (eps > 0)
                loss -= eps * (sumShifted / c - logSum);
            // softmax minus the smoothed target (1 − ε) one-hot + ε/C, times the reduction's scale
            double inv = Scale / sum, uniform = Scale * eps / c;
            for (int k = 0; k < c; k++)
                g[k] = T.CreateChecked(double.CreateChecked(g[k]) * inv - uniform);
            g[target] -= T.CreateChecked(Scale * (1 - eps));
            return loss;
        }
    }
}

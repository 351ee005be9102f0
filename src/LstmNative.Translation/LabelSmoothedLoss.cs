using System.Numerics;

namespace LstmNative.Translation;

/// <summary>
/// Cross-entropy with label smoothing over logits <c>[N, V]</c>, ignoring padding targets (PyTorch's
/// <c>CrossEntropyLoss(ignore_index=pad, label_smoothing=ε)</c>: target weight 1-ε plus ε/V on every class), summed
/// over the counted rows and divided by their number. Rows run in parallel; each row's result is independent of
/// the thread count.
/// </summary>
public static class LabelSmoothedLoss
{
    /// <summary>Computes the mean loss and writes dL/dlogits into <paramref name="gradient"/> (overwritten).</summary>
    /// <returns>The mean loss and the number of counted targets.</returns>
    public static (double Loss, int Count) Compute<T>(T[] logits, ReadOnlySpan<int> targets, int vocabulary, double smoothing, T[] gradient, int ignoreIndex = Vocabulary.Pad)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(gradient);
        int n = targets.Length;
        if (logits.Length != n * vocabulary || gradient.Length != logits.Length)
            throw new ArgumentException($"logits of {logits.Length} values for {n} targets × {vocabulary} classes");
        int count = 0;
        foreach (int t in targets)
            if (t != ignoreIndex)
                count++;
        var rowLoss = new double[n];
        var tg = targets.ToArray();
        Parallel.For(0, Math.Min(n, Environment.ProcessorCount * 2), chunk =>
        {
            int chunks = Math.Min(n, Environment.ProcessorCount * 2);
            for (int i = n * chunk / chunks; i < n * (chunk + 1) / chunks; i++)
            {
                var z = logits.AsSpan(i * vocabulary, vocabulary);
                var g = gradient.AsSpan(i * vocabulary, vocabulary);
                if (tg[i] == ignoreIndex)
                {
                    g.Clear();
                    continue;
                }
                if ((uint)tg[i] >= (uint)vocabulary)
                    throw new ArgumentException($"target {tg[i]} outside [0, {vocabulary})");
                T max = T.NegativeInfinity;
                foreach (var v in z)
                    if (v > max)
                        max = v;
                double sum = 0, sumZ = 0;
                for (int j = 0; j < vocabulary; j++)
                {
                    double ez = Math.Exp(double.CreateChecked(z[j] - max));
                    g[j] = T.CreateChecked(ez);
                    sum += ez;
                    sumZ += double.CreateChecked(z[j] - max);
                }
                double logSum = Math.Log(sum);
                double logPTarget = double.CreateChecked(z[tg[i]] - max) - logSum;
                double meanLogP = sumZ / vocabulary - logSum;
                rowLoss[i] = -(1 - smoothing) * logPTarget - smoothing * meanLogP;
                double inv = 1 / (sum * count), uniform = smoothing / vocabulary / count;
                for (int j = 0; j < vocabulary; j++)
                    g[j] = T.CreateChecked(double.CreateChecked(g[j]) * inv - uniform);
                g[tg[i]] -= T.CreateChecked((1 - smoothing) / count);
            }
        });
        return (count == 0 ? 0 : rowLoss.Sum() / count, count);
    }
}

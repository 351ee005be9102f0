using LstmNative.Training;

namespace LstmNative.Tutorial;

/// <summary>Small data for the samples (deterministic for a seed).</summary>
public static class Toy
{
    /// <summary>Uniform values in [-1, 1).</summary>
    public static Tensor<float> Random(Random rng, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var t = new Tensor<float>(shape);
        for (int i = 0; i < t.Length; i++)
            t.Data[i] = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }

    /// <summary>A noisy sine wave with a slow trend: <paramref name="n"/> values.</summary>
    public static double[] Series(int n, int seed = 1)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(t => 10 + 0.01 * t + 3 * Math.Sin(t * 2 * Math.PI / 24) + 0.2 * (rng.NextDouble() - 0.5)).ToArray();
    }

    /// <summary>Next-step windows over <paramref name="series"/>: inputs <c>[n, window, 1]</c>, targets <c>[n, 1]</c>.</summary>
    public static (Tensor<float> X, Tensor<float> Y) NextStep(double[] series, int window)
    {
        ArgumentNullException.ThrowIfNull(series);
        int n = series.Length - window;
        var x = new Tensor<float>(n, window, 1);
        var y = new Tensor<float>(n, 1);
        for (int i = 0; i < n; i++)
        {
            for (int t = 0; t < window; t++)
                x.Data[i * window + t] = (float)series[i + t];
            y.Data[i] = (float)series[i + window];
        }
        return (x, y);
    }

    /// <summary>The fraction of rows whose largest logit is at the label.</summary>
    public static double Accuracy(Tensor<float> logits, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        int classes = logits.Dim(1), right = 0;
        for (int b = 0; b < labels.Length; b++)
        {
            var row = logits.Data.AsSpan(b * classes, classes);
            int best = 0;
            for (int k = 1; k < classes; k++)
                if (row[k] > row[best])
                    best = k;
            right += best == labels[b] ? 1 : 0;
        }
        return (double)right / labels.Length;
    }
}

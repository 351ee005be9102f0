using LstmNative.Model;
using LstmNative.Reference;

namespace LstmNative.Gpu.Tests.Inference;

/// <summary>Which optional features a random test layer has.</summary>
[Flags]
public enum LayerFeatures
{
    None = 0,
    Peepholes = 1,
    Clip = 2,
    InputForget = 4,
    CustomActivations = 8,
    LinearBeforeReset = 16,
}

/// <summary>
/// Random stacks and the expected outputs from the scalar reference engine (double precision), in the session's
/// conventions: y is the last layer's <c>[T, D, B, H]</c>, states are stacked per layer as <c>[D, B, H]</c> blocks;
/// helpers convert to batch-major.
/// </summary>
internal static class InferenceReference
{
    public static LayerWeights<float>[] RandomStack(RnnCellType cell, int input, int hidden, int layers, RnnDirection direction, LayerFeatures features, int seed, double scale = 0.5)
    {
        var rng = new Random(seed);
        var stack = new LayerWeights<float>[layers];
        int inSize = input;
        for (int l = 0; l < layers; l++)
        {
            var o = new RnnLayerOptions(cell, inSize, hidden, direction)
            {
                HasPeepholes = cell == RnnCellType.Lstm && features.HasFlag(LayerFeatures.Peepholes),
                Clip = features.HasFlag(LayerFeatures.Clip) ? 0.7 : null,
                InputForget = cell == RnnCellType.Lstm && features.HasFlag(LayerFeatures.InputForget),
                LinearBeforeReset = cell == RnnCellType.Gru && features.HasFlag(LayerFeatures.LinearBeforeReset),
                Activations = features.HasFlag(LayerFeatures.CustomActivations) ? CustomActivations(cell, direction.Count()) : null,
            };
            stack[l] = new LayerWeights<float>(o).Randomize(rng, scale);
            inSize = o.DirectionCount * hidden;
        }
        return stack;
    }

    private static Activation[] CustomActivations(RnnCellType cell, int directions)
    {
        Activation[] lstm = [Activation.Parse("HardSigmoid", 0.25, 0.5), Activation.Parse("ScaledTanh", 1.1, 0.9), Activation.Parse("Softsign")];
        Activation[] lstmReverse = [Activation.Parse("Sigmoid"), Activation.Parse("LeakyRelu", 0.1), Activation.Parse("Tanh")];
        Activation[] gru = [Activation.Parse("HardSigmoid", 0.3, 0.45), Activation.Parse("Elu", 0.8)];
        Activation[] gruReverse = [Activation.Parse("Sigmoid"), Activation.Parse("Softplus")];
        var first = cell == RnnCellType.Lstm ? lstm : gru;
        var second = cell == RnnCellType.Lstm ? lstmReverse : gruReverse;
        return directions == 1 ? first : [.. first, .. second];
    }

    public static float[] Random(int count, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var v = new float[count];
        for (int i = 0; i < v.Length; i++)
            v[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return v;
    }

    /// <summary>Runs the stack on the reference engine; inputs time-major.</summary>
    public static (float[] Y, float[] Yh, float[] Yc) Run(IReadOnlyList<LayerWeights<float>> layers, float[] x, int steps, int batch,
        int[]? lengths = null, float[]? h0 = null, float[]? c0 = null)
    {
        double[] input = Array.ConvertAll(x, v => (double)v);
        var yh = new List<double>();
        var yc = new List<double>();
        double[] y = [];
        long offset = 0;
        for (int l = 0; l < layers.Count; l++)
        {
            var o = layers[l].Options;
            int state = o.DirectionCount * batch * o.HiddenSize;
            double[] lh0 = h0 is null ? [] : Array.ConvertAll(h0[(int)offset..(int)(offset + state)], v => (double)v);
            double[] lc0 = c0 is null || o.Cell != RnnCellType.Lstm ? [] : Array.ConvertAll(c0[(int)offset..(int)(offset + state)], v => (double)v);
            var trace = ReferenceRnn.Forward(layers[l].Convert<double>(), input, steps, batch, lengths ?? [], lh0, lc0);
            yh.AddRange(trace.Yh);
            yc.AddRange(o.Cell == RnnCellType.Lstm ? trace.Yc : new double[state]);
            y = trace.Y;
            input = Interleave(trace.Y, steps, o.DirectionCount, batch, o.HiddenSize);
            offset += state;
        }
        return (ToFloats(y), ToFloats(yh.ToArray()), ToFloats(yc.ToArray()));
    }

    private static float[] ToFloats(double[] v) => Array.ConvertAll(v, d => (float)d);

    // [T, D, B, H] -> [T, B, D*H]
    private static double[] Interleave(double[] y, int steps, int dirs, int batch, int h)
    {
        var r = new double[y.Length];
        for (int t = 0; t < steps; t++)
            for (int d = 0; d < dirs; d++)
                for (int b = 0; b < batch; b++)
                    Array.Copy(y, ((t * dirs + d) * batch + b) * h, r, ((t * batch + b) * dirs + d) * h, h);
        return r;
    }

    /// <summary>[A, B, C] -> [B, A, C].</summary>
    public static float[] SwapFirstTwo(float[] v, int a, int b, int c)
    {
        var r = new float[v.Length];
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++)
                Array.Copy(v, (i * b + j) * c, r, (j * a + i) * c, c);
        return r;
    }

    /// <summary>y [T, D, B, H] -> [B, T, D, H].</summary>
    public static float[] YToBatchMajor(float[] y, int steps, int dirs, int batch, int h)
    {
        var r = new float[y.Length];
        for (int t = 0; t < steps; t++)
            for (int d = 0; d < dirs; d++)
                for (int b = 0; b < batch; b++)
                    Array.Copy(y, ((t * dirs + d) * batch + b) * h, r, ((b * steps + t) * dirs + d) * h, h);
        return r;
    }

    /// <summary>Stacked [D, B, H] blocks -> stacked [B, D, H] blocks (or back with <paramref name="inverse"/>).</summary>
    public static float[] StatesToBatchMajor(float[] states, IReadOnlyList<LayerWeights<float>> layers, int batch, bool inverse = false)
    {
        var r = new float[states.Length];
        int offset = 0;
        foreach (var layer in layers)
        {
            int d = layer.Options.DirectionCount, h = layer.Options.HiddenSize;
            var block = states[offset..(offset + d * batch * h)];
            var swapped = inverse ? SwapFirstTwo(block, batch, d, h) : SwapFirstTwo(block, d, batch, h);
            swapped.CopyTo(r, offset);
            offset += d * batch * h;
        }
        return r;
    }

    /// <summary>The largest |a − e| / max(1, |e|), NaN counting as infinite; and where.</summary>
    public static (double Worst, int At) WorstError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        if (actual.Length != expected.Length)
            return (double.PositiveInfinity, -1);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < actual.Length; i++)
        {
            double e = Math.Abs((double)actual[i] - expected[i]) / Math.Max(1, Math.Abs((double)expected[i]));
            if (double.IsNaN(e))
                e = double.PositiveInfinity;
            if (e > worst)
            {
                worst = e;
                at = i;
            }
        }
        return (worst, at);
    }
}

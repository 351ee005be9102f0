using LstmNative.Gpu.Device;
using LstmNative.Gpu.Training;
using LstmNative.Model;
using LstmNative.Reference;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Training;

/// <summary>One gradient-check configuration: a stack of layers and which inputs and upstream gradients are present.</summary>
internal sealed record StackCase(string Name, RnnLayerOptions[] Layers, int Steps, int Batch)
{
    public bool Lengths { get; init; }
    public bool H0 { get; init; } = true;
    public bool C0 { get; init; } = true;
    public bool DY { get; init; } = true;
    public bool DHn { get; init; } = true;
    public bool DCn { get; init; } = true;
    public double Dropout { get; init; }
    public int Seed { get; init; } = 1;

    public override string ToString() => Name;
}

/// <summary>
/// The gradient checks shared by the CPU-emulated (Host) and the GPU (Device) tests: random model and data, the
/// reference (ReferenceRnn layer by layer, in double, on the same float-rounded weights) against GpuRnnStack on a
/// training device, every output and gradient compared with a tolerance scaled by the tensor's magnitude.
/// </summary>
internal static class StackCases
{
    private static readonly Activation[] LstmOdd =
    [
        Activation.Parse("HardSigmoid", 0.25, 0.5), Activation.Parse("Softsign"), Activation.Parse("Elu", 0.8),
        Activation.Parse("Sigmoid"), Activation.Parse("ScaledTanh", 0.9, 1.2), Activation.Parse("Softplus"),
    ];

    private static readonly Activation[] GruOdd =
    [
        Activation.Parse("HardSigmoid", 0.3, 0.45), Activation.Parse("LeakyRelu", 0.1),
        Activation.Parse("Sigmoid"), Activation.Parse("Affine", 0.6, 0.1),
    ];

    public static IEnumerable<StackCase> All()
    {
        static RnnLayerOptions Lstm(int i, int h, RnnDirection d = RnnDirection.Forward) => new(RnnCellType.Lstm, i, h, d);
        static RnnLayerOptions Gru(int i, int h, bool lbr, RnnDirection d = RnnDirection.Forward) => new(RnnCellType.Gru, i, h, d) { LinearBeforeReset = lbr };

        yield return new StackCase("lstm forward, zero initial state", [Lstm(4, 6)], 5, 3) { H0 = false, C0 = false };
        yield return new StackCase("lstm reverse, lengths, initial states", [Lstm(4, 6, RnnDirection.Reverse)], 6, 4) { Lengths = true };
        yield return new StackCase("lstm bidirectional, peepholes, lengths", [Lstm(5, 7, RnnDirection.Bidirectional) with { HasPeepholes = true }], 6, 4) { Lengths = true };
        yield return new StackCase("lstm input_forget + peepholes", [Lstm(3, 5) with { InputForget = true, HasPeepholes = true }], 5, 2);
        yield return new StackCase("lstm clip + activations, bidirectional", [Lstm(4, 5, RnnDirection.Bidirectional) with { Clip = 0.9, Activations = LstmOdd }], 5, 3) { Lengths = true };
        yield return new StackCase("lstm only dY_h", [Lstm(4, 6)], 5, 3) { DY = false, DCn = false };
        yield return new StackCase("lstm only dY", [Lstm(4, 6, RnnDirection.Reverse)], 5, 3) { DHn = false, DCn = false };
        yield return new StackCase("gru lbr=1 forward", [Gru(4, 6, true)], 5, 3) { H0 = false };
        yield return new StackCase("gru lbr=1 bidirectional, lengths", [Gru(5, 6, true, RnnDirection.Bidirectional)], 6, 4) { Lengths = true };
        yield return new StackCase("gru lbr=0 forward", [Gru(4, 6, false)], 5, 3);
        yield return new StackCase("gru lbr=0 reverse, lengths", [Gru(4, 6, false, RnnDirection.Reverse)], 6, 4) { Lengths = true };
        yield return new StackCase("gru lbr=0 bidirectional, lengths", [Gru(3, 5, false, RnnDirection.Bidirectional)], 6, 4) { Lengths = true };
        yield return new StackCase("gru lbr=1 clip + activations", [Gru(4, 5, true, RnnDirection.Bidirectional) with { Clip = 0.8, Activations = GruOdd }], 5, 3) { Lengths = true };
        yield return new StackCase("gru lbr=0 clip + activations", [Gru(4, 5, false, RnnDirection.Bidirectional) with { Clip = 0.8, Activations = GruOdd }], 5, 3) { Lengths = true };
        yield return new StackCase("one of everything: T=1, B=1, I=1, H=1", [Lstm(1, 1)], 1, 1);
        yield return new StackCase("gru T=1 lengths", [Gru(2, 3, false, RnnDirection.Bidirectional)], 1, 3) { Lengths = true };
        yield return new StackCase("odd sizes", [Lstm(7, 13, RnnDirection.Bidirectional)], 9, 5) { Lengths = true };
        yield return new StackCase("three layers, mixed", [Lstm(3, 4, RnnDirection.Bidirectional), Gru(8, 5, true), Lstm(5, 3, RnnDirection.Reverse) with { HasPeepholes = true }], 5, 3) { Lengths = true, C0 = false };
        yield return new StackCase("two gru layers lbr=0, bidirectional", [Gru(3, 4, false, RnnDirection.Bidirectional), Gru(8, 4, false, RnnDirection.Bidirectional)], 4, 2);
        yield return new StackCase("two lstm layers with dropout", [Lstm(3, 5), Lstm(5, 4)], 5, 3) { Dropout = 0.4 };
        yield return new StackCase("long sequence", [Lstm(3, 8)], 160, 2) { Lengths = true };
    }

    /// <summary>Runs the case on <paramref name="device"/> and compares everything with the reference.</summary>
    public static void Check(DeviceArena device, StackCase c, double tolerance)
    {
        var rng = new Random(c.Seed);
        var layers = c.Layers;
        int steps = c.Steps, batch = c.Batch, count = layers.Length;
        bool allLstm = layers.All(o => o.Cell == RnnCellType.Lstm);
        var weightsF = layers.Select(o => new LayerWeights<double>(o).Randomize(rng, 0.6).Convert<float>()).ToArray();
        var weightsD = weightsF.Select(w => w.Convert<double>()).ToArray();
        long state = layers.Sum(o => (long)o.DirectionCount * batch * o.HiddenSize);
        var top = layers[^1];
        int outSize = top.DirectionCount * top.HiddenSize;
        float[] x = Random(rng, steps * batch * layers[0].InputSize, 1.0);
        int[] lengths = c.Lengths ? Enumerable.Range(0, batch).Select(b => b == 1 ? 0 : b == 0 ? steps : rng.Next(1, steps + 1)).ToArray() : [];
        float[] h0 = c.H0 ? Random(rng, (int)state, 0.5) : [];
        float[] c0 = c.C0 && allLstm ? Random(rng, (int)state, 0.5) : [];
        float[] dY = c.DY ? Random(rng, steps * batch * outSize, 1.0) : [];
        float[] dHn = c.DHn ? Random(rng, (int)state, 1.0) : [];
        float[] dCn = c.DCn && allLstm ? Random(rng, (int)state, 1.0) : [];
        const ulong seed = 1234;

        // The reference: layer by layer, [T, D, B, H] <-> [T, B, D*H] at the layer boundaries.
        var traces = new LayerTrace<double>[count];
        double[] input = ToDoubles(x);
        var refHn = new double[state];
        var refCn = new double[allLstm ? state : 0];
        long offset = 0;
        var masks = new float[count][];
        for (int l = 0; l < count; l++)
        {
            var o = layers[l];
            int st = o.DirectionCount * batch * o.HiddenSize;
            traces[l] = ReferenceRnn.Forward(weightsD[l], input, steps, batch, lengths,
                h0.Length > 0 ? ToDoubles(h0.AsSpan((int)offset, st)) : [],
                o.Cell == RnnCellType.Lstm && c0.Length > 0 ? ToDoubles(c0.AsSpan((int)offset, st)) : []);
            traces[l].Yh.CopyTo(refHn, offset);
            if (allLstm)
                traces[l].Yc.CopyTo(refCn, offset);
            input = Interleave(traces[l].Y, steps, o.DirectionCount, batch, o.HiddenSize);
            if (c.Dropout > 0 && l < count - 1)
            {
                ulong layerSeed = DropoutMask.LayerSeed(seed, l);
                masks[l] = new float[input.Length];
                for (int i = 0; i < input.Length; i++)
                {
                    masks[l][i] = DropoutMask.Value(layerSeed, i, c.Dropout);
                    input[i] *= masks[l][i];
                }
            }
            offset += st;
        }
        double[] refOut = input;
        double[] dOut = c.DY ? ToDoubles(dY) : new double[refOut.Length];
        var refGrads = new LayerGradients<double>[count];
        var refDh0 = new double[state];
        var refDc0 = new double[allLstm ? state : 0];
        for (int l = count - 1; l >= 0; l--)
        {
            var o = layers[l];
            int st = o.DirectionCount * batch * o.HiddenSize;
            offset -= st;
            if (masks[l] is { } mask)
                for (int i = 0; i < dOut.Length; i++)
                    dOut[i] *= mask[i];
            refGrads[l] = ReferenceRnn.Backward(traces[l], Split(dOut, steps, o.DirectionCount, batch, o.HiddenSize),
                dHn.Length > 0 ? ToDoubles(dHn.AsSpan((int)offset, st)) : [],
                o.Cell == RnnCellType.Lstm && dCn.Length > 0 ? ToDoubles(dCn.AsSpan((int)offset, st)) : []);
            refGrads[l].DH0.CopyTo(refDh0, offset);
            if (allLstm)
                refGrads[l].DC0.CopyTo(refDc0, offset);
            dOut = refGrads[l].DX;
        }

        // The device.
        var layout = new ParameterLayout(layers);
        var weights = new DeviceTrainingWeights(device, layout);
        var stack = new GpuRnnStack(device, layers, layout, weights.Parameters, weights.Gradients, steps + 2, batch + 1, c.Dropout);
        weights.Upload(weightsF);
        weights.ZeroGradients();
        stack.Forward(x, steps, batch, lengths, h0, c0, training: true, seed: seed);
        stack.Backward(dY, dHn, dCn, inputGradient: true);

        var output = new float[refOut.Length];
        stack.ReadOutput(output);
        var hn = new float[state];
        stack.ReadHn(hn);
        var dx = new float[x.Length];
        stack.ReadInputGradient(dx);
        var dh0 = new float[state];
        stack.ReadH0Gradient(dh0);
        var grads = weights.DownloadGradients();

        Assert.Multiple(() =>
        {
            Compare(output, refOut, tolerance, "output");
            Compare(hn, refHn, tolerance, "h_n");
            if (allLstm)
            {
                var cn = new float[state];
                stack.ReadCn(cn);
                Compare(cn, refCn, tolerance, "c_n");
                var dc0 = new float[state];
                stack.ReadC0Gradient(dc0);
                Compare(dc0, refDc0, tolerance, "dc0");
            }
            Compare(dx, refGrads[0].DX, tolerance, "dx");
            Compare(dh0, refDh0, tolerance, "dh0");
            for (int l = 0; l < count; l++)
                for (int d = 0; d < layers[l].DirectionCount; d++)
                {
                    var got = grads[l].Directions[d];
                    var want = refGrads[l].Weights.Directions[d];
                    string at = $"layer {l} direction {d}";
                    Compare(got.W, want.W, tolerance, $"dW {at}");
                    Compare(got.R, want.R, tolerance, $"dR {at}");
                    Compare(got.Bw, want.Bw, tolerance, $"dWb {at}");
                    Compare(got.Br, want.Br, tolerance, $"dRb {at}");
                    if (want.P is not null)
                        Compare(got.P!, want.P, tolerance, $"dP {at}");
                }
        });
    }

    /// <summary>|got - want| &lt;= tolerance · max(1, max |want|) for every element.</summary>
    public static void Compare(ReadOnlySpan<float> got, ReadOnlySpan<double> want, double tolerance, string what)
    {
        Assert.That(got.Length, Is.EqualTo(want.Length), $"{what}: length");
        double scale = 1;
        foreach (var v in want)
            scale = Math.Max(scale, Math.Abs(v));
        double worst = 0;
        int at = -1;
        for (int i = 0; i < got.Length; i++)
        {
            double e = Math.Abs(got[i] - want[i]);
            if (!(e <= worst))
            {
                worst = double.IsNaN(e) ? double.PositiveInfinity : e;
                at = i;
            }
        }
        Assert.That(worst / scale, Is.LessThanOrEqualTo(tolerance),
            $"{what}: worst error {worst} at {at} (got {(at >= 0 ? got[at] : 0)}, want {(at >= 0 ? want[at] : 0)}, scale {scale})");
    }

    public static float[] Random(Random rng, int count, double scale)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++)
            v[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return v;
    }

    public static double[] ToDoubles(ReadOnlySpan<float> v)
    {
        var r = new double[v.Length];
        for (int i = 0; i < v.Length; i++)
            r[i] = v[i];
        return r;
    }

    // [T, D, B, H] -> [T, B, D*H]
    public static double[] Interleave(double[] y, int steps, int dirs, int batch, int h)
    {
        var r = new double[y.Length];
        for (int t = 0; t < steps; t++)
            for (int d = 0; d < dirs; d++)
                for (int b = 0; b < batch; b++)
                    Array.Copy(y, ((t * dirs + d) * batch + b) * h, r, ((t * batch + b) * dirs + d) * h, h);
        return r;
    }

    // [T, B, D*H] -> [T, D, B, H]
    public static double[] Split(double[] y, int steps, int dirs, int batch, int h)
    {
        var r = new double[y.Length];
        for (int t = 0; t < steps; t++)
            for (int d = 0; d < dirs; d++)
                for (int b = 0; b < batch; b++)
                    Array.Copy(y, ((t * batch + b) * dirs + d) * h, r, ((t * dirs + d) * batch + b) * h, h);
        return r;
    }
}

using System.Numerics;
using LstmNative.Model;
using LstmNative.Reference;

namespace LstmNative.Layers;

/// <summary>What a multi-layer forward pass returns: PyTorch's <c>(output, h_n, c_n)</c> plus the per-layer traces.</summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class StackPass<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    internal StackPass(RnnModel<T> model, int steps, int batch, LayerTrace<T>[] layers, T[]?[] dropoutMasks, T[] output, T[] hn, T[] cn)
    {
        Model = model;
        Steps = steps;
        Batch = batch;
        Layers = layers;
        DropoutMasks = dropoutMasks;
        Output = output;
        Hn = hn;
        Cn = cn;
    }

    /// <summary>The network that ran.</summary>
    public RnnModel<T> Model { get; }

    /// <summary>Sequence length.</summary>
    public int Steps { get; }

    /// <summary>Batch size.</summary>
    public int Batch { get; }

    /// <summary>Output of the last layer: <c>[T, B, D*H]</c>, or <c>[B, T, D*H]</c> when batch-first.</summary>
    public T[] Output { get; }

    /// <summary>Final hidden state of every layer and direction: <c>[L*D, B, H]</c> (<c>H</c> = proj_size with a projection).</summary>
    public T[] Hn { get; }

    /// <summary>Final cell state (LSTM): <c>[L*D, B, H]</c>; empty for GRU.</summary>
    public T[] Cn { get; }

    internal LayerTrace<T>[] Layers { get; }

    internal T[]?[] DropoutMasks { get; }
}

/// <summary>Gradients of a multi-layer pass: input, initial states and every layer's weights.</summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class StackGradients<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    internal StackGradients(T[] dInput, T[] dH0, T[] dC0, LayerWeights<T>[] layers)
    {
        DInput = dInput;
        DH0 = dH0;
        DC0 = dC0;
        Layers = layers;
    }

    /// <summary>dL/d(input), in the input's layout.</summary>
    public T[] DInput { get; }

    /// <summary>dL/d(h_0) <c>[L*D, B, H]</c> (<c>H</c> = proj_size with a projection).</summary>
    public T[] DH0 { get; }

    /// <summary>dL/d(c_0) <c>[L*D, B, H]</c> (LSTM).</summary>
    public T[] DC0 { get; }

    /// <summary>dL/d(weights) per layer (biases are zero when the model has none).</summary>
    public IReadOnlyList<LayerWeights<T>> Layers { get; }
}

/// <summary>
/// Multi-layer forward and backward on the reference engine, with PyTorch's conventions: input
/// <c>[T, B, I]</c> (or <c>[B, T, I]</c> batch-first), output <c>[T, B, D*H]</c>, states <c>[L*D, B, H]</c>,
/// dropout between layers in training. With a projection (<see cref="RnnOptions.ProjectionSize"/>) the output and
/// <c>h_n</c> have proj_size features per direction, <c>c_n</c> keeps hidden_size.
/// </summary>
public static class ReferenceStack
{
    /// <summary>Runs the stack forward.</summary>
    /// <param name="model">The network.</param>
    /// <param name="input">The input sequence, laid out per <see cref="RnnOptions.BatchFirst"/>.</param>
    /// <param name="steps">Sequence length.</param>
    /// <param name="batch">Batch size.</param>
    /// <param name="h0">Initial hidden states <c>[L*D, B, H]</c>, or empty for zeros.</param>
    /// <param name="c0">Initial cell states <c>[L*D, B, H]</c> (LSTM), or empty for zeros.</param>
    /// <param name="sequenceLengths">Valid length per batch row, or empty (like a packed sequence).</param>
    /// <param name="training">Applies dropout between layers when true.</param>
    /// <param name="dropoutSeed">Seed of the dropout masks (deterministic training).</param>
    public static StackPass<T> Forward<T>(RnnModel<T> model, ReadOnlySpan<T> input, int steps, int batch,
        ReadOnlySpan<T> h0, ReadOnlySpan<T> c0, ReadOnlySpan<int> sequenceLengths = default, bool training = false, int dropoutSeed = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        var o = model.Options;
        int dirs = o.DirectionCount, h = o.HiddenSize, ho = o.StateSize, layers = o.NumLayers;
        CheckStack(o, input.Length, steps, batch, h0.Length, c0.Length);
        var rng = new Random(dropoutSeed);
        var traces = new LayerTrace<T>[layers];
        var masks = new T[]?[layers];
        T[] x = o.BatchFirst ? SwapFirstTwo(input, batch, steps, o.InputSize) : input.ToArray();
        int state = dirs * batch * h, hidden = dirs * batch * ho;
        var hn = new T[layers * hidden];
        var cn = new T[o.Cell == RnnCellType.Lstm ? layers * state : 0];
        for (int l = 0; l < layers; l++)
        {
            var trace = ReferenceRnn.Forward(model.Layers[l], x, steps, batch, sequenceLengths,
                h0.IsEmpty ? [] : h0.Slice(l * hidden, hidden), c0.IsEmpty ? [] : c0.Slice(l * state, state));
            traces[l] = trace;
            trace.Yh.CopyTo(hn, l * hidden);
            if (cn.Length > 0)
                trace.Yc.CopyTo(cn, l * state);
            x = InterleaveDirections(trace.Y, steps, dirs, batch, ho);
            if (training && o.Dropout > 0 && l < layers - 1)
            {
                var mask = new T[x.Length];
                T keep = T.CreateChecked(1 / (1 - o.Dropout));
                for (int i = 0; i < mask.Length; i++)
                {
                    mask[i] = o.Dropout >= 1 || rng.NextDouble() < o.Dropout ? T.Zero : keep;
                    x[i] *= mask[i];
                }
                masks[l] = mask;
            }
        }
        var output = o.BatchFirst ? SwapFirstTwo<T>(x, steps, batch, o.OutputSize) : x;
        return new StackPass<T>(model, steps, batch, traces, masks, output, hn, cn);
    }

    /// <summary>Back-propagates upstream gradients (each may be empty for zero) through a forward pass.</summary>
    /// <param name="trace">The forward pass.</param>
    /// <param name="dOutput">dL/d(output), in the output's layout.</param>
    /// <param name="dHn">dL/d(h_n) <c>[L*D, B, H]</c>.</param>
    /// <param name="dCn">dL/d(c_n) <c>[L*D, B, H]</c> (LSTM).</param>
    public static StackGradients<T> Backward<T>(StackPass<T> trace, ReadOnlySpan<T> dOutput, ReadOnlySpan<T> dHn, ReadOnlySpan<T> dCn)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(trace);
        var o = trace.Model.Options;
        int dirs = o.DirectionCount, h = o.HiddenSize, ho = o.StateSize, layers = o.NumLayers, steps = trace.Steps, batch = trace.Batch;
        int state = dirs * batch * h, hidden = dirs * batch * ho;
        if (!dOutput.IsEmpty && dOutput.Length != trace.Output.Length)
            throw new ArgumentException($"gradient of output must hold {trace.Output.Length} elements, got {dOutput.Length}");
        if (!dHn.IsEmpty && dHn.Length != trace.Hn.Length)
            throw new ArgumentException($"gradient of h_n must hold {trace.Hn.Length} elements, got {dHn.Length}");
        if (!dCn.IsEmpty && dCn.Length != trace.Cn.Length)
            throw new ArgumentException($"gradient of c_n must hold {trace.Cn.Length} elements, got {dCn.Length}");

        T[] dx = dOutput.IsEmpty ? new T[trace.Output.Length]
            : o.BatchFirst ? SwapFirstTwo(dOutput, batch, steps, o.OutputSize) : dOutput.ToArray();
        var dH0 = new T[layers * hidden];
        var dC0 = new T[o.Cell == RnnCellType.Lstm ? layers * state : 0];
        var weightGrads = new LayerWeights<T>[layers];
        for (int l = layers - 1; l >= 0; l--)
        {
            if (trace.DropoutMasks[l] is { } mask)
                for (int i = 0; i < dx.Length; i++)
                    dx[i] *= mask[i];
            T[] dY = SplitDirections(dx, steps, dirs, batch, ho);
            var g = ReferenceRnn.Backward(trace.Layers[l], dY,
                dHn.IsEmpty ? [] : dHn.Slice(l * hidden, hidden),
                dCn.IsEmpty ? [] : dCn.Slice(l * state, state));
            g.DH0.CopyTo(dH0, l * hidden);
            if (dC0.Length > 0)
                g.DC0.CopyTo(dC0, l * state);
            if (!o.Bias)
                foreach (var d in g.Weights.Directions)
                {
                    Array.Clear(d.Bw);
                    Array.Clear(d.Br);
                }
            weightGrads[l] = g.Weights;
            dx = g.DX;
        }
        var dInput = o.BatchFirst ? SwapFirstTwo<T>(dx, steps, batch, o.InputSize) : dx;
        return new StackGradients<T>(dInput, dH0, dC0, weightGrads);
    }

    /// <summary>Checks a stack call with PyTorch's messages.</summary>
    internal static void CheckStack(RnnOptions o, int inputLength, int steps, int batch, int h0Length, int c0Length)
    {
        if (steps < 1)
            throw new ArgumentException("Expected sequence length to be larger than 0 in RNN");
        if (batch < 1)
            throw new ArgumentException($"Expected batch size to be larger than 0, got {batch}");
        long expected = (long)steps * batch * o.InputSize;
        if (inputLength != expected)
            throw new ArgumentException(o.BatchFirst
                ? $"input must hold [batch={batch}, seq={steps}, input_size={o.InputSize}] = {expected} elements, got {inputLength}"
                : $"input must hold [seq={steps}, batch={batch}, input_size={o.InputSize}] = {expected} elements, got {inputLength}");
        long state = (long)o.NumLayers * o.DirectionCount * batch * o.HiddenSize;
        long hidden = (long)o.NumLayers * o.DirectionCount * batch * o.StateSize;
        string tuple = $"({o.NumLayers * o.DirectionCount}, {batch}, {o.HiddenSize})";
        string hiddenTuple = $"({o.NumLayers * o.DirectionCount}, {batch}, {o.StateSize})";
        if (h0Length != 0 && h0Length != hidden)
            throw new ArgumentException(o.Cell == RnnCellType.Lstm
                ? $"Expected hidden[0] size {hiddenTuple}, got {h0Length} elements"
                : $"Expected hidden size {hiddenTuple}, got {h0Length} elements");
        if (c0Length != 0 && o.Cell != RnnCellType.Lstm)
            throw new ArgumentException("GRU has no cell state, but c0 was given");
        if (c0Length != 0 && c0Length != state)
            throw new ArgumentException($"Expected hidden[1] size {tuple}, got {c0Length} elements");
    }

    // [T, D, B, H] -> [T, B, D*H]
    private static T[] InterleaveDirections<T>(T[] y, int steps, int dirs, int batch, int h)
    {
        var result = new T[y.Length];
        for (int t = 0; t < steps; t++)
            for (int d = 0; d < dirs; d++)
                for (int b = 0; b < batch; b++)
                    Array.Copy(y, ((t * dirs + d) * batch + b) * h, result, ((t * batch + b) * dirs + d) * h, h);
        return result;
    }

    // [T, B, D*H] -> [T, D, B, H]
    private static T[] SplitDirections<T>(T[] y, int steps, int dirs, int batch, int h)
    {
        var result = new T[y.Length];
        for (int t = 0; t < steps; t++)
            for (int d = 0; d < dirs; d++)
                for (int b = 0; b < batch; b++)
                    Array.Copy(y, ((t * batch + b) * dirs + d) * h, result, ((t * dirs + d) * batch + b) * h, h);
        return result;
    }

    // [A, B, C] -> [B, A, C]
    private static T[] SwapFirstTwo<T>(ReadOnlySpan<T> v, int a, int b, int c)
    {
        var result = new T[v.Length];
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++)
                v.Slice((i * b + j) * c, c).CopyTo(result.AsSpan((j * a + i) * c, c));
        return result;
    }
}

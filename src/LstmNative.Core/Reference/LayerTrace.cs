using System.Numerics;
using LstmNative.Model;

namespace LstmNative.Reference;

/// <summary>
/// The outputs of one reference layer forward pass, plus everything backward needs (the "reserve space").
/// All arrays are time-major: <c>Y[T, D, B, H']</c>, <c>Yh[D, B, H']</c>, <c>Yc[D, B, H]</c>, where <c>H'</c> is
/// <see cref="RnnLayerOptions.OutputSize"/> (the projection size of an LSTM with projections, else <c>H</c>).
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class LayerTrace<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    internal LayerTrace(LayerWeights<T> weights, T[] x, int steps, int batch, int[] lengths, T[] h0, T[] c0)
    {
        Weights = weights;
        X = x;
        Steps = steps;
        Batch = batch;
        Lengths = lengths;
        H0 = h0;
        C0 = c0;
        var o = weights.Options;
        int d = o.DirectionCount, h = o.HiddenSize, g = o.GateCount, ho = o.OutputSize;
        Y = new T[steps * d * batch * ho];
        Yh = new T[d * batch * ho];
        Yc = new T[o.Cell == RnnCellType.Lstm ? d * batch * h : 0];
        PreActivations = new T[steps * d * batch * g * h];
        Gates = new T[steps * d * batch * g * h];
        HiddenStates = new T[steps * d * batch * ho];
        CellStates = new T[o.Cell == RnnCellType.Lstm ? steps * d * batch * h : 0];
        RecurrentCandidate = new T[o.Cell == RnnCellType.Gru && o.LinearBeforeReset ? steps * d * batch * h : 0];
    }

    /// <summary>The weights the pass ran with.</summary>
    public LayerWeights<T> Weights { get; }

    /// <summary>Layer options (shortcut for <c>Weights.Options</c>).</summary>
    public RnnLayerOptions Options => Weights.Options;

    /// <summary>Sequence length <c>T</c>.</summary>
    public int Steps { get; }

    /// <summary>Batch size <c>B</c>.</summary>
    public int Batch { get; }

    /// <summary>Per-batch valid lengths (all <c>T</c> when none were given).</summary>
    public int[] Lengths { get; }

    /// <summary>The input <c>X[T, B, I]</c>.</summary>
    public T[] X { get; }

    /// <summary>Initial hidden state <c>[D, B, H']</c> (zeros when none was given).</summary>
    public T[] H0 { get; }

    /// <summary>Initial cell state <c>[D, B, H]</c> (zeros when none was given; empty for GRU).</summary>
    public T[] C0 { get; }

    /// <summary>Output sequence <c>Y[T, D, B, H']</c>; zero past each sequence's end.</summary>
    public T[] Y { get; }

    /// <summary>Final hidden state <c>[D, B, H']</c>: the last valid one.</summary>
    public T[] Yh { get; }

    /// <summary>Final cell state <c>[D, B, H]</c> (LSTM; empty for GRU).</summary>
    public T[] Yc { get; }

    /// <summary>Unclipped gate pre-activations <c>[T, D, B, G*H]</c> in internal gate order.</summary>
    internal T[] PreActivations { get; }

    /// <summary>Activated gates <c>[T, D, B, G*H]</c> in internal gate order.</summary>
    internal T[] Gates { get; }

    /// <summary>Hidden state after each step <c>[T, D, B, H']</c> (unlike Y, not zeroed).</summary>
    internal T[] HiddenStates { get; }

    /// <summary>Cell state after each step <c>[T, D, B, H]</c> (LSTM).</summary>
    internal T[] CellStates { get; }

    /// <summary>GRU with linear_before_reset: <c>Rn·h + Rbn</c> per step <c>[T, D, B, H]</c>.</summary>
    internal T[] RecurrentCandidate { get; }
}

/// <summary>Gradients of one layer pass, on any engine (<c>RnnLayerPass&lt;T&gt;.Backward</c>): inputs, initial states and every weight.</summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class LayerGradients<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    internal LayerGradients(RnnLayerOptions options, int steps, int batch)
    {
        int d = options.DirectionCount, h = options.HiddenSize;
        DX = new T[steps * batch * options.InputSize];
        DH0 = new T[d * batch * options.OutputSize];
        DC0 = new T[options.Cell == RnnCellType.Lstm ? d * batch * h : 0];
        Weights = new LayerWeights<T>(options);
    }

    /// <summary>Wraps gradients an engine assembled itself (e.g. from batch shards).</summary>
    internal LayerGradients(T[] dx, T[] dh0, T[] dc0, LayerWeights<T> weights)
    {
        DX = dx;
        DH0 = dh0;
        DC0 = dc0;
        Weights = weights;
    }

    /// <summary>dL/dX <c>[T, B, I]</c>.</summary>
    public T[] DX { get; }

    /// <summary>dL/d(initial_h) <c>[D, B, H']</c>.</summary>
    public T[] DH0 { get; }

    /// <summary>dL/d(initial_c) <c>[D, B, H]</c> (LSTM; empty for GRU).</summary>
    public T[] DC0 { get; }

    /// <summary>dL/d(every weight), in the same internal layout as the weights.</summary>
    public LayerWeights<T> Weights { get; }
}

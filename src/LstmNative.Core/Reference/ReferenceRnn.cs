using System.Numerics;
using LstmNative.Model;

namespace LstmNative.Reference;

/// <summary>
/// The scalar reference LSTM/GRU engine: one layer, ONNX semantics, forward and backward (BPTT).
/// It is written for clarity, one batch row and one direction at a time, and is the oracle every fast path
/// (CPU SIMD, CUDA) is tested against. Do not optimise it.
/// </summary>
/// <remarks>
/// Shapes are time-major: <c>x[T, B, I]</c>, <c>Y[T, D, B, H]</c>, states <c>[D, B, H]</c>. Gate blocks are in the
/// internal order (LSTM i, f, g, o; GRU r, z, n). Clip (ONNX <c>clip</c>) is applied to each gate's pre-activation,
/// peephole terms included, as ONNX Runtime does; the cell state itself is not clipped.
/// </remarks>
public static class ReferenceRnn
{
    /// <summary>Runs one layer forward and keeps what <see cref="Backward{T}"/> needs.</summary>
    /// <param name="weights">The layer.</param>
    /// <param name="x">Input <c>[T, B, I]</c>.</param>
    /// <param name="steps">Sequence length <c>T</c> (at least 1).</param>
    /// <param name="batch">Batch size <c>B</c> (at least 1).</param>
    /// <param name="sequenceLengths">Valid length per batch row in [0, T]; empty means all <c>T</c>.</param>
    /// <param name="initialH">Initial hidden state <c>[D, B, H]</c>; empty means zeros.</param>
    /// <param name="initialC">Initial cell state <c>[D, B, H]</c> (LSTM); empty means zeros.</param>
    public static LayerTrace<T> Forward<T>(LayerWeights<T> weights, ReadOnlySpan<T> x, int steps, int batch,
        ReadOnlySpan<int> sequenceLengths, ReadOnlySpan<T> initialH, ReadOnlySpan<T> initialC)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(weights);
        var o = weights.Options;
        int[] lengths = RnnShapeChecks.CheckInputs(o, x.Length, steps, batch, sequenceLengths, initialH.Length, initialC.Length);
        int dirs = o.DirectionCount, h = o.HiddenSize, ho = o.OutputSize;
        var h0 = initialH.IsEmpty ? new T[dirs * batch * ho] : initialH.ToArray();
        var c0 = o.Cell == RnnCellType.Lstm ? (initialC.IsEmpty ? new T[dirs * batch * h] : initialC.ToArray()) : [];
        var trace = new LayerTrace<T>(weights, x.ToArray(), steps, batch, lengths, h0, c0);

        for (int d = 0; d < dirs; d++)
        {
            bool reverse = o.RunsReversed(d);
            for (int b = 0; b < batch; b++)
            {
                int len = lengths[b];
                // States entering the first visited step.
                T[] hPrev = h0.AsSpan((d * batch + b) * ho, ho).ToArray();
                T[] cPrev = c0.Length > 0 ? c0.AsSpan((d * batch + b) * h, h).ToArray() : [];
                for (int k = 0; k < len; k++)
                {
                    int t = SequenceWalk.TimeAt(k, len, reverse);
                    if (o.Cell == RnnCellType.Lstm)
                        ReferenceLstmCell.Forward(trace, d, b, t, hPrev, cPrev);
                    else
                        ReferenceGruCell.Forward(trace, d, b, t, hPrev);
                    int s = StateIndex(trace, t, d, b), so = OutputIndex(trace, t, d, b);
                    trace.HiddenStates.AsSpan(so, ho).CopyTo(hPrev);
                    trace.HiddenStates.AsSpan(so, ho).CopyTo(trace.Y.AsSpan(so, ho));
                    if (cPrev.Length > 0)
                        trace.CellStates.AsSpan(s, h).CopyTo(cPrev);
                }
                // The final state is the last valid one (the initial state for an empty sequence).
                hPrev.CopyTo(trace.Yh.AsSpan((d * batch + b) * ho, ho));
                if (cPrev.Length > 0)
                    cPrev.CopyTo(trace.Yc.AsSpan((d * batch + b) * h, h));
            }
        }
        return trace;
    }

    /// <summary>
    /// Back-propagates through a traced forward pass. Each upstream gradient may be empty (meaning zero).
    /// </summary>
    /// <param name="trace">The forward pass.</param>
    /// <param name="dY">dL/dY <c>[T, D, B, H']</c>; entries past a sequence's end are ignored (Y is constant zero there).</param>
    /// <param name="dYh">dL/dY_h <c>[D, B, H']</c>.</param>
    /// <param name="dYc">dL/dY_c <c>[D, B, H]</c> (LSTM).</param>
    public static LayerGradients<T> Backward<T>(LayerTrace<T> trace, ReadOnlySpan<T> dY, ReadOnlySpan<T> dYh, ReadOnlySpan<T> dYc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(trace);
        var o = trace.Options;
        int dirs = o.DirectionCount, h = o.HiddenSize, ho = o.OutputSize, batch = trace.Batch;
        RnnShapeChecks.CheckUpstream(o, trace.Steps, batch, dY.Length, dYh.Length, dYc.Length);
        var grads = new LayerGradients<T>(o, trace.Steps, batch);
        var dh = new T[ho];
        var dc = new T[h];

        for (int d = 0; d < dirs; d++)
        {
            bool reverse = o.RunsReversed(d);
            for (int b = 0; b < batch; b++)
            {
                int len = trace.Lengths[b];
                int fin = (d * batch + b) * h, finOut = (d * batch + b) * ho;
                // Gradients flowing into the last visited step: from the final-state outputs.
                for (int j = 0; j < ho; j++)
                    dh[j] = dYh.IsEmpty ? T.Zero : dYh[finOut + j];
                for (int j = 0; j < h; j++)
                    dc[j] = dYc.IsEmpty || o.Cell != RnnCellType.Lstm ? T.Zero : dYc[fin + j];
                for (int k = len - 1; k >= 0; k--)
                {
                    int t = SequenceWalk.TimeAt(k, len, reverse);
                    int s = OutputIndex(trace, t, d, b);
                    if (!dY.IsEmpty)
                        for (int j = 0; j < ho; j++)
                            dh[j] += dY[s + j];
                    int tPrev = k > 0 ? SequenceWalk.TimeAt(k - 1, len, reverse) : -1;
                    if (o.Cell == RnnCellType.Lstm)
                        ReferenceLstmCell.Backward(trace, grads, d, b, t, tPrev, dh, dc);
                    else
                        ReferenceGruCell.Backward(trace, grads, d, b, t, tPrev, dh);
                }
                // What is left flows into the initial state.
                dh.CopyTo(grads.DH0.AsSpan(finOut, ho));
                if (o.Cell == RnnCellType.Lstm)
                    dc.CopyTo(grads.DC0.AsSpan(fin, h));
            }
        }
        return grads;
    }

    /// <summary>Offset of the <c>[H]</c> state vector for time t, direction d, batch row b in a <c>[T, D, B, H]</c> array.</summary>
    internal static int StateIndex<T>(LayerTrace<T> trace, int t, int d, int b) where T : unmanaged, IFloatingPointIeee754<T> =>
        ((t * trace.Options.DirectionCount + d) * trace.Batch + b) * trace.Options.HiddenSize;

    /// <summary>
    /// Offset of the <c>[H']</c> hidden-state vector for time t, direction d, batch row b in a <c>[T, D, B, H']</c> array
    /// (the same as <see cref="StateIndex{T}"/> unless the LSTM has a projection).
    /// </summary>
    internal static int OutputIndex<T>(LayerTrace<T> trace, int t, int d, int b) where T : unmanaged, IFloatingPointIeee754<T> =>
        ((t * trace.Options.DirectionCount + d) * trace.Batch + b) * trace.Options.OutputSize;

    /// <summary>Offset of the <c>[G*H]</c> gate vector for time t, direction d, batch row b.</summary>
    internal static int GateIndex<T>(LayerTrace<T> trace, int t, int d, int b) where T : unmanaged, IFloatingPointIeee754<T> =>
        StateIndex(trace, t, d, b) * trace.Options.GateCount;

    /// <summary>ONNX clip: limits a pre-activation to [-clip, clip].</summary>
    internal static T Clip<T>(T v, double? clip) where T : IFloatingPointIeee754<T>
    {
        if (clip is not { } c)
            return v;
        T limit = T.CreateChecked(c);
        return v > limit ? limit : v < -limit ? -limit : v;
    }

    /// <summary>Derivative of <see cref="Clip{T}"/>: 1 inside the range, 0 where the value was clipped.</summary>
    internal static T ClipGrad<T>(T v, double? clip) where T : IFloatingPointIeee754<T> =>
        clip is { } c && T.Abs(v) > T.CreateChecked(c) ? T.Zero : T.One;

    /// <summary>y[j] += sum_k M[(row0 + j) * cols + k] * v[k] for j in [0, rows).</summary>
    internal static void MatVecAdd<T>(ReadOnlySpan<T> m, int row0, int rows, int cols, ReadOnlySpan<T> v, Span<T> y) where T : INumber<T>
    {
        for (int j = 0; j < rows; j++)
        {
            var row = m.Slice((row0 + j) * cols, cols);
            T sum = T.Zero;
            for (int k = 0; k < cols; k++)
                sum += row[k] * v[k];
            y[j] += sum;
        }
    }

    /// <summary>y[k] += sum_j M[(row0 + j) * cols + k] * g[j]: the transposed product used by backward.</summary>
    internal static void MatTVecAdd<T>(ReadOnlySpan<T> m, int row0, int rows, int cols, ReadOnlySpan<T> g, Span<T> y) where T : INumber<T>
    {
        for (int j = 0; j < rows; j++)
        {
            var row = m.Slice((row0 + j) * cols, cols);
            T gj = g[j];
            for (int k = 0; k < cols; k++)
                y[k] += row[k] * gj;
        }
    }

    /// <summary>dM[(row0 + j) * cols + k] += g[j] * v[k]: the outer-product weight gradient.</summary>
    internal static void OuterAdd<T>(Span<T> dm, int row0, int rows, int cols, ReadOnlySpan<T> g, ReadOnlySpan<T> v) where T : INumber<T>
    {
        for (int j = 0; j < rows; j++)
        {
            var row = dm.Slice((row0 + j) * cols, cols);
            T gj = g[j];
            for (int k = 0; k < cols; k++)
                row[k] += gj * v[k];
        }
    }
}

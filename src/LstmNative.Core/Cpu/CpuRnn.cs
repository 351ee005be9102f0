using LstmNative.Cpu.Kernels;
using LstmNative.Model;
using LstmNative.Reference;

namespace LstmNative.Cpu;

/// <summary>
/// The fast CPU engine, one layer at a time, with the same API shape and semantics as <see cref="ReferenceRnn"/>
/// (ONNX equations, time-major, sequence lengths, reverse walks from each row's own last step) in float32:
/// SIMD kernels (Vector512 / Vector256+FMA / scalar, chosen at run time), packed weights, one GEMM for all gates and one
/// for the input projection of every step, a fused gate/cell update, and workers from a <see cref="WorkerPool"/>.
/// </summary>
/// <remarks>
/// NaN in inputs or weights propagates as NaN into the outputs that depend on it (IEEE arithmetic throughout; the fast
/// exp/tanh clamp with NaN-propagating min/max); nothing throws or hangs on it. For latency-critical inference use
/// CpuRnnSession, which allocates nothing per call.
/// </remarks>
public static unsafe class CpuRnn
{
    /// <summary>The kernel width this process uses.</summary>
    public static KernelWidth ActiveWidth => CpuKernels.Active;

    /// <summary>Runs one layer forward and keeps what <see cref="Backward"/> needs.</summary>
    /// <param name="weights">The layer.</param>
    /// <param name="x">Input <c>[T, B, I]</c>.</param>
    /// <param name="steps">Sequence length <c>T</c> (at least 1).</param>
    /// <param name="batch">Batch size <c>B</c> (at least 1).</param>
    /// <param name="sequenceLengths">Valid length per batch row in [0, T]; empty means all <c>T</c>.</param>
    /// <param name="initialH">Initial hidden state <c>[D, B, H]</c>; empty means zeros.</param>
    /// <param name="initialC">Initial cell state <c>[D, B, H]</c> (LSTM); empty means zeros.</param>
    /// <param name="options">Threads and pool; null for the defaults.</param>
    public static CpuLayerTrace Forward(LayerWeights<float> weights, ReadOnlySpan<float> x, int steps, int batch,
        ReadOnlySpan<int> sequenceLengths, ReadOnlySpan<float> initialH, ReadOnlySpan<float> initialC, CpuRnnOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var o = weights.Options;
        int[] lengths = RnnShapeChecks.CheckInputs(o, x.Length, steps, batch, sequenceLengths, initialH.Length, initialC.Length);
        options ??= CpuRnnOptions.Default;
        var pool = options.ResolvePool();
        int threads = options.ResolveThreads(pool);
        var plan = new CpuLayerPlan(weights, options.ResolveWidth(), forBackward: true);
        var executor = new LayerExecutor(plan, steps, batch, trace: true, threads);
        var xBuffer = new AlignedBuffer(x.Length);
        x.CopyTo(xBuffer.Span);
        lengths.CopyTo(executor.Lengths, 0);
        var trace = new CpuLayerTrace(weights, executor, xBuffer, steps, batch, lengths, options);
        int d = o.DirectionCount, h = o.HiddenSize;
        fixed (float* h0 = initialH, c0 = initialC, y = trace.Y, yh = trace.Yh, yc = trace.Yc)
        {
            executor.SetInitialState(initialH.IsEmpty ? null : h0, initialC.IsEmpty ? null : c0, batch);
            executor.Forward(pool, threads, xBuffer.Pointer, steps, batch, y, (nint)d * batch * h, h, (nint)batch * h);
            executor.ReadFinalState(yh, trace.Yc.Length > 0 ? yc : null);
        }
        return trace;
    }

    /// <summary>Back-propagates through a traced forward pass. Each upstream gradient may be empty (meaning zero).</summary>
    /// <remarks>
    /// One trace serves one Backward at a time (it owns the buffers the pass runs in): a second call on the same trace
    /// while one is in progress on another thread throws <see cref="InvalidOperationException"/>. Calls on different
    /// traces, of the same weights or not, may run concurrently.
    /// </remarks>
    /// <param name="trace">The forward pass.</param>
    /// <param name="dY">dL/dY <c>[T, D, B, H]</c>; entries past a sequence's end are ignored.</param>
    /// <param name="dYh">dL/dY_h <c>[D, B, H]</c>.</param>
    /// <param name="dYc">dL/dY_c <c>[D, B, H]</c> (LSTM).</param>
    /// <exception cref="InvalidOperationException">Another Backward on <paramref name="trace"/> is in progress.</exception>
    public static LayerGradients<float> Backward(CpuLayerTrace trace, ReadOnlySpan<float> dY, ReadOnlySpan<float> dYh, ReadOnlySpan<float> dYc)
    {
        ArgumentNullException.ThrowIfNull(trace);
        RnnShapeChecks.CheckUpstream(trace.Options, trace.Steps, trace.Batch, dY.Length, dYh.Length, dYc.Length);
        trace.Enter();
        try
        {
            return BackwardCore(trace, dY, dYh, dYc);
        }
        finally
        {
            trace.Exit();
        }
    }

    private static LayerGradients<float> BackwardCore(CpuLayerTrace trace, ReadOnlySpan<float> dY, ReadOnlySpan<float> dYh, ReadOnlySpan<float> dYc)
    {
        var o = trace.Options;
        int dirs = o.DirectionCount, h = o.HiddenSize, batch = trace.Batch, steps = trace.Steps, inSize = o.InputSize;
        var exec = trace.Executor;
        // The rows are walked with the executor's lengths, the ones the forward pass ran with (the executor's walk
        // lengths and buffers were sized from them); nothing outside the engine can change them.
        var lengths = exec.Lengths;
        var plan = exec.Plan;
        int hp = plan.HiddenPadded, nr = plan.PanelWidth;
        var grads = new LayerGradients<float>(o, steps, batch);
        var dg = new DirectionGradients[dirs];
        for (int d = 0; d < dirs; d++)
        {
            bool reverse = o.RunsReversed(d);
            int s = exec.WalkSteps(d);
            var g = dg[d] = new DirectionGradients(plan, s, batch);
            var dh = g.DH.Span;
            var dc = g.DC.Span;
            for (int b = 0; b < batch; b++)
            {
                if (!dYh.IsEmpty)
                    dYh.Slice((d * batch + b) * h, h).CopyTo(dh.Slice(b * hp, h));
                if (!dYc.IsEmpty && plan.IsLstm)
                    dYc.Slice((d * batch + b) * h, h).CopyTo(dc.Slice(b * hp, h));
            }
            var rowOfWalk = new int[s * batch];
            var validWalk = new int[s * batch];
            for (int k = 0; k < s; k++)
                for (int b = 0; b < batch; b++)
                {
                    bool active = k < lengths[b];
                    int t = reverse ? lengths[b] - 1 - k : k;
                    rowOfWalk[k * batch + b] = active ? t * batch + b : -1;
                    validWalk[k * batch + b] = active ? k * batch + b : -1;
                }
            g.RowOfWalk = rowOfWalk;
            g.ValidWalk = validWalk;
            if (!dY.IsEmpty)
            {
                g.DY = new AlignedBuffer((long)s * batch * hp);
                var dyw = g.DY.Span;
                for (int k = 0; k < s * batch; k++)
                {
                    int row = rowOfWalk[k];
                    if (row < 0)
                        continue;
                    int t = row / batch, b = row % batch;
                    dY.Slice(((t * dirs + d) * batch + b) * h, h).CopyTo(dyw.Slice(k * hp, h));
                }
            }
            g.XPacked = new PackedMatrix(s * batch, inSize, nr);
            g.HPacked = new PackedMatrix(s * batch, h, nr);
            if (!plan.IsLstm && !o.LinearBeforeReset)
                g.RHPacked = new PackedMatrix(s * batch, h, nr);
        }

        var pool = trace.RunOptions.ResolvePool();
        exec.Backward(pool, trace.RunOptions.ResolveThreads(pool), dg);

        for (int d = 0; d < dirs; d++)
        {
            var g = dg[d];
            var dst = grads.Weights.Directions[d];
            var groups = plan.Directions[d].Groups;
            for (int gi = 0; gi < groups.Length; gi++)
            {
                var dw = g.DW[gi].Span;
                var dr = g.DR[gi].Span;
                var dbw = g.DBw[gi].Span;
                var dbr = g.DBr[gi].Span;
                for (int col = 0; col < groups[gi].Columns; col++)
                {
                    int row = plan.RowOfColumn(groups[gi], col);
                    if (row < 0)
                        continue;
                    dw.Slice(col * g.InputPadded, inSize).CopyTo(dst.W.AsSpan(row * inSize, inSize));
                    dr.Slice(col * hp, h).CopyTo(dst.R.AsSpan(row * h, h));
                    dst.Bw[row] = dbw[col];
                    dst.Br[row] = dbr[col];
                }
            }
            if (dst.P is { } p)
                for (int k = 0; k < 3; k++)
                    g.DP.Span.Slice(k * hp, h).CopyTo(p.AsSpan(k * h, h));
            var dx = g.DX.Span;
            for (int k = 0; k < g.RowOfWalk.Length; k++)
            {
                int row = g.RowOfWalk[k];
                if (row < 0)
                    continue;
                var src = dx.Slice(k * g.InputPadded, inSize);
                var target = grads.DX.AsSpan(row * inSize, inSize);
                for (int i = 0; i < inSize; i++)
                    target[i] += src[i];
            }
            for (int b = 0; b < batch; b++)
            {
                g.DH.Span.Slice(b * hp, h).CopyTo(grads.DH0.AsSpan((d * batch + b) * h, h));
                if (plan.IsLstm)
                    g.DC.Span.Slice(b * hp, h).CopyTo(grads.DC0.AsSpan((d * batch + b) * h, h));
            }
        }
        return grads;
    }
}

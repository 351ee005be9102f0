using System.Runtime.CompilerServices;
using LstmNative.Model;

namespace LstmNative.Cpu;

/// <summary>
/// An inference session for latency-critical callers: created once for a <see cref="CpuRnnModel"/>, a maximum batch and
/// a maximum sequence length, it owns every buffer and its worker threads, so <see cref="Run"/> and <see cref="Step"/>
/// allocate nothing and write into caller-provided spans.
/// </summary>
/// <remarks>
/// <para>State: the session keeps each layer's hidden (and cell) state between calls. <see cref="Step"/> advances it by one
/// time step; <see cref="Run"/> starts from the given initial states (zeros when none) and leaves the state at its final
/// one, so Step can continue a sequence Run began; <see cref="Reset()"/> zeros it.</para>
/// <para>Threads: one session serves one caller at a time (it owns its buffers and kept state). A call that starts while
/// another call on the same session is in progress throws <see cref="InvalidOperationException"/> instead of corrupting
/// both. Sessions on the same model may run concurrently on different threads (the packed weights are shared and
/// read-only): a multi-threaded service gives each thread its own session, or rents them from an
/// <see cref="CpuRnnSessionPool"/>.</para>
/// <para>An undisposed session that becomes unreachable releases its worker threads when it is finalized; dispose it
/// to release them at once. Dispose may be called from any thread: it waits for a call in progress to finish.</para>
/// <para>Stacked states (<c>initialH</c>, <c>yh</c>, ...) are the layers' <c>[D, B, H]</c> blocks one after the other
/// (<c>[L·D, B, H]</c> when all layers have the same H). NaN in the input propagates as NaN.</para>
/// </remarks>
public sealed unsafe class CpuRnnSession : IDisposable
{
    private readonly CpuRnnModel _model;
    private readonly LayerExecutor[] _layers;
    private readonly AlignedBuffer[] _outputs;
    private readonly WorkerPool _pool;
    private readonly int[] _ones;
    private volatile bool _disposed;
    private int _disposing; // set once by the first Dispose: a second one, even a concurrent one, returns at once
    private int _busy; // 1 while a call (or Dispose) is inside the session: concurrent entry is refused, not raced

    /// <summary>Creates a session; <paramref name="threads"/> workers (1 = run on the caller's thread only).</summary>
    public CpuRnnSession(CpuRnnModel model, int maxBatch, int maxSteps, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (maxBatch < 1)
            throw new ArgumentOutOfRangeException(nameof(maxBatch), $"maximum batch must be at least 1, got {maxBatch}");
        if (maxSteps < 1)
            throw new ArgumentOutOfRangeException(nameof(maxSteps), $"maximum sequence length must be at least 1, got {maxSteps}");
        if (threads < 1)
            throw new ArgumentOutOfRangeException(nameof(threads), $"threads must be at least 1, got {threads}");
        _model = model;
        MaxBatch = maxBatch;
        MaxSteps = maxSteps;
        Threads = threads;
        _pool = new WorkerPool(threads);
        var plans = model.Plans;
        _layers = new LayerExecutor[plans.Length];
        _outputs = new AlignedBuffer[plans.Length];
        for (int l = 0; l < plans.Length; l++)
        {
            _layers[l] = new LayerExecutor(plans[l], maxSteps, maxBatch, trace: false, threads);
            _outputs[l] = l + 1 < plans.Length
                ? new AlignedBuffer((long)maxSteps * maxBatch * plans[l].Options.DirectionCount * plans[l].Hidden)
                : AlignedBuffer.Empty;
        }
        _ones = new int[maxBatch];
        Array.Fill(_ones, 1);
        Reset();
    }

    /// <summary>The model.</summary>
    public CpuRnnModel Model => _model;

    /// <summary>Largest batch a call may pass.</summary>
    public int MaxBatch { get; }

    /// <summary>Longest sequence a call may pass.</summary>
    public int MaxSteps { get; }

    /// <summary>Workers per call.</summary>
    public int Threads { get; }

    /// <summary>
    /// Runs a whole sequence through every layer.
    /// </summary>
    /// <param name="x">Input <c>[T, B, I]</c>.</param>
    /// <param name="steps">T, 1 ≤ T ≤ <see cref="MaxSteps"/>.</param>
    /// <param name="batch">B, 1 ≤ B ≤ <see cref="MaxBatch"/>.</param>
    /// <param name="y">The last layer's output <c>[T, D, B, H]</c>, zero past each row's end; empty to skip.</param>
    /// <param name="yh">Final hidden states, stacked per layer; empty to skip.</param>
    /// <param name="yc">Final cell states (LSTM layers; GRU layers' blocks are left untouched); empty to skip.</param>
    /// <param name="sequenceLengths">Valid length per row; empty means all T.</param>
    /// <param name="initialH">Initial hidden states, stacked per layer; empty means zeros.</param>
    /// <param name="initialC">Initial cell states, stacked per layer; empty means zeros.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    public void Run(ReadOnlySpan<float> x, int steps, int batch, Span<float> y, Span<float> yh = default, Span<float> yc = default,
        ReadOnlySpan<int> sequenceLengths = default, ReadOnlySpan<float> initialH = default, ReadOnlySpan<float> initialC = default)
    {
        Enter(nameof(Run));
        try
        {
            RunCore(x, steps, batch, y, yh, yc, sequenceLengths, initialH, initialC);
        }
        finally
        {
            Exit();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    private void RunCore(ReadOnlySpan<float> x, int steps, int batch, Span<float> y, Span<float> yh, Span<float> yc,
        ReadOnlySpan<int> sequenceLengths, ReadOnlySpan<float> initialH, ReadOnlySpan<float> initialC)
    {
        var first = _model.Plans[0].Options;
        RnnShapeChecks.CheckInputs(first, x.Length, steps, batch, sequenceLengths, 0, 0, []);
        RnnShapeChecks.CheckSessionLimits(steps, batch, MaxSteps, MaxBatch);
        long stateLength = (long)_model.StateFloatsPerRow * batch;
        RnnShapeChecks.CheckStackedState("initial hidden state", initialH.Length, stateLength, _layers.Length, batch);
        RnnShapeChecks.CheckStackedState("initial cell state", initialC.Length, stateLength, _layers.Length, batch);
        RnnShapeChecks.CheckStackedState("Y_h", yh.Length, stateLength, _layers.Length, batch);
        RnnShapeChecks.CheckStackedState("Y_c", yc.Length, stateLength, _layers.Length, batch);
        long yLength = (long)steps * _model.OutputDirections * batch * _model.OutputSize;
        if (!y.IsEmpty && y.Length != yLength)
            throw new ArgumentException($"Y must hold [T={steps}, D={_model.OutputDirections}, B={batch}, H={_model.OutputSize}] = {yLength} elements, got {y.Length}");

        fixed (float* xp = x, yp = y, yhp = yh, ycp = yc, h0 = initialH, c0 = initialC)
        fixed (int* lens = sequenceLengths)
        {
            long stateOffset = 0;
            float* input = xp;
            for (int l = 0; l < _layers.Length; l++)
            {
                var ex = _layers[l];
                var plan = ex.Plan;
                int dirs = plan.Options.DirectionCount, h = plan.Hidden;
                for (int b = 0; b < batch; b++)
                    ex.Lengths[b] = sequenceLengths.IsEmpty ? steps : lens[b];
                ex.SetInitialState(initialH.IsEmpty ? null : h0 + stateOffset, initialC.IsEmpty || !plan.IsLstm ? null : c0 + stateOffset, batch);
                bool last = l == _layers.Length - 1;
                float* output;
                nint yT, yB, yD;
                if (last)
                {
                    output = y.IsEmpty ? null : yp;
                    yT = (nint)dirs * batch * h;
                    yB = h;
                    yD = (nint)batch * h;
                }
                else
                {
                    output = _outputs[l].Pointer;
                    yT = (nint)batch * dirs * h;
                    yB = (nint)dirs * h;
                    yD = h;
                }
                ex.Forward(_pool, Threads, input, steps, batch, output, yT, yB, yD);
                ex.ReadFinalState(yh.IsEmpty ? null : yhp + stateOffset, yc.IsEmpty || !plan.IsLstm ? null : ycp + stateOffset);
                ex.FinalToInitial();
                input = output;
                stateOffset += (long)dirs * batch * h;
            }
        }
        GC.KeepAlive(this); // the layers ran on raw pointers into buffers this session owns
    }

    /// <summary>
    /// Advances the kept state by one time step (forward-only models): <paramref name="x"/> is <c>[B, I]</c>,
    /// <paramref name="y"/> receives the last layer's new hidden state <c>[B, H]</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    public void Step(ReadOnlySpan<float> x, int batch, Span<float> y)
    {
        Enter(nameof(Step));
        try
        {
            StepCore(x, batch, y);
        }
        finally
        {
            Exit();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    private void StepCore(ReadOnlySpan<float> x, int batch, Span<float> y)
    {
        if (!_model.IsStreamable)
            throw new InvalidOperationException("Step needs a forward-only model: a reverse direction cannot be streamed one step at a time");
        RnnShapeChecks.CheckInputs(_model.Plans[0].Options, x.Length, 1, batch, default, 0, 0, []);
        RnnShapeChecks.CheckSessionLimits(1, batch, MaxSteps, MaxBatch);
        long yLength = (long)batch * _model.OutputSize;
        if (y.Length != yLength)
            throw new ArgumentException($"Y must hold [B={batch}, H={_model.OutputSize}] = {yLength} elements, got {y.Length}");
        fixed (float* xp = x, yp = y)
        {
            float* input = xp;
            for (int l = 0; l < _layers.Length; l++)
            {
                var ex = _layers[l];
                int h = ex.Plan.Hidden;
                _ones.AsSpan(0, batch).CopyTo(ex.Lengths);
                float* output = l == _layers.Length - 1 ? yp : _outputs[l].Pointer;
                ex.Forward(_pool, Threads, input, 1, batch, output, (nint)batch * h, h, 0);
                ex.FinalToInitial();
                input = output;
            }
        }
        GC.KeepAlive(this); // the layers ran on raw pointers into buffers this session owns
    }

    /// <summary>Zeros the kept state of every layer and row.</summary>
    public void Reset()
    {
        Enter(nameof(Reset));
        try
        {
            foreach (var ex in _layers)
                ex.SetInitialState(null, null, MaxBatch);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Sets the kept state (stacked per layer, <paramref name="batch"/> rows); an empty cell state means zeros.</summary>
    public void Reset(ReadOnlySpan<float> initialH, ReadOnlySpan<float> initialC, int batch)
    {
        Enter(nameof(Reset));
        try
        {
            ResetCore(initialH, initialC, batch);
        }
        finally
        {
            Exit();
        }
    }

    private void ResetCore(ReadOnlySpan<float> initialH, ReadOnlySpan<float> initialC, int batch)
    {
        RnnShapeChecks.CheckSessionLimits(1, batch, MaxSteps, MaxBatch);
        long stateLength = (long)_model.StateFloatsPerRow * batch;
        RnnShapeChecks.CheckStackedState("initial hidden state", initialH.Length, stateLength, _layers.Length, batch);
        RnnShapeChecks.CheckStackedState("initial cell state", initialC.Length, stateLength, _layers.Length, batch);
        fixed (float* h0 = initialH, c0 = initialC)
        {
            long offset = 0;
            foreach (var ex in _layers)
            {
                ex.SetInitialState(initialH.IsEmpty ? null : h0 + offset, initialC.IsEmpty || !ex.Plan.IsLstm ? null : c0 + offset, batch);
                offset += (long)ex.Plan.Options.DirectionCount * batch * ex.Plan.Hidden;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    private void Enter(string method)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            // Dispose holds the flag for good once it has it: report that rather than a concurrent call.
            ObjectDisposedException.ThrowIf(_disposed, this);
            throw new InvalidOperationException(
                $"CpuRnnSession.{method} was called while another call on the same session is in progress: a session serves one caller " +
                "at a time; give each thread its own session or rent sessions from an CpuRnnSessionPool");
        }
        // Dispose sets _disposed before it takes the flag, and the exchange above is a full fence: a call that got the
        // flag either sees _disposed here or runs to its end before Dispose gets the flag and releases the pool.
        if (_disposed)
        {
            Exit();
            throw new ObjectDisposedException(GetType().FullName);
        }
    }

    private void Exit() => Volatile.Write(ref _busy, 0);

    /// <summary>
    /// Stops the session's worker threads. A call in progress on another thread finishes first (Dispose waits for it);
    /// calls that start afterwards throw <see cref="ObjectDisposedException"/>. Disposing twice does nothing.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposing, 1) != 0)
            return;
        _disposed = true;
        // Take the busy flag and keep it: the pool is released only when no call is inside the session, so a Run on
        // another thread never finds its workers gone mid-call (it would wait for them forever).
        var spin = new SpinWait();
        while (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
            spin.SpinOnce();
        _pool.Dispose();
    }
}

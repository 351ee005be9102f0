using System.Runtime.InteropServices;
using LstmNative.Cuda;
using LstmNative.Model;

namespace LstmNative.Gpu.Inference;

/// <summary>
/// An inference session on the GPU, with the CPU engine's session API: <see cref="Run"/> a whole sequence,
/// <see cref="Step"/> one time step of a stream, <see cref="Reset()"/>. It owns every device and page-locked buffer,
/// sized once for a maximum batch and sequence length, so calls allocate nothing; state stays on the device between
/// calls; inputs and outputs move through page-locked staging buffers; work is queued on the session's stream.
/// </summary>
/// <remarks>
/// <para>Each call shape (steps, batch, which inputs and outputs) runs directly the first time, is captured as a CUDA
/// graph the second time and replayed from then on (copies in, every layer, copies out: one launch). If capture fails
/// the session runs the same work with direct launches and says why in <see cref="GraphFailure"/>.</para>
/// <para>State: <see cref="Run"/> starts from the given initial states (zeros when none) and leaves the final state on
/// the device, so <see cref="Step"/> can continue the sequence; <see cref="Reset()"/> zeros it.</para>
/// <para>Layouts follow <see cref="GpuInferenceOptions.Layout"/>: time-major <c>x[T, B, I]</c>, <c>y[T, D, B, H]</c>,
/// states stacked per layer as <c>[D, B, H]</c> blocks; batch-major <c>x[B, T, I]</c>, <c>y[B, T, D, H]</c>, blocks
/// <c>[B, D, H]</c>.</para>
/// <para>Threads: one session serves one caller at a time (a call that starts while another is inside Run, Step or Enqueue* throws <see cref="InvalidOperationException"/>); sessions on the same model may run concurrently.</para>
/// <para>Asynchronous use: write <see cref="StagedInput"/> (and lengths/states), <see cref="EnqueueRun"/> or
/// <see cref="EnqueueStep"/>, do other work, <see cref="Wait"/>, read <see cref="StagedOutput"/>. Staging buffers
/// must not be touched between the enqueue and the wait.</para>
/// <para>Inside, as the CPU session is split: this class checks arguments and moves data through the staging buffers;
/// <c>SessionBuffers</c> sizes and owns every buffer, <c>SessionRecorder</c> records what a call queues (three
/// algorithms), <c>SessionGraphs</c> captures and replays graphs.</para>
/// </remarks>
public sealed unsafe class GpuRnnSession : IDisposable
{
    private readonly GpuRnnModel _model;
    private readonly IInferenceBackend _backend;
    private readonly GpuInferenceOptions _options;
    private readonly RnnLayerOptions[] _layers;
    private readonly SessionBuffers _buffers;
    private readonly SessionRecorder _recorder;
    private readonly SessionGraphs _graphs;
    private bool _disposed;
    private int _busy; // 1 while a call is inside the session: concurrent entry is refused, not raced

    internal GpuRnnSession(GpuRnnModel model, int maxBatch, int maxSteps)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (maxBatch < 1)
            throw new ArgumentOutOfRangeException(nameof(maxBatch), $"maximum batch must be at least 1, got {maxBatch}");
        if (maxSteps < 1)
            throw new ArgumentOutOfRangeException(nameof(maxSteps), $"maximum sequence length must be at least 1, got {maxSteps}");
        _model = model;
        _backend = model.Backend;
        _options = model.Options;
        _layers = model.Layers.ToArray();
        MaxBatch = maxBatch;
        MaxSteps = maxSteps;
        _backend.MakeCurrent();
        _buffers = new SessionBuffers(_backend, _layers, _options, maxBatch, maxSteps);
        _recorder = new SessionRecorder(model, _layers, _buffers, maxBatch);
        _graphs = new SessionGraphs(_backend, _options, _recorder, _buffers.Main);
    }

    /// <summary>The model.</summary>
    public GpuRnnModel Model => _model;

    /// <summary>Largest batch a call may pass.</summary>
    public int MaxBatch { get; }

    /// <summary>Longest sequence a call may pass.</summary>
    public int MaxSteps { get; }

    /// <summary>The stream the session queues its work on (null for a non-CUDA backend).</summary>
    public CudaStream? Stream => _buffers.Main.Stream;

    /// <summary>Why graph capture was given up (the session then launches directly), or null.</summary>
    public string? GraphFailure => _graphs.Failure;

    /// <summary>Call shapes with a captured graph.</summary>
    public int CachedGraphs => _graphs.Cached;

    /// <summary>Calls that replayed a cached graph.</summary>
    public long GraphHits => _graphs.Hits;

    /// <summary>Calls that had to capture (or could not use) a graph.</summary>
    public long GraphMisses => _graphs.Misses;

    /// <summary>Page-locked input: <c>x</c> of the next <see cref="EnqueueRun"/> (T·B·I floats) or <see cref="EnqueueStep"/> (B·I).</summary>
    public Span<float> StagedInput => new((void*)_buffers.XHost.Pointer, checked((int)(_buffers.XHost.Bytes / 4)));

    /// <summary>Page-locked per-row lengths for <see cref="GpuRunStaging.Lengths"/>.</summary>
    public Span<int> StagedLengths => new((void*)_buffers.LengthsHost.Pointer, MaxBatch);

    /// <summary>Page-locked stacked hidden states: initial (in) and final (out) for the call's batch.</summary>
    public Span<float> StagedHidden => new((void*)_buffers.HHost.Pointer, checked((int)(_buffers.HHost.Bytes / 4)));

    /// <summary>Page-locked stacked cell states (LSTM layers' blocks; GRU layers' blocks are unused).</summary>
    public Span<float> StagedCell => new((void*)_buffers.CHost.Pointer, checked((int)(_buffers.CHost.Bytes / 4)));

    /// <summary>Page-locked output of the last call: <c>y</c> of a run, or the last layer's new <c>h</c> of a step.</summary>
    public ReadOnlySpan<float> StagedOutput => new((void*)_buffers.YHost.Pointer, checked((int)(_buffers.YHost.Bytes / 4)));

    /// <summary>The algorithm each layer uses at <paramref name="batch"/> rows (the heuristic's or the options').</summary>
    public AlgorithmChoice AlgorithmFor(int layer, int batch)
    {
        RnnShapeChecks.CheckSessionLimits(1, batch, MaxSteps, MaxBatch);
        return _recorder.Choice(layer, batch);
    }

    /// <summary>
    /// Runs a whole sequence through every layer and waits for it.
    /// </summary>
    /// <param name="x">Input <c>[T, B, I]</c> (batch-major: <c>[B, T, I]</c>).</param>
    /// <param name="steps">T, 1 ≤ T ≤ <see cref="MaxSteps"/>.</param>
    /// <param name="batch">B, 1 ≤ B ≤ <see cref="MaxBatch"/>.</param>
    /// <param name="y">The last layer's output <c>[T, D, B, H]</c> (batch-major <c>[B, T, D, H]</c>), zero past each row's end; empty to skip.</param>
    /// <param name="yh">Final hidden states, stacked per layer; empty to skip.</param>
    /// <param name="yc">Final cell states (LSTM layers' blocks; GRU layers' blocks are left untouched); empty to skip.</param>
    /// <param name="sequenceLengths">Valid length per row; empty means all T.</param>
    /// <param name="initialH">Initial hidden states, stacked per layer; empty means zeros.</param>
    /// <param name="initialC">Initial cell states, stacked per layer; empty means zeros.</param>
    public void Run(ReadOnlySpan<float> x, int steps, int batch, Span<float> y, Span<float> yh = default, Span<float> yc = default,
        ReadOnlySpan<int> sequenceLengths = default, ReadOnlySpan<float> initialH = default, ReadOnlySpan<float> initialC = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var entry = Enter(nameof(Run));
        RnnShapeChecks.CheckSessionLimits(steps, batch, MaxSteps, MaxBatch);
        long xLength = (long)steps * batch * _layers[0].InputSize;
        if (x.Length != xLength)
            throw new ArgumentException(_options.Layout == SequenceLayout.TimeMajor
                ? $"input must hold [T={steps}, B={batch}, I={_layers[0].InputSize}] = {xLength} elements, got {x.Length}"
                : $"input must hold [B={batch}, T={steps}, I={_layers[0].InputSize}] = {xLength} elements, got {x.Length}");
        long stateLength = _buffers.StateFloatsPerRow * batch;
        RnnShapeChecks.CheckStackedState("initial hidden state", initialH.Length, stateLength, _layers.Length, batch);
        RnnShapeChecks.CheckStackedState("initial cell state", initialC.Length, stateLength, _layers.Length, batch);
        RnnShapeChecks.CheckStackedState("Y_h", yh.Length, stateLength, _layers.Length, batch);
        RnnShapeChecks.CheckStackedState("Y_c", yc.Length, stateLength, _layers.Length, batch);
        long yLength = _recorder.OutputElements(steps, batch);
        if (!y.IsEmpty && y.Length != yLength)
            throw new ArgumentException($"Y must hold {OutputShape(steps, batch)} = {yLength} elements, got {y.Length}");
        var flags = RunFlags.None;
        if (!sequenceLengths.IsEmpty)
        {
            if (sequenceLengths.Length != batch)
                throw new ArgumentException($"Expected `len(lengths)` to be equal to batch_size, but got {sequenceLengths.Length} (batch_size={batch})");
            flags |= CheckLengths(sequenceLengths, steps) | RunFlags.Lengths;
            sequenceLengths.CopyTo(StagedLengths);
        }
        x.CopyTo(StagedInput);
        if (!initialH.IsEmpty)
        {
            initialH.CopyTo(StagedHidden);
            flags |= RunFlags.InitialH;
        }
        if (!initialC.IsEmpty)
        {
            initialC.CopyTo(StagedCell);
            flags |= RunFlags.InitialC;
        }
        if (!y.IsEmpty)
            flags |= RunFlags.WantY;
        if (!yh.IsEmpty)
            flags |= RunFlags.WantH;
        if (!yc.IsEmpty)
            flags |= RunFlags.WantC;

        _backend.MakeCurrent();
        _graphs.Enqueue(new RunKey(steps, batch, flags));
        _buffers.Main.Synchronize();

        if (!y.IsEmpty)
            StagedOutput[..y.Length].CopyTo(y);
        if (!yh.IsEmpty)
            StagedHidden[..yh.Length].CopyTo(yh);
        if (!yc.IsEmpty)
        {
            // Only LSTM layers' blocks: GRU layers have no cell state and the caller's blocks stay as they were.
            for (int l = 0; l < _layers.Length; l++)
            {
                if (_layers[l].Cell != RnnCellType.Lstm)
                    continue;
                int offset = checked((int)(_buffers.StateRowOffset[l] * batch));
                int length = _layers[l].DirectionCount * batch * _layers[l].HiddenSize;
                StagedCell.Slice(offset, length).CopyTo(yc.Slice(offset, length));
            }
        }
    }

    /// <summary>
    /// Advances the kept state by one time step (forward-only models) and waits: <paramref name="x"/> is <c>[B, I]</c>,
    /// <paramref name="y"/> receives the last layer's new hidden state <c>[B, H]</c>.
    /// </summary>
    public void Step(ReadOnlySpan<float> x, int batch, Span<float> y)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var entry = Enter(nameof(Step));
        CheckStep(batch);
        long xLength = (long)batch * _layers[0].InputSize;
        if (x.Length != xLength)
            throw new ArgumentException($"input must hold [B={batch}, I={_layers[0].InputSize}] = {xLength} elements, got {x.Length}");
        long yLength = (long)batch * _model.OutputSize;
        if (y.Length != yLength)
            throw new ArgumentException($"Y must hold [B={batch}, H={_model.OutputSize}] = {yLength} elements, got {y.Length}");
        x.CopyTo(StagedInput);
        _backend.MakeCurrent();
        _graphs.Enqueue(new RunKey(1, batch, RunFlags.Step | RunFlags.WantY));
        _buffers.Main.Synchronize();
        StagedOutput[..y.Length].CopyTo(y);
    }

    /// <summary>
    /// Queues a run of the staged input (<see cref="StagedInput"/>, laid out as for <see cref="Run"/>) and returns.
    /// <see cref="Wait"/> before reading the staged outputs or writing the staged inputs again.
    /// </summary>
    public void EnqueueRun(int steps, int batch, GpuRunStaging staging)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var entry = Enter(nameof(EnqueueRun));
        RnnShapeChecks.CheckSessionLimits(steps, batch, MaxSteps, MaxBatch);
        var flags = RunFlags.None;
        if ((staging & GpuRunStaging.Lengths) != 0)
            flags |= CheckLengths(StagedLengths[..batch], steps) | RunFlags.Lengths;
        if ((staging & GpuRunStaging.InitialH) != 0)
            flags |= RunFlags.InitialH;
        if ((staging & GpuRunStaging.InitialC) != 0)
            flags |= RunFlags.InitialC;
        if ((staging & GpuRunStaging.OutputY) != 0)
            flags |= RunFlags.WantY;
        if ((staging & GpuRunStaging.OutputH) != 0)
            flags |= RunFlags.WantH;
        if ((staging & GpuRunStaging.OutputC) != 0)
            flags |= RunFlags.WantC;
        _backend.MakeCurrent();
        _graphs.Enqueue(new RunKey(steps, batch, flags));
    }

    /// <summary>Queues one streaming step of the staged input (<c>[B, I]</c>); the new <c>h</c> lands in <see cref="StagedOutput"/>.</summary>
    public void EnqueueStep(int batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var entry = Enter(nameof(EnqueueStep));
        CheckStep(batch);
        _backend.MakeCurrent();
        _graphs.Enqueue(new RunKey(1, batch, RunFlags.Step | RunFlags.WantY));
    }

    /// <summary>Blocks until the queued work has finished.</summary>
    public void Wait()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _backend.MakeCurrent();
        _buffers.Main.Synchronize();
    }

    /// <summary>Whether the queued work has finished (does not block).</summary>
    public bool IsComplete
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _backend.MakeCurrent();
            return _buffers.Main.IsIdle;
        }
    }

    /// <summary>Zeros the kept state of every layer and row (queued; ordered before later calls).</summary>
    public void Reset()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _backend.MakeCurrent();
        for (int l = 0; l < _layers.Length; l++)
        {
            _buffers.Main.Zero(_buffers.H[l].Pointer, _buffers.H[l].Bytes);
            if (_buffers.C[l] is { } c)
                _buffers.Main.Zero(c.Pointer, c.Bytes);
        }
    }

    /// <summary>Sets the kept state (stacked per layer, <paramref name="batch"/> rows); an empty cell state means zeros. Waits for the copy.</summary>
    public void Reset(ReadOnlySpan<float> initialH, ReadOnlySpan<float> initialC, int batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RnnShapeChecks.CheckSessionLimits(1, batch, MaxSteps, MaxBatch);
        long stateLength = _buffers.StateFloatsPerRow * batch;
        RnnShapeChecks.CheckStackedState("initial hidden state", initialH.Length, stateLength, _layers.Length, batch);
        RnnShapeChecks.CheckStackedState("initial cell state", initialC.Length, stateLength, _layers.Length, batch);
        _backend.MakeCurrent();
        initialH.CopyTo(StagedHidden);
        initialC.CopyTo(StagedCell);
        Span<(long Device, long Host, long Count)> pieces = stackalloc (long, long, long)[2];
        for (int l = 0; l < _layers.Length; l++)
        {
            if (initialH.IsEmpty)
                _buffers.Main.Zero(_buffers.H[l].Pointer, _buffers.H[l].Bytes);
            else
                _recorder.CopyStateIn(_buffers.H[l], _buffers.HHost, l, batch, pieces);
            if (_buffers.C[l] is { } c)
            {
                if (initialC.IsEmpty)
                    _buffers.Main.Zero(c.Pointer, c.Bytes);
                else
                    _recorder.CopyStateIn(c, _buffers.CHost, l, batch, pieces);
            }
        }
        _buffers.Main.Synchronize();
    }

    /// <summary>Benchmarks: copies <paramref name="x"/> to the device input buffer and waits (not part of any timing).</summary>
    internal void UploadInput(ReadOnlySpan<float> x)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _backend.MakeCurrent();
        x.CopyTo(StagedInput);
        _buffers.Main.CopyToDevice(_buffers.X.Pointer, _buffers.XHost.Pointer, 4L * x.Length);
        _buffers.Main.Synchronize();
    }

    /// <summary>
    /// Benchmarks: queues the forward of the input already on the device (see <see cref="UploadInput"/>), zero initial
    /// states, full lengths, nothing copied back: the device time of the forward alone, as cuDNN's is measured.
    /// </summary>
    internal void EnqueueResident(int steps, int batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RnnShapeChecks.CheckSessionLimits(steps, batch, MaxSteps, MaxBatch);
        _backend.MakeCurrent();
        _graphs.Enqueue(new RunKey(steps, batch, RunFlags.Resident));
    }

    /// <summary>Marks the session busy for one call; a second caller meanwhile gets <see cref="InvalidOperationException"/>.</summary>
    private CallGuard Enter(string method)
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
            throw new InvalidOperationException(
                $"GpuRnnSession.{method} was called while another call on the same session is in progress: a session serves one " +
                "caller at a time; give each thread its own session");
        return new CallGuard(this);
    }

    private readonly ref struct CallGuard(GpuRnnSession session)
    {
        public void Dispose() => Volatile.Write(ref session._busy, 0);
    }

    private string OutputShape(int steps, int batch) => _options.Layout == SequenceLayout.TimeMajor
        ? $"[T={steps}, D={_model.OutputDirections}, B={batch}, H={_model.OutputSize}]"
        : $"[B={batch}, T={steps}, D={_model.OutputDirections}, H={_model.OutputSize}]";

    private static RunFlags CheckLengths(ReadOnlySpan<int> lengths, int steps)
    {
        var flags = RunFlags.None;
        for (int b = 0; b < lengths.Length; b++)
        {
            int len = lengths[b];
            if (len < 0 || len > steps)
                throw new ArgumentException($"sequence_lens[{b}] = {len} is outside [0, {steps}]");
            if (len < steps)
                flags = RunFlags.ShortRows;
        }
        return flags;
    }


    private void CheckStep(int batch)
    {
        if (!_model.IsStreamable)
            throw new InvalidOperationException("Step needs a forward-only model: a reverse direction cannot be streamed one step at a time");
        RnnShapeChecks.CheckSessionLimits(1, batch, MaxSteps, MaxBatch);
    }


    /// <summary>Waits for queued work, then frees the session's graphs, streams and buffers.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        try
        {
            _backend.MakeCurrent();
            _buffers.Main.Synchronize();
        }
        finally
        {
            _graphs.Dispose();
            _buffers.Dispose();
        }
    }
}


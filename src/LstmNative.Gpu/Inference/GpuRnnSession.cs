using System.Runtime.InteropServices;
using LstmNative.Cuda;
using LstmNative.Model;

namespace LstmNative.Gpu.Inference;

/// <summary>What a call of <see cref="GpuRnnSession.EnqueueRun"/> takes from and gives to the staging buffers.</summary>
[Flags]
public enum GpuRunStaging
{
    /// <summary>Only the input; zero initial states, all rows of length T, no outputs copied back.</summary>
    None = 0,

    /// <summary>Initial hidden states from <see cref="GpuRnnSession.StagedHidden"/> (else zeros).</summary>
    InitialH = 1 << 0,

    /// <summary>Initial cell states from <see cref="GpuRnnSession.StagedCell"/> (else zeros).</summary>
    InitialC = 1 << 1,

    /// <summary>Per-row lengths from <see cref="GpuRnnSession.StagedLengths"/> (else all T).</summary>
    Lengths = 1 << 2,

    /// <summary>Copy the last layer's output to <see cref="GpuRnnSession.StagedOutput"/>.</summary>
    OutputY = 1 << 3,

    /// <summary>Copy the final hidden states to <see cref="GpuRnnSession.StagedHidden"/>.</summary>
    OutputH = 1 << 4,

    /// <summary>Copy the final cell states to <see cref="GpuRnnSession.StagedCell"/>.</summary>
    OutputC = 1 << 5,
}

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
/// </remarks>
public sealed unsafe class GpuRnnSession : IDisposable
{
    private const int StepBlockThreads = 128;

    private readonly GpuRnnModel _model;
    private readonly IInferenceBackend _backend;
    private readonly GpuInferenceOptions _options;
    private readonly RnnLayerOptions[] _layers;
    private readonly long[] _stateRowOffset; // Σ over earlier layers of D·H: a layer's block starts at B times this
    private readonly long _stateFloatsPerRow;
    private readonly List<IDisposable> _owned = [];
    private readonly AlgorithmChoice?[,] _choices; // [layer, batch ≤ 8 ; 9 = any larger batch]

    private readonly IDeviceQueue _main;
    private readonly IDeviceQueue _directionQueue;
    private readonly IDeviceQueue?[] _layerQueues;
    private readonly IDeviceMarker _fork;
    private readonly IDeviceMarker _directionFork;
    private readonly IDeviceMarker _directionJoin;
    private readonly IDeviceMarker[][] _chunkDone;

    private readonly IDeviceMemory _x;
    private readonly IDeviceMemory _lengths;
    private readonly IDeviceMemory _y;
    private readonly IDeviceMemory[] _xw;
    private readonly IDeviceMemory[][] _hr;
    private readonly IDeviceMemory?[][] _rh;
    private readonly IDeviceMemory?[] _yMid;
    private readonly IDeviceMemory[] _h;
    private readonly IDeviceMemory?[] _c;
    private readonly IDeviceMemory?[][] _exchange;
    private readonly IDeviceMemory? _barriers;

    private readonly IHostMemory _xHost;
    private readonly IHostMemory _yHost;
    private readonly IHostMemory _hHost;
    private readonly IHostMemory _cHost;
    private readonly IHostMemory _lengthsHost;

    private readonly GraphCache<RunKey, IDeviceGraph> _graphs;
    private readonly HashSet<RunKey> _warmedUp = [];
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
        int count = _layers.Length;
        _stateRowOffset = new long[count];
        long rowFloats = 0;
        for (int l = 0; l < count; l++)
        {
            _stateRowOffset[l] = rowFloats;
            rowFloats += (long)_layers[l].DirectionCount * _layers[l].HiddenSize;
        }
        _stateFloatsPerRow = rowFloats;
        _choices = new AlgorithmChoice?[count, PersistentPlan.MaxBatch + 2];
        _graphs = new GraphCache<RunKey, IDeviceGraph>(_options.MaxCachedGraphs);

        _backend.MakeCurrent();
        try
        {
            _main = Own(_backend.CreateQueue());
            _directionQueue = Own(_backend.CreateQueue());
            bool wavefrontPossible = _options.Wavefront && count > 1 && _layers.All(o => o.Direction == RnnDirection.Forward)
                                     && _options.Algorithm != GpuAlgorithm.Persistent;
            _layerQueues = new IDeviceQueue?[count];
            for (int l = 1; l < count && wavefrontPossible; l++)
                _layerQueues[l] = Own(_backend.CreateQueue());
            _fork = Own(_backend.CreateMarker());
            _directionFork = Own(_backend.CreateMarker());
            _directionJoin = Own(_backend.CreateMarker());
            _chunkDone = new IDeviceMarker[wavefrontPossible ? count : 0][];
            for (int l = 0; l < _chunkDone.Length; l++)
            {
                _chunkDone[l] = new IDeviceMarker[WavefrontSchedule.MaxChunks];
                for (int c = 0; c < WavefrontSchedule.MaxChunks; c++)
                    _chunkDone[l][c] = Own(_backend.CreateMarker());
            }

            var first = _layers[0];
            var last = _layers[^1];
            long maxRows = (long)maxSteps * maxBatch;
            _x = Floats(maxRows * first.InputSize);
            _lengths = Own(_backend.Allocate(4L * maxBatch));
            _y = Floats(maxRows * last.DirectionCount * last.HiddenSize);
            long xwLargest = _layers.Max(o => (long)o.DirectionCount * o.GateCount * o.HiddenSize) * maxRows;
            IDeviceMemory? sharedXw = wavefrontPossible ? null : Floats(xwLargest);
            _xw = new IDeviceMemory[count];
            _hr = new IDeviceMemory[count][];
            _rh = new IDeviceMemory?[count][];
            _yMid = new IDeviceMemory?[count];
            _h = new IDeviceMemory[count];
            _c = new IDeviceMemory?[count];
            _exchange = new IDeviceMemory?[count][];
            bool persistentPossible = _options.Algorithm != GpuAlgorithm.Standard;
            int persistentRows = Math.Min(maxBatch, PersistentPlan.MaxBatch);
            for (int l = 0; l < count; l++)
            {
                var o = _layers[l];
                int d = o.DirectionCount, h = o.HiddenSize, gh = o.GateCount * h;
                _xw[l] = sharedXw ?? Floats(maxRows * d * gh);
                _hr[l] = new IDeviceMemory[d];
                _rh[l] = new IDeviceMemory?[d];
                _exchange[l] = new IDeviceMemory?[d];
                for (int dir = 0; dir < d; dir++)
                {
                    _hr[l][dir] = Floats((long)maxBatch * gh);
                    if (o.Cell == RnnCellType.Gru && !o.LinearBeforeReset)
                        _rh[l][dir] = Floats((long)maxBatch * h, zero: true);
                    if (persistentPossible)
                        _exchange[l][dir] = Floats(2 * 3L * persistentRows * h, zero: true); // three slots of 64-bit tagged words
                }
                if (l < count - 1)
                    _yMid[l] = Floats(maxRows * d * h);
                long state = LayerGeometry.StateElements(o, maxBatch);
                _h[l] = Floats(state, zero: true);
                _c[l] = o.Cell == RnnCellType.Lstm ? Floats(state, zero: true) : null;
            }
            _barriers = persistentPossible ? Own(_backend.Allocate(8L * count)) : null;

            _xHost = Own(_backend.AllocateHost(4 * maxRows * first.InputSize));
            _yHost = Own(_backend.AllocateHost(4 * maxRows * last.DirectionCount * last.HiddenSize));
            _hHost = Own(_backend.AllocateHost(4 * _stateFloatsPerRow * maxBatch));
            _cHost = Own(_backend.AllocateHost(4 * _stateFloatsPerRow * maxBatch));
            _lengthsHost = Own(_backend.AllocateHost(4L * maxBatch));
            _main.Synchronize(); // the zero fills
        }
        catch
        {
            DisposeOwned();
            throw;
        }
    }

    /// <summary>The model.</summary>
    public GpuRnnModel Model => _model;

    /// <summary>Largest batch a call may pass.</summary>
    public int MaxBatch { get; }

    /// <summary>Longest sequence a call may pass.</summary>
    public int MaxSteps { get; }

    /// <summary>The stream the session queues its work on (null for a non-CUDA backend).</summary>
    public CudaStream? Stream => _main.Stream;

    /// <summary>Why graph capture was given up (the session then launches directly), or null.</summary>
    public string? GraphFailure { get; private set; }

    /// <summary>Call shapes with a captured graph.</summary>
    public int CachedGraphs => _graphs.Count;

    /// <summary>Calls that replayed a cached graph.</summary>
    public long GraphHits => _graphs.Hits;

    /// <summary>Calls that had to capture (or could not use) a graph.</summary>
    public long GraphMisses => _graphs.Misses;

    /// <summary>Page-locked input: <c>x</c> of the next <see cref="EnqueueRun"/> (T·B·I floats) or <see cref="EnqueueStep"/> (B·I).</summary>
    public Span<float> StagedInput => new((void*)_xHost.Pointer, checked((int)(_xHost.Bytes / 4)));

    /// <summary>Page-locked per-row lengths for <see cref="GpuRunStaging.Lengths"/>.</summary>
    public Span<int> StagedLengths => new((void*)_lengthsHost.Pointer, MaxBatch);

    /// <summary>Page-locked stacked hidden states: initial (in) and final (out) for the call's batch.</summary>
    public Span<float> StagedHidden => new((void*)_hHost.Pointer, checked((int)(_hHost.Bytes / 4)));

    /// <summary>Page-locked stacked cell states (LSTM layers' blocks; GRU layers' blocks are unused).</summary>
    public Span<float> StagedCell => new((void*)_cHost.Pointer, checked((int)(_cHost.Bytes / 4)));

    /// <summary>Page-locked output of the last call: <c>y</c> of a run, or the last layer's new <c>h</c> of a step.</summary>
    public ReadOnlySpan<float> StagedOutput => new((void*)_yHost.Pointer, checked((int)(_yHost.Bytes / 4)));

    /// <summary>The algorithm each layer uses at <paramref name="batch"/> rows (the heuristic's or the options').</summary>
    public AlgorithmChoice AlgorithmFor(int layer, int batch)
    {
        CheckLimits(1, batch);
        return Choice(layer, batch);
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
        CheckLimits(steps, batch);
        long xLength = (long)steps * batch * _layers[0].InputSize;
        if (x.Length != xLength)
            throw new ArgumentException(_options.Layout == SequenceLayout.TimeMajor
                ? $"input must hold [T={steps}, B={batch}, I={_layers[0].InputSize}] = {xLength} elements, got {x.Length}"
                : $"input must hold [B={batch}, T={steps}, I={_layers[0].InputSize}] = {xLength} elements, got {x.Length}");
        long stateLength = _stateFloatsPerRow * batch;
        CheckState("initial hidden state", initialH.Length, stateLength, batch);
        CheckState("initial cell state", initialC.Length, stateLength, batch);
        CheckState("Y_h", yh.Length, stateLength, batch);
        CheckState("Y_c", yc.Length, stateLength, batch);
        long yLength = OutputElements(steps, batch);
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
        Enqueue(new RunKey(steps, batch, flags));
        _main.Synchronize();

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
                int offset = checked((int)(_stateRowOffset[l] * batch));
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
        Enqueue(new RunKey(1, batch, RunFlags.Step | RunFlags.WantY));
        _main.Synchronize();
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
        CheckLimits(steps, batch);
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
        Enqueue(new RunKey(steps, batch, flags));
    }

    /// <summary>Queues one streaming step of the staged input (<c>[B, I]</c>); the new <c>h</c> lands in <see cref="StagedOutput"/>.</summary>
    public void EnqueueStep(int batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var entry = Enter(nameof(EnqueueStep));
        CheckStep(batch);
        _backend.MakeCurrent();
        Enqueue(new RunKey(1, batch, RunFlags.Step | RunFlags.WantY));
    }

    /// <summary>Blocks until the queued work has finished.</summary>
    public void Wait()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _backend.MakeCurrent();
        _main.Synchronize();
    }

    /// <summary>Whether the queued work has finished (does not block).</summary>
    public bool IsComplete
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _backend.MakeCurrent();
            return _main.IsIdle;
        }
    }

    /// <summary>Zeros the kept state of every layer and row (queued; ordered before later calls).</summary>
    public void Reset()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _backend.MakeCurrent();
        for (int l = 0; l < _layers.Length; l++)
        {
            _main.Zero(_h[l].Pointer, _h[l].Bytes);
            if (_c[l] is { } c)
                _main.Zero(c.Pointer, c.Bytes);
        }
    }

    /// <summary>Sets the kept state (stacked per layer, <paramref name="batch"/> rows); an empty cell state means zeros. Waits for the copy.</summary>
    public void Reset(ReadOnlySpan<float> initialH, ReadOnlySpan<float> initialC, int batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckLimits(1, batch);
        long stateLength = _stateFloatsPerRow * batch;
        CheckState("initial hidden state", initialH.Length, stateLength, batch);
        CheckState("initial cell state", initialC.Length, stateLength, batch);
        _backend.MakeCurrent();
        initialH.CopyTo(StagedHidden);
        initialC.CopyTo(StagedCell);
        Span<(long Device, long Host, long Count)> pieces = stackalloc (long, long, long)[2];
        for (int l = 0; l < _layers.Length; l++)
        {
            if (initialH.IsEmpty)
                _main.Zero(_h[l].Pointer, _h[l].Bytes);
            else
                CopyStateIn(_h[l], _hHost, l, batch, pieces);
            if (_c[l] is { } c)
            {
                if (initialC.IsEmpty)
                    _main.Zero(c.Pointer, c.Bytes);
                else
                    CopyStateIn(c, _cHost, l, batch, pieces);
            }
        }
        _main.Synchronize();
    }

    /// <summary>Benchmarks: copies <paramref name="x"/> to the device input buffer and waits (not part of any timing).</summary>
    internal void UploadInput(ReadOnlySpan<float> x)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _backend.MakeCurrent();
        x.CopyTo(StagedInput);
        _main.CopyToDevice(_x.Pointer, _xHost.Pointer, 4L * x.Length);
        _main.Synchronize();
    }

    /// <summary>
    /// Benchmarks: queues the forward of the input already on the device (see <see cref="UploadInput"/>), zero initial
    /// states, full lengths, nothing copied back: the device time of the forward alone, as cuDNN's is measured.
    /// </summary>
    internal void EnqueueResident(int steps, int batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckLimits(steps, batch);
        _backend.MakeCurrent();
        Enqueue(new RunKey(steps, batch, RunFlags.Resident));
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

    // ---------------------------------------------------------------------------------------------------------------
    // Queuing a call: graph replay, capture, or direct launches.
    // ---------------------------------------------------------------------------------------------------------------

    private void Enqueue(in RunKey key)
    {
        bool persistent = UsesPersistent(key.Batch);
        bool capture = _options.UseGraphs && GraphFailure is null && (!persistent || _backend.CanCapturePersistent(_options.Barrier));
        if (persistent)
            _backend.Lane.Enter(_main);
        try
        {
            if (capture && _graphs.TryGet(key, out var graph))
            {
                graph.Launch(_main);
            }
            else if (capture && _warmedUp.Contains(key) && TryCapture(key, out graph))
            {
                graph.Launch(_main);
            }
            else
            {
                // The first call of a shape runs directly: libraries finish their lazy set-up (cuBLAS workspaces,
                // heuristics) outside any capture; the second call captures.
                Record(key);
                if (capture)
                    _warmedUp.Add(key);
            }
        }
        finally
        {
            if (persistent)
                _backend.Lane.Leave(_main);
        }
    }

    private bool TryCapture(in RunKey key, out IDeviceGraph graph)
    {
        try
        {
            _main.BeginCapture();
            Record(key);
            graph = _main.EndCapture();
        }
        catch (Exception e) when (e is CudaException or CublasException or GraphCaptureException)
        {
            _main.AbandonCapture();
            GraphFailure = $"graph capture of {key} failed, launching directly from now on: {e.Message}";
            graph = null!;
            return false;
        }
        _graphs.Add(key, graph);
        return true;
    }

    /// <summary>Queues everything one call does, on the session's queues (captured or not).</summary>
    private void Record(in RunKey key)
    {
        int steps = key.Steps, batch = key.Batch;
        if (!key.Has(RunFlags.Resident))
            _main.CopyToDevice(_x.Pointer, _xHost.Pointer, 4L * steps * batch * _layers[0].InputSize);
        if (key.Has(RunFlags.Lengths))
            _main.CopyToDevice(_lengths.Pointer, _lengthsHost.Pointer, 4L * batch);
        if (!key.Has(RunFlags.Step))
            InitialStates(key);
        if (key.Has(RunFlags.ShortRows))
            _main.Zero(_y.Pointer, 4 * OutputElements(steps, batch));

        if (Wavefront(batch))
        {
            RecordWavefront(key);
        }
        else
        {
            for (int l = 0; l < _layers.Length; l++)
            {
                var g = Geometry(l, key);
                InputGemm(_main, l, g, 0, g.Rows);
                var choice = Choice(l, batch);
                if (choice.Algorithm == GpuAlgorithm.Persistent)
                    PersistentLayer(_main, l, g, key, choice.Plan!);
                else
                    StandardLayer(_main, l, g, key, 0, steps);
            }
        }

        if (key.Has(RunFlags.Step))
        {
            _main.CopyToHost(_yHost.Pointer, _y.Pointer, 4L * batch * _model.OutputSize);
            return;
        }
        if (key.Has(RunFlags.WantY))
            _main.CopyToHost(_yHost.Pointer, _y.Pointer, 4 * OutputElements(steps, batch));
        Span<(long Device, long Host, long Count)> pieces = stackalloc (long, long, long)[2];
        for (int l = 0; l < _layers.Length; l++)
        {
            if (key.Has(RunFlags.WantH))
                CopyStateOut(_h[l], _hHost, l, batch, pieces);
            if (key.Has(RunFlags.WantC) && _c[l] is { } c)
                CopyStateOut(c, _cHost, l, batch, pieces);
        }
    }

    private void InitialStates(in RunKey key)
    {
        Span<(long Device, long Host, long Count)> pieces = stackalloc (long, long, long)[2];
        for (int l = 0; l < _layers.Length; l++)
        {
            if (key.Has(RunFlags.InitialH))
                CopyStateIn(_h[l], _hHost, l, key.Batch, pieces);
            else
                _main.Zero(_h[l].Pointer, _h[l].Bytes);
            if (_c[l] is { } c)
            {
                if (key.Has(RunFlags.InitialC))
                    CopyStateIn(c, _cHost, l, key.Batch, pieces);
                else
                    _main.Zero(c.Pointer, c.Bytes);
            }
        }
    }

    private void CopyStateIn(IDeviceMemory state, IHostMemory host, int layer, int batch, Span<(long Device, long Host, long Count)> pieces)
    {
        int n = LayerGeometry.StateCopies(_layers[layer], batch, MaxBatch, _options.Layout, pieces);
        long block = _stateRowOffset[layer] * batch;
        for (int i = 0; i < n; i++)
            _main.CopyToDevice(state.Pointer + 4 * (ulong)pieces[i].Device, host.Pointer + (nint)(4 * (block + pieces[i].Host)), 4 * pieces[i].Count);
    }

    private void CopyStateOut(IDeviceMemory state, IHostMemory host, int layer, int batch, Span<(long Device, long Host, long Count)> pieces)
    {
        int n = LayerGeometry.StateCopies(_layers[layer], batch, MaxBatch, _options.Layout, pieces);
        long block = _stateRowOffset[layer] * batch;
        for (int i = 0; i < n; i++)
            _main.CopyToHost(host.Pointer + (nint)(4 * (block + pieces[i].Host)), state.Pointer + 4 * (ulong)pieces[i].Device, 4 * pieces[i].Count);
    }

    /// <summary>Layers as a wavefront: layer l works on time chunk c (own queue) once layer l − 1 has finished it.</summary>
    private void RecordWavefront(in RunKey key)
    {
        int steps = key.Steps, batch = key.Batch;
        int chunk = WavefrontSchedule.ChooseChunk(steps, _options.WavefrontChunk);
        int chunks = WavefrontSchedule.ChunkCount(steps, chunk);
        _main.Record(_fork);
        var g0 = Geometry(0, key);
        InputGemm(_main, 0, g0, 0, g0.Rows);
        for (int c = 0; c < chunks; c++)
        {
            var (start, count) = WavefrontSchedule.Chunk(c, steps, chunk);
            StandardLayer(_main, 0, g0, key, start, count);
            _main.Record(_chunkDone[0][c]);
        }
        for (int l = 1; l < _layers.Length; l++)
        {
            var q = _layerQueues[l]!;
            var g = Geometry(l, key);
            q.Wait(_fork);
            for (int c = 0; c < chunks; c++)
            {
                var (start, count) = WavefrontSchedule.Chunk(c, steps, chunk);
                q.Wait(_chunkDone[l - 1][c]);
                InputGemm(q, l, g, start * batch, count * batch);
                StandardLayer(q, l, g, key, start, count);
                q.Record(_chunkDone[l][c]);
            }
        }
        for (int l = 1; l < _layers.Length; l++)
            _main.Wait(_chunkDone[l][chunks - 1]);
    }

    /// <summary>x W^T for rows [rowStart, rowStart + rows) of the layer's input, both directions at once.</summary>
    private void InputGemm(IDeviceQueue q, int layer, in LayerGeometry g, int rowStart, int rows)
    {
        var o = _layers[layer];
        var w = _model.Weights(layer);
        ulong input = layer == 0 ? _x.Pointer : _yMid[layer - 1]!.Pointer;
        int inSize = o.InputSize;
        q.Gemm(new GemmCall(
            TransA: true, TransB: false, M: g.XwWidth, N: rows, K: inSize,
            A: w.W, Lda: inSize,
            B: input + 4 * (ulong)rowStart * (ulong)inSize, Ldb: inSize,
            C: _xw[layer].Pointer + 4 * (ulong)rowStart * (ulong)g.XwWidth, Ldc: g.XwWidth,
            Precision: _options.Precision));
    }

    /// <summary>Walk positions [kStart, kStart + kCount) of every direction (the second one on its own queue).</summary>
    private void StandardLayer(IDeviceQueue q, int layer, in LayerGeometry g, in RunKey key, int kStart, int kCount)
    {
        int dirs = _layers[layer].DirectionCount;
        if (dirs == 2)
        {
            q.Record(_directionFork);
            _directionQueue.Wait(_directionFork);
            StandardSteps(_directionQueue, layer, 1, g, key, kStart, kCount);
        }
        StandardSteps(q, layer, 0, g, key, kStart, kCount);
        if (dirs == 2)
        {
            _directionQueue.Record(_directionJoin);
            q.Wait(_directionJoin);
        }
    }

    private void StandardSteps(IDeviceQueue q, int layer, int dir, in LayerGeometry g, in RunKey key, int kStart, int kCount)
    {
        var o = _layers[layer];
        var w = _model.Weights(layer);
        int h = o.HiddenSize, gh = o.GateCount * h;
        var args = StepArgs(layer, dir, g, key);
        ulong r = w.R + 4 * (ulong)dir * (ulong)gh * (ulong)h;
        bool twoPhase = o.Cell == RnnCellType.Gru && !o.LinearBeforeReset;
        var kernel = o.Cell == RnnCellType.Lstm ? StepKernel.Lstm : StepKernel.Gru;
        for (int k = kStart; k < kStart + kCount; k++)
        {
            args.K = k;
            if (!twoPhase)
            {
                q.Gemm(new GemmCall(true, false, gh, key.Batch, h, r, h, args.H, g.LdState, args.Hr, gh, _options.Precision));
                q.Launch(kernel, args);
            }
            else
            {
                q.Gemm(new GemmCall(true, false, 2 * h, key.Batch, h, r, h, args.H, g.LdState, args.Hr, gh, _options.Precision));
                q.Launch(StepKernel.GruReset, args);
                q.Gemm(new GemmCall(true, false, h, key.Batch, h, r + 4 * 2 * (ulong)h * (ulong)h, h, args.Rh, h, args.Hr + 4 * 2 * (ulong)h, gh, _options.Precision));
                q.Launch(StepKernel.GruUpdate, args);
            }
        }
    }

    private StepKernelArgs StepArgs(int layer, int dir, in LayerGeometry g, in RunKey key)
    {
        var o = _layers[layer];
        var w = _model.Weights(layer);
        int h = o.HiddenSize, gh = o.GateCount * h;
        return new StepKernelArgs
        {
            Xw = _xw[layer].Pointer + 4 * (ulong)dir * (ulong)gh,
            Hr = _hr[layer][dir].Pointer,
            Bw = w.Bw + 4 * (ulong)dir * (ulong)gh,
            Br = w.Br + 4 * (ulong)dir * (ulong)gh,
            Peep = w.P == 0 ? 0 : w.P + 4 * (ulong)dir * 3 * (ulong)h,
            Lengths = key.Has(RunFlags.Lengths) ? _lengths.Pointer : 0,
            H = _h[layer].Pointer + 4 * (ulong)dir * (ulong)g.StateStrideD,
            C = _c[layer] is { } c ? c.Pointer + 4 * (ulong)dir * (ulong)g.StateStrideD : 0,
            Y = OutputOf(layer) + 4 * (ulong)dir * (ulong)g.YStrideD,
            Rh = _rh[layer][dir]?.Pointer ?? 0,
            XwStrideT = g.XwStrideT,
            XwStrideB = g.XwStrideB,
            YStrideT = g.YStrideT,
            YStrideB = g.YStrideB,
            HrLd = gh,
            LdH = g.LdState,
            LdC = g.LdState,
            Batch = key.Batch,
            Hidden = h,
            Steps = key.Steps,
            K = 0,
            Reverse = IsReverse(o, dir) ? 1 : 0,
            Clip = (float)(o.Clip ?? 0),
            InputForget = o.InputForget ? 1 : 0,
            Act = KernelActivations.For(o, dir),
        };
    }

    private void PersistentLayer(IDeviceQueue q, int layer, in LayerGeometry g, in RunKey key, PersistentPlan plan)
    {
        var o = _layers[layer];
        ulong barriers = _barriers!.Pointer + 8 * (ulong)layer;
        bool tagged = _options.Barrier == PersistentBarrier.Flag && _options.TaggedExchange && !_options.SkipBarrierForTiming;
        if (_options.Barrier == PersistentBarrier.Flag)
            q.Zero(barriers, 8);
        if (tagged)
        {
            // Tag 0 is never expected: the words the last launch left behind cannot pass for this launch's steps.
            for (int dir = 0; dir < o.DirectionCount; dir++)
                q.Zero(_exchange[layer][dir]!.Pointer, 3L * 8 * key.Batch * o.HiddenSize);
        }
        var args = new PersistentKernelArgs
        {
            Dir0 = PersistentDirection(layer, 0, g, barriers),
            Dir1 = o.DirectionCount == 2 ? PersistentDirection(layer, 1, g, barriers + 4) : default,
            Lengths = key.Has(RunFlags.Lengths) ? _lengths.Pointer : 0,
            XwStrideT = g.XwStrideT,
            XwStrideB = g.XwStrideB,
            YStrideT = g.YStrideT,
            YStrideB = g.YStrideB,
            LdState = g.LdState,
            Batch = key.Batch,
            Hidden = o.HiddenSize,
            Steps = key.Steps,
            Cell = o.Cell == RnnCellType.Lstm ? 0 : 1,
            LinearBeforeReset = o.LinearBeforeReset ? 1 : 0,
            InputForget = o.InputForget ? 1 : 0,
            Clip = (float)(o.Clip ?? 0),
            UnitsPerBlock = plan.UnitsPerBlock,
            BlocksPerDirection = plan.BlocksPerDirection,
            PaddedHidden = plan.PaddedHidden,
            BarrierMode = _options.Barrier == PersistentBarrier.Cooperative ? 1 : _options.SkipBarrierForTiming ? 2 : tagged ? 3 : 0,
        };
        q.LaunchPersistent(plan, args, _options.Barrier);
    }

    private PersistentDirectionArgs PersistentDirection(int layer, int dir, in LayerGeometry g, ulong barrier)
    {
        var o = _layers[layer];
        var w = _model.Weights(layer);
        int h = o.HiddenSize, gh = o.GateCount * h;
        return new PersistentDirectionArgs
        {
            Xw = _xw[layer].Pointer + 4 * (ulong)dir * (ulong)gh,
            R = w.R + 4 * (ulong)dir * (ulong)gh * (ulong)h,
            Bw = w.Bw + 4 * (ulong)dir * (ulong)gh,
            Br = w.Br + 4 * (ulong)dir * (ulong)gh,
            Peep = w.P == 0 ? 0 : w.P + 4 * (ulong)dir * 3 * (ulong)h,
            H = _h[layer].Pointer + 4 * (ulong)dir * (ulong)g.StateStrideD,
            C = _c[layer] is { } c ? c.Pointer + 4 * (ulong)dir * (ulong)g.StateStrideD : 0,
            Y = OutputOf(layer) + 4 * (ulong)dir * (ulong)g.YStrideD,
            Exchange = _exchange[layer][dir]!.Pointer,
            Barrier = barrier,
            Act = KernelActivations.For(o, dir),
            Reverse = IsReverse(o, dir) ? 1 : 0,
        };
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------------------------

    private static bool IsReverse(RnnLayerOptions o, int dir) => o.RunsReversed(dir);

    private ulong OutputOf(int layer) => layer == _layers.Length - 1 ? _y.Pointer : _yMid[layer]!.Pointer;

    private LayerGeometry Geometry(int layer, in RunKey key) =>
        LayerGeometry.For(_layers[layer], layer, _layers.Length, key.Steps, key.Batch, MaxBatch, _options.Layout);

    private AlgorithmChoice Choice(int layer, int batch)
    {
        int slot = Math.Min(batch, PersistentPlan.MaxBatch + 1);
        return _choices[layer, slot] ??= _model.ChooseAlgorithm(layer, batch);
    }

    private bool UsesPersistent(int batch)
    {
        for (int l = 0; l < _layers.Length; l++)
            if (Choice(l, batch).Algorithm == GpuAlgorithm.Persistent)
                return true;
        return false;
    }

    private bool Wavefront(int batch)
    {
        if (_layerQueues.Length < 2 || _layerQueues[1] is null)
            return false;
        for (int l = 0; l < _layers.Length; l++)
            if (Choice(l, batch).Algorithm != GpuAlgorithm.Standard)
                return false;
        return true;
    }

    private long OutputElements(int steps, int batch) => (long)steps * _model.OutputDirections * batch * _model.OutputSize;

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

    private void CheckLimits(int steps, int batch)
    {
        if (steps < 1)
            throw new ArgumentException("Expected sequence length to be larger than 0 in RNN");
        if (batch < 1)
            throw new ArgumentException($"Expected batch size to be larger than 0, got {batch}");
        if (batch > MaxBatch)
            throw new ArgumentException($"batch {batch} exceeds the session's maximum batch {MaxBatch}");
        if (steps > MaxSteps)
            throw new ArgumentException($"sequence length {steps} exceeds the session's maximum sequence length {MaxSteps}");
    }

    private void CheckStep(int batch)
    {
        if (!_model.IsStreamable)
            throw new InvalidOperationException("Step needs a forward-only model: a reverse direction cannot be streamed one step at a time");
        CheckLimits(1, batch);
    }

    private void CheckState(string name, int length, long expected, int batch)
    {
        if (length != 0 && length != expected)
            throw new ArgumentException($"{name} must hold Σ over {_layers.Length} layer(s) of [D, B={batch}, H] = {expected} elements, got {length}");
    }

    private T Own<T>(T resource)
        where T : IDisposable
    {
        _owned.Add(resource);
        return resource;
    }

    private IDeviceMemory Floats(long count, bool zero = false)
    {
        var memory = Own(_backend.Allocate(4 * Math.Max(1, count)));
        if (zero)
            _main.Zero(memory.Pointer, memory.Bytes);
        return memory;
    }

    private void DisposeOwned()
    {
        _graphs.Dispose();
        for (int i = _owned.Count - 1; i >= 0; i--)
            _owned[i].Dispose();
        _owned.Clear();
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
            _main.Synchronize();
        }
        finally
        {
            DisposeOwned();
        }
    }
}

/// <summary>A backend could not capture a graph (the session then launches directly).</summary>
internal sealed class GraphCaptureException(string message) : Exception(message);

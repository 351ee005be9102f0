using LstmNative.Gpu.Device;
using LstmNative.Model;

namespace LstmNative.Gpu.Inference;

/// <summary>
/// Records what one call of a <see cref="GpuRnnSession"/> does on its queues — copies in, each layer by its algorithm
/// (standard steps, persistent kernel, or layers as a wavefront), copies out — whether the queue is being captured
/// into a graph or launches directly. Holds no buffers of its own (<see cref="SessionBuffers"/>) and checks no
/// arguments (the session did).
/// </summary>
internal sealed class SessionRecorder
{
    private readonly GpuRnnModel _model;
    private readonly GpuInferenceOptions _options;
    private readonly RnnLayerOptions[] _layers;
    private readonly SessionBuffers _b;
    private readonly int _maxBatch;
    private readonly AlgorithmChoice?[,] _choices; // [layer, batch ≤ 8 ; 9 = any larger batch]

    public SessionRecorder(GpuRnnModel model, RnnLayerOptions[] layers, SessionBuffers buffers, int maxBatch)
    {
        _model = model;
        _options = model.Options;
        _layers = layers;
        _b = buffers;
        _maxBatch = maxBatch;
        _choices = new AlgorithmChoice?[layers.Length, PersistentPlan.MaxBatch + 2];
    }

    /// <summary>Queues everything one call does, on the session's queues (captured or not).</summary>
    public void Record(in RunKey key)
    {
        int steps = key.Steps, batch = key.Batch;
        if (!key.Has(RunFlags.Resident))
            _b.Main.CopyToDevice(_b.X.Pointer, _b.XHost.Pointer, 4L * steps * batch * _layers[0].InputSize);
        if (key.Has(RunFlags.Lengths))
            _b.Main.CopyToDevice(_b.Lengths.Pointer, _b.LengthsHost.Pointer, 4L * batch);
        if (!key.Has(RunFlags.Step))
            InitialStates(key);
        if (key.Has(RunFlags.ShortRows))
            _b.Main.Zero(_b.Y.Pointer, 4 * OutputElements(steps, batch));

        if (Wavefront(batch))
        {
            RecordWavefront(key);
        }
        else
        {
            for (int l = 0; l < _layers.Length; l++)
            {
                var g = Geometry(l, key);
                InputGemm(_b.Main, l, g, 0, g.Rows);
                var choice = Choice(l, batch);
                if (choice.Algorithm == GpuAlgorithm.Persistent)
                    PersistentLayer(_b.Main, l, g, key, choice.Plan!);
                else
                    StandardLayer(_b.Main, l, g, key, 0, steps);
            }
        }

        if (key.Has(RunFlags.Step))
        {
            _b.Main.CopyToHost(_b.YHost.Pointer, _b.Y.Pointer, 4L * batch * _model.OutputSize);
            return;
        }
        if (key.Has(RunFlags.WantY))
            _b.Main.CopyToHost(_b.YHost.Pointer, _b.Y.Pointer, 4 * OutputElements(steps, batch));
        Span<(long Device, long Host, long Count)> pieces = stackalloc (long, long, long)[2];
        for (int l = 0; l < _layers.Length; l++)
        {
            if (key.Has(RunFlags.WantH))
                CopyStateOut(_b.H[l], _b.HHost, l, batch, pieces);
            if (key.Has(RunFlags.WantC) && _b.C[l] is { } c)
                CopyStateOut(c, _b.CHost, l, batch, pieces);
        }
    }

    private void InitialStates(in RunKey key)
    {
        Span<(long Device, long Host, long Count)> pieces = stackalloc (long, long, long)[2];
        for (int l = 0; l < _layers.Length; l++)
        {
            if (key.Has(RunFlags.InitialH))
                CopyStateIn(_b.H[l], _b.HHost, l, key.Batch, pieces);
            else
                _b.Main.Zero(_b.H[l].Pointer, _b.H[l].Bytes);
            if (_b.C[l] is { } c)
            {
                if (key.Has(RunFlags.InitialC))
                    CopyStateIn(c, _b.CHost, l, key.Batch, pieces);
                else
                    _b.Main.Zero(c.Pointer, c.Bytes);
            }
        }
    }

    public void CopyStateIn(IDeviceMemory state, IHostMemory host, int layer, int batch, Span<(long Device, long Host, long Count)> pieces)
    {
        int n = LayerGeometry.StateCopies(_layers[layer], batch, _maxBatch, _options.Layout, pieces);
        long block = _b.StateRowOffset[layer] * batch;
        for (int i = 0; i < n; i++)
            _b.Main.CopyToDevice(state.Pointer + 4 * (ulong)pieces[i].Device, host.Pointer + (nint)(4 * (block + pieces[i].Host)), 4 * pieces[i].Count);
    }

    private void CopyStateOut(IDeviceMemory state, IHostMemory host, int layer, int batch, Span<(long Device, long Host, long Count)> pieces)
    {
        int n = LayerGeometry.StateCopies(_layers[layer], batch, _maxBatch, _options.Layout, pieces);
        long block = _b.StateRowOffset[layer] * batch;
        for (int i = 0; i < n; i++)
            _b.Main.CopyToHost(host.Pointer + (nint)(4 * (block + pieces[i].Host)), state.Pointer + 4 * (ulong)pieces[i].Device, 4 * pieces[i].Count);
    }

    /// <summary>Layers as a wavefront: layer l works on time chunk c (own queue) once layer l − 1 has finished it.</summary>
    private void RecordWavefront(in RunKey key)
    {
        int steps = key.Steps, batch = key.Batch;
        int chunk = WavefrontSchedule.ChooseChunk(steps, _options.WavefrontChunk);
        int chunks = WavefrontSchedule.ChunkCount(steps, chunk);
        _b.Main.Record(_b.Fork);
        var g0 = Geometry(0, key);
        InputGemm(_b.Main, 0, g0, 0, g0.Rows);
        for (int c = 0; c < chunks; c++)
        {
            var (start, count) = WavefrontSchedule.Chunk(c, steps, chunk);
            StandardLayer(_b.Main, 0, g0, key, start, count);
            _b.Main.Record(_b.ChunkDone[0][c]);
        }
        for (int l = 1; l < _layers.Length; l++)
        {
            var q = _b.LayerQueues[l]!;
            var g = Geometry(l, key);
            q.Wait(_b.Fork);
            for (int c = 0; c < chunks; c++)
            {
                var (start, count) = WavefrontSchedule.Chunk(c, steps, chunk);
                q.Wait(_b.ChunkDone[l - 1][c]);
                InputGemm(q, l, g, start * batch, count * batch);
                StandardLayer(q, l, g, key, start, count);
                q.Record(_b.ChunkDone[l][c]);
            }
        }
        for (int l = 1; l < _layers.Length; l++)
            _b.Main.Wait(_b.ChunkDone[l][chunks - 1]);
    }

    /// <summary>x W^T for rows [rowStart, rowStart + rows) of the layer's input, both directions at once.</summary>
    private void InputGemm(IDeviceQueue q, int layer, in LayerGeometry g, int rowStart, int rows)
    {
        var o = _layers[layer];
        var w = _model.Weights(layer);
        ulong input = layer == 0 ? _b.X.Pointer : _b.YMid[layer - 1]!.Pointer;
        int inSize = o.InputSize;
        q.Gemm(GemmOp.ColumnMajor(
            transA: true, transB: false, m: g.XwWidth, n: rows, k: inSize,
            a: w.W, lda: inSize,
            b: input + 4 * (ulong)rowStart * (ulong)inSize, ldb: inSize,
            c: _b.Xw[layer].Pointer + 4 * (ulong)rowStart * (ulong)g.XwWidth, ldc: g.XwWidth,
            precision: _options.Precision));
    }

    /// <summary>Walk positions [kStart, kStart + kCount) of every direction (the second one on its own queue).</summary>
    private void StandardLayer(IDeviceQueue q, int layer, in LayerGeometry g, in RunKey key, int kStart, int kCount)
    {
        int dirs = _layers[layer].DirectionCount;
        if (dirs == 2)
        {
            q.Record(_b.DirectionFork);
            _b.DirectionQueue.Wait(_b.DirectionFork);
            StandardSteps(_b.DirectionQueue, layer, 1, g, key, kStart, kCount);
        }
        StandardSteps(q, layer, 0, g, key, kStart, kCount);
        if (dirs == 2)
        {
            _b.DirectionQueue.Record(_b.DirectionJoin);
            q.Wait(_b.DirectionJoin);
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
                q.Gemm(GemmOp.ColumnMajor(true, false, gh, key.Batch, h, r, h, args.H, g.LdState, args.Hr, gh, _options.Precision));
                q.Launch(kernel, args);
            }
            else
            {
                q.Gemm(GemmOp.ColumnMajor(true, false, 2 * h, key.Batch, h, r, h, args.H, g.LdState, args.Hr, gh, _options.Precision));
                q.Launch(StepKernel.GruReset, args);
                q.Gemm(GemmOp.ColumnMajor(true, false, h, key.Batch, h, r + 4 * 2 * (ulong)h * (ulong)h, h, args.Rh, h, args.Hr + 4 * 2 * (ulong)h, gh, _options.Precision));
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
            Xw = _b.Xw[layer].Pointer + 4 * (ulong)dir * (ulong)gh,
            Hr = _b.Hr[layer][dir].Pointer,
            Bw = w.Bw + 4 * (ulong)dir * (ulong)gh,
            Br = w.Br + 4 * (ulong)dir * (ulong)gh,
            Peep = w.P == 0 ? 0 : w.P + 4 * (ulong)dir * 3 * (ulong)h,
            Lengths = key.Has(RunFlags.Lengths) ? _b.Lengths.Pointer : 0,
            H = _b.H[layer].Pointer + 4 * (ulong)dir * (ulong)g.StateStrideD,
            C = _b.C[layer] is { } c ? c.Pointer + 4 * (ulong)dir * (ulong)g.StateStrideD : 0,
            Y = OutputOf(layer) + 4 * (ulong)dir * (ulong)g.YStrideD,
            Rh = _b.Rh[layer][dir]?.Pointer ?? 0,
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
            Reverse = o.RunsReversed(dir) ? 1 : 0,
            Clip = (float)(o.Clip ?? 0),
            InputForget = o.InputForget ? 1 : 0,
            Act = KernelActivations.For(o, dir),
        };
    }

    private void PersistentLayer(IDeviceQueue q, int layer, in LayerGeometry g, in RunKey key, PersistentPlan plan)
    {
        var o = _layers[layer];
        ulong barriers = _b.Barriers!.Pointer + 8 * (ulong)layer;
        bool tagged = _options.Barrier == PersistentBarrier.Flag && _options.TaggedExchange && !_options.SkipBarrierForTiming;
        if (_options.Barrier == PersistentBarrier.Flag)
            q.Zero(barriers, 8);
        if (tagged)
        {
            // Tag 0 is never expected: the words the last launch left behind cannot pass for this launch's steps.
            for (int dir = 0; dir < o.DirectionCount; dir++)
                q.Zero(_b.Exchange[layer][dir]!.Pointer, 3L * 8 * key.Batch * o.HiddenSize);
        }
        var args = new PersistentKernelArgs
        {
            Dir0 = PersistentDirection(layer, 0, g, barriers),
            Dir1 = o.DirectionCount == 2 ? PersistentDirection(layer, 1, g, barriers + 4) : default,
            Lengths = key.Has(RunFlags.Lengths) ? _b.Lengths.Pointer : 0,
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
            Xw = _b.Xw[layer].Pointer + 4 * (ulong)dir * (ulong)gh,
            R = w.R + 4 * (ulong)dir * (ulong)gh * (ulong)h,
            Bw = w.Bw + 4 * (ulong)dir * (ulong)gh,
            Br = w.Br + 4 * (ulong)dir * (ulong)gh,
            Peep = w.P == 0 ? 0 : w.P + 4 * (ulong)dir * 3 * (ulong)h,
            H = _b.H[layer].Pointer + 4 * (ulong)dir * (ulong)g.StateStrideD,
            C = _b.C[layer] is { } c ? c.Pointer + 4 * (ulong)dir * (ulong)g.StateStrideD : 0,
            Y = OutputOf(layer) + 4 * (ulong)dir * (ulong)g.YStrideD,
            Exchange = _b.Exchange[layer][dir]!.Pointer,
            Barrier = barrier,
            Act = KernelActivations.For(o, dir),
            Reverse = o.RunsReversed(dir) ? 1 : 0,
        };
    }

    private ulong OutputOf(int layer) => layer == _layers.Length - 1 ? _b.Y.Pointer : _b.YMid[layer]!.Pointer;

    private LayerGeometry Geometry(int layer, in RunKey key) =>
        LayerGeometry.For(_layers[layer], layer, _layers.Length, key.Steps, key.Batch, _maxBatch, _options.Layout);

    public AlgorithmChoice Choice(int layer, int batch)
    {
        int slot = Math.Min(batch, PersistentPlan.MaxBatch + 1);
        return _choices[layer, slot] ??= _model.ChooseAlgorithm(layer, batch);
    }

    public bool UsesPersistent(int batch)
    {
        for (int l = 0; l < _layers.Length; l++)
            if (Choice(l, batch).Algorithm == GpuAlgorithm.Persistent)
                return true;
        return false;
    }

    private bool Wavefront(int batch)
    {
        if (!_b.WavefrontPossible)
            return false;
        for (int l = 0; l < _layers.Length; l++)
            if (Choice(l, batch).Algorithm != GpuAlgorithm.Standard)
                return false;
        return true;
    }

    /// <summary>Elements of the last layer's output for a call of this shape.</summary>
    public long OutputElements(int steps, int batch) => (long)steps * _model.OutputDirections * batch * _model.OutputSize;
}

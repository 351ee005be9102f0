using System.Runtime.CompilerServices;
using LstmNative.Cpu.Kernels;
using LstmNative.Model;

namespace LstmNative.Cpu;

/// <summary>
/// Runs one layer on a <see cref="WorkerPool"/>: the input projection of every time step as one GEMM, then the
/// recurrence, where each worker owns a range of unit blocks (all gates of those units: a slice of R that stays in its
/// L2), computes its columns of the recurrent GEMM, runs the fused gate/cell update for its units, and meets the others
/// once per step (twice for GRU with linear_before_reset = 0). Backward mirrors it and ends with the weight-gradient GEMMs.
/// Bidirectional layers on two workers run one direction per worker with no per-step synchronisation at all.
/// </summary>
/// <remarks>
/// No tier-up on the per-call path: the methods a call runs through (here, in <see cref="CpuRnnSession"/>,
/// <see cref="WorkerPool"/>, the shape checks and the kernels) are <c>AggressiveOptimization</c>, compiled once and
/// optimised at their first call. Left to tiered compilation they were recompiled in the background a few hundred
/// calls into a process, and on a two-core machine that compiler thread took a worker's core: the idle p99 of a
/// two-thread H = 256 run was 3-4 ms against a 0.9 ms median (docs/benchmarks.md, "Latency, part 2").
/// </remarks>
internal sealed unsafe partial class LayerExecutor : IPoolJob
{
    private readonly CpuLayerPlan _plan;
    private readonly DirectionBuffers[] _dirs;
    private readonly AlignedBuffer[] _scratch;
    private readonly int[] _lengths;
    private readonly int[] _maxLen = new int[2];
    private readonly RnnLayerOptions _o;
    private readonly int _gateColumns;
    private readonly long _recurrentBytes; // one direction's packed R, every gate group

    /// <summary>Multiply-adds per step below which the recurrence runs on one worker (tests lower it to exercise the split).</summary>
    /// <remarks>
    /// 50,000 (LSTM H ≈ 112, GRU H ≈ 129 at batch 1): measured with <c>tail</c> (each engine in its own process, 2,000
    /// runs of T = 100, two rounds, 2026-12-06), a second worker made the median run slower below it (LSTM H = 64:
    /// 0.161-0.166 ms against 0.102-0.107 on one worker; H = 96: 0.249 against 0.198-0.213), equal at H = 112-128
    /// (0.296-0.334 against 0.301-0.378) and faster from H = 192 (0.585 against 0.717); its p99 was higher at every
    /// size. It was 10,000, from best-of timings, whose fastest two-worker runs (0.084-0.090 ms at H = 64) hid the typical one.
    /// A GRU step (two products, two pointwise passes) needs 1.8 times as much: its medians crossed between H = 160
    /// (76,800 multiply-adds: two workers 0.369 ms against 0.353) and H = 192 (110,592: 0.451 against 0.533).
    /// </remarks>
    internal static long MinParallelStepWork { get; set; } = 50_000;

    /// <summary>Multiply-adds per forward call below which it runs on the calling thread alone (tests lower it).</summary>
    internal static long MinParallelRunWork { get; set; } = 100_000;

    /// <summary>
    /// Batch rows per worker from which the recurrence is split by batch rows instead of by units, fixed (tests lower it
    /// to exercise that split on small shapes, or raise it to keep the unit split); null: <see cref="BatchSplitRows"/>'s rule.
    /// </summary>
    internal static int? MinRowsPerWorkerForBatchSplit { get; set; }

    /// <summary>Bytes of one direction's R up to which the recurrence splits by rows from <c>8</c> rows per worker, not 16.</summary>
    internal const long NarrowBatchSplitMaxBytes = 3L << 20;

    /// <summary>
    /// Batch rows per worker from which the recurrence splits by rows, for R of <paramref name="recurrentBytes"/> a
    /// direction; the backward keeps 16 (the narrower split was measured on the forward only).
    /// </summary>
    /// <remarks>
    /// A row split costs each worker a read of all of R per step but no meeting between steps; the unit split reads R
    /// once between the workers and meets at every step. Measured (<c>tail</c> with <c>LSTMNATIVE_TAIL_BATCH=16</c>, two
    /// threads, each setting in its own process, alternating, 2026-12-07, Zen 5 VM), B = 16 split by rows (8 a worker)
    /// against by units, p50: H = 128 (R 256 KiB) 2.18-2.26 against 2.91-2.96 ms; H = 256 (1 MiB) 7.28-7.80 against
    /// 8.08-8.51; H = 384 (2.25 MiB) 14.2-15.9 against 15.3-16.3; H = 512 (4 MiB) 29.8-30.1 against 29.1-30.1, equal;
    /// H = 1024 (16 MiB) 152-168 against 106-133, worse. At 4 rows a worker (B = 8) it was mixed at H = 256, so
    /// 8 rows is the floor. GRU, whose unit split meets twice a step, gained more: H = 128 1.31 against 2.23-2.24 ms,
    /// H = 256 4.49-4.73 against 5.94-6.08.
    /// </remarks>
    internal static int BatchSplitRows(long recurrentBytes, bool backward) =>
        MinRowsPerWorkerForBatchSplit ?? (!backward && recurrentBytes <= NarrowBatchSplitMaxBytes ? 8 : 16);

    private int _walkParity; // 0 or 1: the parity of the steps walked by earlier forward calls (Descending)
    private bool _alternating;
    private bool _backward;
    private float* _x;
    private int _steps;
    private int _batch;
    private float* _y;
    private nint _yT, _yB, _yD;
    private DirectionGradients[]? _grads;
    private bool _parallelDirections;
    private bool _batchSplit;
    private int _chunkRows, _chunks, _nextChunk;
    private int _recurrentWorkers;
    private int _plannedWorkers;
    private readonly SpinBarrier _stepBarrier = new();

    public LayerExecutor(CpuLayerPlan plan, int maxSteps, int maxBatch, bool trace, int maxWorkers)
    {
        _plan = plan;
        _o = plan.Options;
        MaxSteps = maxSteps;
        MaxBatch = maxBatch;
        Trace = trace;
        _dirs = new DirectionBuffers[_o.DirectionCount];
        for (int d = 0; d < _dirs.Length; d++)
            _dirs[d] = new DirectionBuffers(plan, maxSteps, maxBatch, trace);
        _scratch = new AlignedBuffer[Math.Max(1, maxWorkers)];
        for (int w = 0; w < _scratch.Length; w++)
            _scratch[w] = new AlignedBuffer(Sgemm.ScratchFloats);
        _lengths = new int[maxBatch];
        foreach (var g in plan.Directions[0].Groups)
        {
            _gateColumns += g.Columns;
            _recurrentBytes += g.RecurrentForward.Panels * g.RecurrentForward.PanelBytes;
        }
        int chunks = _scratch.Length * MaxChunksPerWorker;
        _projection = new (int, int, int, int)[_dirs.Length * plan.Directions[0].Groups.Length * chunks];
        _claims = new long[Math.Max(_projection.Length, chunks)];
    }

    public CpuLayerPlan Plan => _plan;

    public int MaxSteps { get; }

    public int MaxBatch { get; }

    public bool Trace { get; }

    /// <summary>Per-row valid lengths of the current run (first <c>batch</c> entries).</summary>
    public int[] Lengths => _lengths;

    public int Steps => _steps;

    public int Batch => _batch;

    public DirectionBuffers Direction(int d) => _dirs[d];

    /// <summary>Walk steps of direction d in the current run (the longest row).</summary>
    public int WalkSteps(int d) => _maxLen[d];

    /// <summary>The state slot that holds the state before walk step s.</summary>
    public int Slot(int s) => Trace ? s : s & 1;

    /// <summary>Loads the initial states (<c>[D, B, H]</c>; null means zeros) into slot 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    public void SetInitialState(float* h0, float* c0, int batch)
    {
        int h = _plan.Hidden, hp = _plan.HiddenPadded;
        for (int d = 0; d < _dirs.Length; d++)
        {
            LoadState(_dirs[d].H.Pointer, h0 == null ? null : h0 + (long)d * batch * h, batch, h, hp);
            if (_plan.IsLstm)
                LoadState(_dirs[d].C.Pointer, c0 == null ? null : c0 + (long)d * batch * h, batch, h, hp);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    private static void LoadState(float* dst, float* src, int batch, int h, int hp)
    {
        new Span<float>(dst, batch * hp).Clear();
        if (src == null)
            return;
        for (int b = 0; b < batch; b++)
            new ReadOnlySpan<float>(src + b * h, h).CopyTo(new Span<float>(dst + b * hp, h));
    }

    /// <summary>Copies the final states (the last valid one of each row) to <c>[D, B, H]</c> outputs (either may be null).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    public void ReadFinalState(float* yh, float* yc)
    {
        int h = _plan.Hidden, hp = _plan.HiddenPadded, batch = _batch;
        for (int d = 0; d < _dirs.Length; d++)
        {
            long slot = (long)Slot(_maxLen[d]) * batch * hp;
            for (int b = 0; b < batch; b++)
            {
                if (yh != null)
                    new ReadOnlySpan<float>(_dirs[d].H.Pointer + slot + b * hp, h).CopyTo(new Span<float>(yh + ((long)d * batch + b) * h, h));
                if (yc != null && _plan.IsLstm)
                    new ReadOnlySpan<float>(_dirs[d].C.Pointer + slot + b * hp, h).CopyTo(new Span<float>(yc + ((long)d * batch + b) * h, h));
            }
        }
    }

    /// <summary>Inference ring: moves the final state into slot 0 so the next run continues from it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    public void FinalToInitial()
    {
        int n = _batch * _plan.HiddenPadded;
        for (int d = 0; d < _dirs.Length; d++)
        {
            if (Slot(_maxLen[d]) == 0)
                continue;
            new ReadOnlySpan<float>(_dirs[d].H.Pointer + n, n).CopyTo(new Span<float>(_dirs[d].H.Pointer, n));
            if (_plan.IsLstm)
                new ReadOnlySpan<float>(_dirs[d].C.Pointer + n, n).CopyTo(new Span<float>(_dirs[d].C.Pointer, n));
        }
    }

    /// <summary>
    /// Runs forward from slot 0. <see cref="Lengths"/> must hold the batch's lengths. Y (may be null) is written at
    /// <c>y + t·yT + b·yB + d·yD</c> for valid steps and zeroed past each row's end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    public void Forward(WorkerPool pool, int threads, float* x, int steps, int batch, float* y, nint yT, nint yB, nint yD)
    {
        _x = x;
        _steps = steps;
        _batch = batch;
        _y = y;
        _yT = yT;
        _yB = yB;
        _yD = yD;
        _backward = false;
        int maxLen = 0;
        for (int b = 0; b < batch; b++)
            maxLen = Math.Max(maxLen, _lengths[b]);
        _maxLen[0] = _maxLen[1] = maxLen;
        if (y != null)
            for (int b = 0; b < batch; b++)
                for (int t = _lengths[b]; t < steps; t++)
                    for (int d = 0; d < _dirs.Length; d++)
                        new Span<float>(y + t * yT + b * yB + d * yD, _plan.Hidden).Clear();
        int workers = Math.Min(threads, Math.Min(pool.Threads, _scratch.Length));
        // Waking a worker costs about a microsecond per call: a call with less work than that pays for (a streaming
        // Step at H = 64 ran 20 % slower on two threads than on one) runs on the caller alone.
        if ((long)maxLen * _dirs.Length * batch * _gateColumns * _plan.Hidden < MinParallelRunWork)
            workers = 1;
        PlanWorkers(workers, batch);
        pool.Run(this, workers);
        _walkParity = (_walkParity + maxLen) & 1;
    }

    /// <summary>Back-propagates the traced run into <paramref name="grads"/> (one per direction, DH/DC/DY preset).</summary>
    public void Backward(WorkerPool pool, int threads, DirectionGradients[] grads)
    {
        _grads = grads;
        _backward = true;
        int workers = Math.Min(threads, Math.Min(pool.Threads, _scratch.Length));
        PlanWorkers(workers, _batch);
        try
        {
            pool.Run(this, workers);
        }
        finally
        {
            _grads = null;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    private void PlanWorkers(int workers, int batch)
    {
        _plannedWorkers = workers;
        _parallelDirections = _dirs.Length == 2 && workers is 2 or 3;
        // Below MinParallelStepWork multiply-adds per step a second worker costs more in synchronisation than it saves
        // (its remarks; docs/benchmarks.md). On a loaded machine a descheduled partner
        // made every step wait a scheduler quantum; the forward now claims its work (LayerExecutor.Claimed.cs) so the
        // others carry on; two-phase GRU and the backward still meet at every step.
        long work = (long)batch * _gateColumns * _plan.Hidden;
        long minWork = _plan.IsLstm ? MinParallelStepWork : MinParallelStepWork * 9 / 5;
        _recurrentWorkers = work < minWork ? 1 : Math.Min(workers, _plan.Blocks);
        // With enough rows per worker, each worker runs the whole recurrence of its own batch rows: every worker reads
        // all of R each step (its GEMM has enough rows to reuse each panel), and the workers never meet between steps.
        // Backward with peepholes accumulates the peephole gradients per unit across rows, so it keeps the unit split.
        _batchSplit = !_parallelDirections && workers > 1 && batch / workers >= BatchSplitRows(_recurrentBytes, _backward)
            && work >= minWork && !(_backward && _plan.Directions[0].Peepholes is not null);
        if (_batchSplit)
        {
            // One chunk of rows per worker, claimed by whichever worker comes first (a worker that starts late does not
            // hold a chunk hostage). More, smaller chunks were measured: they balance better when a core is taken away
            // for a while, but every chunk streams all of R each step, and at H = 512 that cost more than it saved.
            _recurrentWorkers = workers;
            _chunkRows = (batch + workers - 1) / workers;
            _chunks = (batch + _chunkRows - 1) / _chunkRows;
            _nextChunk = 0;
        }
        _stepBarrier.Reset(_recurrentWorkers);
        PlanClaims(workers);
        PlanAlternation();
        PlanFused(workers, batch);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    public void Execute(int worker, int workers, SpinBarrier barrier)
    {
        // A pool that is busy runs the job on its caller alone (workers = 1) although it was planned for more: plan
        // again for what runs, or the recurrence would wait at a barrier for workers that never come (and a
        // bidirectional layer would skip its second direction). Only the caller runs then, so re-planning is safe.
        if (workers != _plannedWorkers)
            PlanWorkers(workers, _batch);
        switch (_plan.Width)
        {
            case KernelWidth.Vector512:
                Run<Vec512>(worker, workers, barrier);
                break;
            case KernelWidth.Vector256:
                Run<Vec256>(worker, workers, barrier);
                break;
            default:
                Run<VecS>(worker, workers, barrier);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    private void Run<TV>(int w, int workers, SpinBarrier bar) where TV : unmanaged, IVec<TV>
    {
        float* scratch = _scratch[w].Pointer;
        if (_claimed)
        {
            // Forward, units split, on a machine that may take a worker away: every piece of work is claimed, so a
            // late or descheduled worker's share is done by the others instead of being waited for.
            ClaimedForward<TV>(w, workers, scratch);
            return;
        }
        if (!_backward && !_fused) // the fused forward projects inside the walk (LayerExecutor.Fused.cs)
        {
            int rows = _steps * _batch;
            for (int d = 0; d < _dirs.Length; d++)
            {
                var groups = _plan.Directions[d].Groups;
                for (int g = 0; g < groups.Length; g++)
                {
                    var m = groups[g].InputForward;
                    Split(m.Panels, w, workers, out int p0, out int pc);
                    Sgemm.Run<TV>(rows, _plan.Input, _x, _plan.Input, 1, m, p0, pc, _dirs[d].Pre[g].Pointer, groups[g].Columns, false, scratch);
                }
            }
            bar.Wait();
        }
        if (_parallelDirections)
        {
            if (w < 2)
                Recurrence<TV>(w, 0, _plan.Blocks, 0, _batch, SpinBarrier.Single, scratch);
        }
        else if (_batchSplit)
        {
            // Each chunk of rows runs its whole walk, for one direction, on whichever worker claims it.
            int total = _chunks * _dirs.Length;
            for (int c = Interlocked.Increment(ref _nextChunk) - 1; c < total; c = Interlocked.Increment(ref _nextChunk) - 1)
            {
                int d = c / _chunks, b0 = c % _chunks * _chunkRows;
                Recurrence<TV>(d, 0, _plan.Blocks, b0, Math.Min(_batch, b0 + _chunkRows), SpinBarrier.Single, scratch);
            }
        }
        else if (w < _recurrentWorkers)
        {
            // Only the workers that own unit blocks take part in the per-step synchronisation.
            var stepBarrier = _recurrentWorkers == 1 ? SpinBarrier.Single : _stepBarrier;
            Split(_plan.Blocks, w, _recurrentWorkers, out int u0, out int count);
            try
            {
                for (int d = 0; d < _dirs.Length; d++)
                    Recurrence<TV>(d, u0, u0 + count, 0, _batch, stepBarrier, scratch);
            }
            catch
            {
                _stepBarrier.Break();
                throw;
            }
        }
        if (_backward)
        {
            bar.Wait();
            WeightGradients<TV>(w, workers, bar, scratch);
        }
    }

    /// <summary>Direction d's walk for unit blocks [u0, u1) of batch rows [b0, b1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    private void Recurrence<TV>(int d, int u0, int u1, int b0, int b1, SpinBarrier bar, float* scratch) where TV : unmanaged, IVec<TV>
    {
        if (!_backward)
        {
            if (_fused)
                FusedPrologue<TV>(d, scratch);
            for (int s = 0; s < _maxLen[d]; s++)
            {
                if (_plan.IsLstm)
                    LstmStep<TV>(d, s, u0, u1, b0, b1, bar, scratch);
                else
                    GruStep<TV>(d, s, u0, u1, b0, b1, bar, scratch);
            }
        }
        else
        {
            for (int s = _maxLen[d] - 1; s >= 0; s--)
            {
                if (_plan.IsLstm)
                    LstmStepBack<TV>(d, s, u0, u1, b0, b1, bar, scratch);
                else
                    GruStepBack<TV>(d, s, u0, u1, b0, b1, bar, scratch);
            }
        }
    }

    /// <summary>
    /// Whether walk step s reads R's panels last to first (<see cref="Sgemm.RunRecurrent{TV}"/>): every other step, counted
    /// across calls, so that streaming <see cref="CpuRnnSession.Step"/> calls alternate too.
    /// </summary>
    private bool Descending(int s) => _alternating && ((s + _walkParity) & 1) != 0;

    /// <summary>Whether walks alternate the order of R's panels (tests and benchmarks switch it off to compare).</summary>
    internal static bool AlternateWalks { get; set; } = true;

    /// <summary>
    /// Bytes of R a worker streams per step up to which the walk alternates. The part of R that an alternating walk finds
    /// in L2 shrinks as R grows, while every descending run restarts the prefetchers' streams: measured at batch 1
    /// (docs/benchmarks.md, "Alternating walks"), float32 H = 512 (4 MiB on one worker) ran 1.05-1.18x faster
    /// alternating, H = 1024 (16 MiB; 8 MiB a worker on two) 0.94-0.99x.
    /// </summary>
    internal const long MaxAlternatingBytes = 4L << 20;

    /// <summary>Whether a walk in which each worker streams <paramref name="bytesPerWorker"/> of R a step alternates.</summary>
    internal static bool Alternates(long bytesPerWorker) =>
        AlternateWalks && bytesPerWorker > Sgemm.DescendingRunBytes && bytesPerWorker <= MaxAlternatingBytes;

    // A worker streams its share of the units' panels (unit split), or all of one direction's R (batch split, a direction a worker).
    private void PlanAlternation() =>
        _alternating = Alternates(_batchSplit || _parallelDirections ? _recurrentBytes : _recurrentBytes / _recurrentWorkers);

    private static void Split(int n, int w, int workers, out int start, out int count)
    {
        start = (int)((long)n * w / workers);
        count = (int)((long)n * (w + 1) / workers) - start;
    }

    private static int SplitCount(int n, int w, int workers) => (int)((long)n * (w + 1) / workers) - (int)((long)n * w / workers);

    private bool Reverse(int d) => _o.RunsReversed(d);

    private int TimeOf(int d, int b, int s) => Reverse(d) ? _lengths[b] - 1 - s : s;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    private void WriteY(int d, int t, int b, float* h, int u0, int u1)
    {
        if (_y == null)
            return;
        int j0 = u0 * _plan.PanelWidth, j1 = Math.Min(u1 * _plan.PanelWidth, _plan.Hidden);
        if (j1 > j0)
            new ReadOnlySpan<float>(h + j0, j1 - j0).CopyTo(new Span<float>(_y + t * _yT + b * _yB + d * _yD + j0, j1 - j0));
    }

    private void CopyUnits(float* src, float* dst, int u0, int u1)
    {
        int nr = _plan.PanelWidth;
        if (u1 > u0)
            new ReadOnlySpan<float>(src + u0 * nr, (u1 - u0) * nr).CopyTo(new Span<float>(dst + u0 * nr, (u1 - u0) * nr));
    }

    private static void ClearRange(float* p, int start, int count)
    {
        if (count > 0)
            new Span<float>(p + start, count).Clear();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    private void LstmStep<TV>(int d, int s, int u0, int u1, int b0, int b1, SpinBarrier bar, float* scratch) where TV : unmanaged, IVec<TV>
    {
        var dp = _plan.Directions[d];
        var buf = _dirs[d];
        var g = dp.Groups[0];
        int batch = _batch, hp = _plan.HiddenPadded, nr = _plan.PanelWidth, cols = g.Columns;
        float* hprev = buf.H.Pointer + (long)Slot(s) * batch * hp, hout = buf.H.Pointer + (long)Slot(s + 1) * batch * hp;
        float* cprev = buf.C.Pointer + (long)Slot(s) * batch * hp, cout = buf.C.Pointer + (long)Slot(s + 1) * batch * hp;
        float* rec = buf.Recurrent[0].Pointer;
        if (_fused)
            FusedProduct(d, s, 0, hprev, rec, scratch);
        else
            Sgemm.RunRecurrent<TV>(b1 - b0, _plan.Hidden, hprev + b0 * hp, hp, 1, g.RecurrentForward, u0 * 4, (u1 - u0) * 4, rec + b0 * cols, cols, false, scratch, Descending(s));
        float* peep = dp.Peepholes is { } pb ? pb.Pointer : null;
        for (int b = b0; b < b1; b++)
        {
            if (s >= _lengths[b])
            {
                CopyUnits(hprev + b * hp, hout + b * hp, u0, u1);
                CopyUnits(cprev + b * hp, cout + b * hp, u0, u1);
                continue;
            }
            int t = TimeOf(d, b, s);
            float* pre = buf.Pre[0].Pointer + ((long)t * batch + b) * cols;
            float* act = Trace ? buf.Act[0].Pointer + ((long)s * batch + b) * cols : null;
            if (_plan.DefaultActivations)
                LstmPointwise.Forward<TV>(pre, rec + b * cols, g.Bias.Pointer, peep, hp, cprev + b * hp, cout + b * hp, hout + b * hp,
                    act, u0, u1, nr, _plan.Clip, _o.InputForget);
            else
                GeneralPointwise.LstmForward(pre, rec + b * cols, g.Bias.Pointer, peep, hp, cprev + b * hp, cout + b * hp, hout + b * hp,
                    act, u0, u1, nr, _plan.Clip, _o.InputForget, _o.GetActivation(d, 0), _o.GetActivation(d, 1), _o.GetActivation(d, 2));
            WriteY(d, t, b, hout + b * hp, u0, u1);
        }
        bar.Wait();
    }

    /// <summary>GRU step s's n product on <paramref name="h"/> (h_prev with linear_before_reset, r ⊙ h_prev without) into <paramref name="recN"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    private void GruProductN<TV>(int d, int s, float* h, float* recN, int u0, int u1, int b0, int b1, float* scratch) where TV : unmanaged, IVec<TV>
    {
        int hp = _plan.HiddenPadded;
        if (_fused)
            FusedProduct(d, s, 1, h, recN, scratch);
        else
            Sgemm.RunRecurrent<TV>(b1 - b0, _plan.Hidden, h + b0 * hp, hp, 1, _plan.Directions[d].Groups[1].RecurrentForward, u0, u1 - u0,
                recN + b0 * hp, hp, false, scratch, Descending(s));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    private void GruStep<TV>(int d, int s, int u0, int u1, int b0, int b1, SpinBarrier bar, float* scratch) where TV : unmanaged, IVec<TV>
    {
        var dp = _plan.Directions[d];
        var buf = _dirs[d];
        GateGroup grz = dp.Groups[0], gn = dp.Groups[1];
        int batch = _batch, hp = _plan.HiddenPadded, nr = _plan.PanelWidth, colsRz = grz.Columns;
        bool lbr = _o.LinearBeforeReset;
        float* hprev = buf.H.Pointer + (long)Slot(s) * batch * hp, hout = buf.H.Pointer + (long)Slot(s + 1) * batch * hp;
        float* recRz = buf.Recurrent[0].Pointer, recN = buf.Recurrent[1].Pointer;
        long stepSlot = Trace ? s : 0;
        float* actRz = buf.Act[0].Pointer + stepSlot * batch * colsRz;
        float* actN = buf.Act[1].Pointer + stepSlot * batch * hp;
        float* rh = lbr ? null : buf.RH.Pointer + stepSlot * batch * hp;
        float* q = lbr ? buf.Q.Pointer + stepSlot * batch * hp : null;
        float* rbn = lbr ? dp.RecurrentBiasN!.Pointer : null;
        bool general = !_plan.DefaultActivations;
        Activation fa = general ? _o.GetActivation(d, 0) : default, ga = general ? _o.GetActivation(d, 1) : default;

        bool down = Descending(s);
        // With linear_before_reset both products read h: a descending step runs them in the opposite order too, so that
        // it starts with the panels the ascending step before it read last (R_n's), and the next ascending step with R_rz's.
        if (lbr && down)
            GruProductN<TV>(d, s, hprev, recN, u0, u1, b0, b1, scratch);
        if (_fused)
            FusedProduct(d, s, 0, hprev, recRz, scratch);
        else
            Sgemm.RunRecurrent<TV>(b1 - b0, _plan.Hidden, hprev + b0 * hp, hp, 1, grz.RecurrentForward, u0 * 2, (u1 - u0) * 2, recRz + b0 * colsRz, colsRz, false, scratch, down);
        if (lbr && !down)
            GruProductN<TV>(d, s, hprev, recN, u0, u1, b0, b1, scratch);
        for (int b = b0; b < b1; b++)
        {
            if (s >= _lengths[b])
            {
                if (rh != null)
                    ClearRange(rh + b * hp, u0 * nr, (u1 - u0) * nr);
                continue;
            }
            int t = TimeOf(d, b, s);
            float* pre = buf.Pre[0].Pointer + ((long)t * batch + b) * colsRz;
            if (general)
                GeneralPointwise.GruForwardRz(pre, recRz + b * colsRz, grz.Bias.Pointer, hprev + b * hp, rh == null ? null : rh + b * hp,
                    actRz + b * colsRz, u0, u1, nr, _plan.Clip, fa);
            else
                GruPointwise.ForwardRz<TV>(pre, recRz + b * colsRz, grz.Bias.Pointer, hprev + b * hp, rh == null ? null : rh + b * hp,
                    actRz + b * colsRz, u0, u1, nr, _plan.Clip);
        }
        if (!lbr)
        {
            bar.Wait();
            GruProductN<TV>(d, s, rh, recN, u0, u1, b0, b1, scratch);
        }
        for (int b = b0; b < b1; b++)
        {
            if (s >= _lengths[b])
            {
                CopyUnits(hprev + b * hp, hout + b * hp, u0, u1);
                continue;
            }
            int t = TimeOf(d, b, s);
            float* preN = buf.Pre[1].Pointer + ((long)t * batch + b) * hp;
            if (general)
                GeneralPointwise.GruForwardN(preN, recN + b * hp, gn.Bias.Pointer, rbn, q == null ? null : q + b * hp, actRz + b * colsRz,
                    actN + b * hp, hprev + b * hp, hout + b * hp, u0, u1, nr, _plan.Clip, ga);
            else
                GruPointwise.ForwardN<TV>(preN, recN + b * hp, gn.Bias.Pointer, rbn, q == null ? null : q + b * hp, actRz + b * colsRz,
                    actN + b * hp, hprev + b * hp, hout + b * hp, u0, u1, nr, _plan.Clip);
            WriteY(d, t, b, hout + b * hp, u0, u1);
        }
        bar.Wait();
    }

    private void LstmStepBack<TV>(int d, int s, int u0, int u1, int b0, int b1, SpinBarrier bar, float* scratch) where TV : unmanaged, IVec<TV>
    {
        var dp = _plan.Directions[d];
        var buf = _dirs[d];
        var gr = _grads![d];
        var g = dp.Groups[0];
        int batch = _batch, hp = _plan.HiddenPadded, nr = _plan.PanelWidth, cols = g.Columns;
        float* c = buf.C.Pointer + (long)(s + 1) * batch * hp, cprev = buf.C.Pointer + (long)s * batch * hp;
        float* da = gr.DA[0].Pointer + (long)s * batch * cols;
        float* peep = dp.Peepholes is { } pb ? pb.Pointer : null;
        float* dpeep = peep != null ? gr.DP.Pointer : null;
        float* dyBase = gr.DY.Length > 0 ? gr.DY.Pointer + (long)s * batch * hp : null;
        for (int b = b0; b < b1; b++)
        {
            if (s >= _lengths[b])
            {
                ClearRange(da + b * cols, u0 * 4 * nr, (u1 - u0) * 4 * nr);
                continue;
            }
            int t = TimeOf(d, b, s);
            float* act = buf.Act[0].Pointer + ((long)s * batch + b) * cols;
            float* pre = buf.Pre[0].Pointer + ((long)t * batch + b) * cols;
            float* dy = dyBase == null ? null : dyBase + b * hp;
            if (_plan.DefaultActivations)
                LstmPointwise.Backward<TV>(act, pre, c + b * hp, cprev + b * hp, gr.DH.Pointer + b * hp, dy, gr.DC.Pointer + b * hp,
                    da + b * cols, peep, dpeep, hp, u0, u1, nr, _plan.Clip, _o.InputForget);
            else
                GeneralPointwise.LstmBackward(act, pre, c + b * hp, cprev + b * hp, gr.DH.Pointer + b * hp, dy, gr.DC.Pointer + b * hp,
                    da + b * cols, peep, dpeep, hp, u0, u1, nr, _plan.Clip, _o.InputForget,
                    _o.GetActivation(d, 0), _o.GetActivation(d, 1), _o.GetActivation(d, 2));
        }
        bar.Wait();
        Sgemm.RunRecurrent<TV>(b1 - b0, cols, da + b0 * cols, cols, 1, g.RecurrentBackward!, u0, u1 - u0, gr.DH.Pointer + b0 * hp, hp, true, scratch, Descending(s));
    }

    private void GruStepBack<TV>(int d, int s, int u0, int u1, int b0, int b1, SpinBarrier bar, float* scratch) where TV : unmanaged, IVec<TV>
    {
        var dp = _plan.Directions[d];
        var buf = _dirs[d];
        var gr = _grads![d];
        GateGroup grz = dp.Groups[0], gn = dp.Groups[1];
        int batch = _batch, hp = _plan.HiddenPadded, nr = _plan.PanelWidth, colsRz = grz.Columns;
        bool lbr = _o.LinearBeforeReset;
        bool general = !_plan.DefaultActivations;
        Activation fa = general ? _o.GetActivation(d, 0) : default, ga = general ? _o.GetActivation(d, 1) : default;
        float* hprev = buf.H.Pointer + (long)s * batch * hp;
        float* daRz = gr.DA[0].Pointer + (long)s * batch * colsRz;
        float* daN = gr.DA[1].Pointer + (long)s * batch * hp;
        float* dq = lbr ? gr.DQ.Pointer + (long)s * batch * hp : null;
        float* dyBase = gr.DY.Length > 0 ? gr.DY.Pointer + (long)s * batch * hp : null;
        for (int b = b0; b < b1; b++)
        {
            if (s >= _lengths[b])
            {
                ClearRange(daRz + b * colsRz, u0 * 2 * nr, (u1 - u0) * 2 * nr);
                ClearRange(daN + b * hp, u0 * nr, (u1 - u0) * nr);
                if (dq != null)
                    ClearRange(dq + b * hp, u0 * nr, (u1 - u0) * nr);
                continue;
            }
            int t = TimeOf(d, b, s);
            float* actRz = buf.Act[0].Pointer + ((long)s * batch + b) * colsRz;
            float* actN = buf.Act[1].Pointer + ((long)s * batch + b) * hp;
            float* preRz = buf.Pre[0].Pointer + ((long)t * batch + b) * colsRz;
            float* preN = buf.Pre[1].Pointer + ((long)t * batch + b) * hp;
            float* q = lbr ? buf.Q.Pointer + ((long)s * batch + b) * hp : null;
            float* dy = dyBase == null ? null : dyBase + b * hp;
            float* dqb = dq == null ? null : dq + b * hp;
            if (general)
                GeneralPointwise.GruBackward(actRz, actN, preRz, preN, q, hprev + b * hp, gr.DH.Pointer + b * hp, dy,
                    daRz + b * colsRz, daN + b * hp, dqb, u0, u1, nr, _plan.Clip, fa, ga);
            else
                GruPointwise.Backward<TV>(actRz, actN, preRz, preN, q, hprev + b * hp, gr.DH.Pointer + b * hp, dy,
                    daRz + b * colsRz, daN + b * hp, dqb, u0, u1, nr, _plan.Clip);
        }
        bar.Wait();
        if (!lbr)
        {
            Sgemm.RunRecurrent<TV>(b1 - b0, hp, daN + b0 * hp, hp, 1, gn.RecurrentBackward!, u0, u1 - u0, gr.DRH.Pointer + b0 * hp, hp, false, scratch, Descending(s));
            for (int b = b0; b < b1; b++)
            {
                if (s >= _lengths[b])
                    continue;
                float* actRz = buf.Act[0].Pointer + ((long)s * batch + b) * colsRz;
                int t = TimeOf(d, b, s);
                float* preRz = buf.Pre[0].Pointer + ((long)t * batch + b) * colsRz;
                if (general)
                    GeneralPointwise.GruBackwardR(actRz, preRz, hprev + b * hp, gr.DRH.Pointer + b * hp, gr.DH.Pointer + b * hp,
                        daRz + b * colsRz, u0, u1, nr, _plan.Clip, fa);
                else
                    GruPointwise.BackwardR<TV>(actRz, preRz, hprev + b * hp, gr.DRH.Pointer + b * hp, gr.DH.Pointer + b * hp,
                        daRz + b * colsRz, u0, u1, nr, _plan.Clip);
            }
            bar.Wait();
        }
        Sgemm.RunRecurrent<TV>(b1 - b0, colsRz, daRz + b0 * colsRz, colsRz, 1, grz.RecurrentBackward!, u0, u1 - u0, gr.DH.Pointer + b0 * hp, hp, true, scratch, Descending(s));
        if (lbr)
            Sgemm.RunRecurrent<TV>(b1 - b0, hp, dq + b0 * hp, hp, 1, gn.RecurrentBackward!, u0, u1 - u0, gr.DH.Pointer + b0 * hp, hp, true, scratch, Descending(s));
    }

    /// <summary>dW, dR, biases and dX: big GEMMs over all steps, split across workers by output panels.</summary>
    private void WeightGradients<TV>(int w, int workers, SpinBarrier bar, float* scratch) where TV : unmanaged, IVec<TV>
    {
        int batch = _batch, hp = _plan.HiddenPadded;
        for (int d = 0; d < _dirs.Length; d++)
        {
            var gr = _grads![d];
            Split(gr.XPacked!.Panels, w, workers, out int p0, out int pc);
            gr.XPacked.PackRows(_x, _plan.Input, gr.RowOfWalk, p0, pc);
            Split(gr.HPacked!.Panels, w, workers, out p0, out pc);
            gr.HPacked.PackRows(_dirs[d].H.Pointer, hp, gr.ValidWalk, p0, pc);
            if (gr.RHPacked is { } rhp)
            {
                Split(rhp.Panels, w, workers, out p0, out pc);
                rhp.PackRows(_dirs[d].RH.Pointer, hp, gr.ValidWalk, p0, pc);
            }
        }
        bar.Wait();
        for (int d = 0; d < _dirs.Length; d++)
        {
            var gr = _grads![d];
            var groups = _plan.Directions[d].Groups;
            int k = _maxLen[d] * batch;
            for (int gi = 0; gi < groups.Length; gi++)
            {
                var g = groups[gi];
                int cols = g.Columns;
                float* da = gr.DA[gi].Pointer;
                bool nGate = !_plan.IsLstm && gi == 1;
                float* dRsrc = nGate && _o.LinearBeforeReset ? gr.DQ.Pointer : da;
                PackedMatrix rIn = nGate && !_o.LinearBeforeReset ? gr.RHPacked! : gr.HPacked!;
                Split(gr.XPacked!.Panels, w, workers, out int p0, out int pc);
                Sgemm.Run<TV>(cols, k, da, 1, cols, gr.XPacked, p0, pc, gr.DW[gi].Pointer, gr.InputPadded, false, scratch);
                Split(rIn.Panels, w, workers, out p0, out pc);
                Sgemm.Run<TV>(cols, k, dRsrc, 1, cols, rIn, p0, pc, gr.DR[gi].Pointer, hp, false, scratch);
                Split(g.InputBackward!.Panels, w, workers, out p0, out pc);
                Sgemm.Run<TV>(k, cols, da, cols, 1, g.InputBackward, p0, pc, gr.DX.Pointer, gr.InputPadded, gi > 0, scratch);
                Split(cols, w, workers, out int c0, out int cc);
                float* dbw = gr.DBw[gi].Pointer + c0, dbr = gr.DBr[gi].Pointer + c0;
                ClearRange(dbw, 0, cc);
                ClearRange(dbr, 0, cc);
                for (long row = 0; row < k; row++)
                {
                    float* a = da + row * cols + c0, r = dRsrc + row * cols + c0;
                    for (int j = 0; j < cc; j++)
                    {
                        dbw[j] += a[j];
                        dbr[j] += r[j];
                    }
                }
            }
        }
    }
}

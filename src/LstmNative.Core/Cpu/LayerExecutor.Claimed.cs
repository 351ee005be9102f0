using System.Runtime.CompilerServices;
using LstmNative.Cpu.Kernels;

namespace LstmNative.Cpu;

// Forward with claimed work. With a static split, each step waits for every worker's units, so a worker the OS
// descheduled (a busy or shared host) stalls every step for a scheduler quantum: two-thread runs measured 4.1-7.4 ms
// where the best case is 4.1. Here each phase (the input projection, then every step) is cut into chunks that any
// worker may claim. A worker takes its own chunks first (their slice of R is in its cache) and then whatever is left,
// so the phase ends when the work is done, not when every worker has shown up; a worker that comes back finds its
// chunks taken and moves on. Claims and completions are counted, so the step still has one meeting point.
internal sealed unsafe partial class LayerExecutor
{
    /// <summary>
    /// Chunks per worker and phase. One chunk each is the static split's partition (each slice of R stays in its
    /// worker's cache) with the difference that a worker who has not started its chunk loses it to one who has. Measured
    /// on the 2-core Zen 4 VM, H = 256 and 512, 1,000 runs: idle, one chunk matched the static split's median (0.89-1.02
    /// vs 0.96-0.99 ms; 4.03-4.05 vs 4.02-4.07 ms) where two were 4 % slower at H = 512; beside a CPU-bound neighbour
    /// one and two did alike (docs/benchmarks.md). More chunks stay a knob for experiments.
    /// </summary>
    internal static int ChunksPerWorker { get; set; } = 1;

    private const int MaxChunksPerWorker = 4; // what the claim arrays are sized for

    /// <summary>Test hook: called by each worker as it starts a claimed forward (e.g. to make one of them late).</summary>
    internal static Action<int>? ClaimedWorkerStartHook { get; set; }

    /// <summary>Test hook: called by each worker when it has finished its claimed forward.</summary>
    internal static Action<int>? ClaimedWorkerEndHook { get; set; }

    /// <summary>Test hook: called by each worker as it starts a phase (worker, phase; 1 is the input projection, then one per step).</summary>
    internal static Action<int, long>? ClaimedPhaseStartHook { get; set; }

    /// <summary>Test hook: called by a worker that has claimed a chunk, before it runs it (worker, chunk, phase).</summary>
    internal static Action<int, int, long>? ClaimedChunkHook { get; set; }

    /// <summary>Whether claimed forward is allowed (tests switch it off to compare with the static split).</summary>
    internal static bool ClaimedForwardEnabled { get; set; } = true;

    private bool _claimed;
    private readonly long[] _claims; // per chunk: the last phase it was claimed for
    private long _completed;
    private volatile bool _claimsBroken;
    private int _projectionChunks;
    private readonly (int Direction, int Group, int Panel, int Count)[] _projection;
    private int _stepChunks;

    /// <summary>
    /// The claimed forward is complete when the caller's share returns (the caller waits for every chunk of the last
    /// step), so the pool does not wait for a worker that has not joined by then: one descheduled worker costs nothing at
    /// the end of the call either.
    /// </summary>
    public bool DoneWhenCallerReturns => _claimed;

    /// <summary>Chooses the claimed forward for this call (unit split, LSTM or single-phase GRU) and sizes its chunks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    private void PlanClaims(int workers)
    {
        _claimed = ClaimedForwardEnabled && !_backward && !_parallelDirections && !_batchSplit && _recurrentWorkers > 1
                   && (_plan.IsLstm || _o.LinearBeforeReset);
        if (!_claimed)
            return;
        int perWorker = Math.Clamp(ChunksPerWorker, 1, MaxChunksPerWorker);
        _stepChunks = Math.Min(_plan.Blocks, workers * perWorker);
        int perMatrix = workers * perWorker; // workers ≤ the scratch count the arrays were sized for
        _projectionChunks = 0;
        for (int d = 0; d < _dirs.Length; d++)
        {
            var dg = _plan.Directions[d].Groups;
            for (int g = 0; g < dg.Length; g++)
            {
                int panels = dg[g].InputForward.Panels, pieces = Math.Min(panels, perMatrix);
                for (int k = 0; k < pieces; k++)
                {
                    Split(panels, k, pieces, out int p0, out int pc);
                    _projection[_projectionChunks++] = (d, g, p0, pc);
                }
            }
        }
        Array.Clear(_claims);
        _completed = 0;
        _claimsBroken = false;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    private void ClaimedForward<TV>(int w, int workers, float* scratch) where TV : unmanaged, IVec<TV>
    {
        ClaimedWorkerStartHook?.Invoke(w);
        try
        {
            long phase = 1, target = _projectionChunks;
            int rows = _steps * _batch;
            ClaimedPhaseStartHook?.Invoke(w, phase);
            for (int k = First(w, workers, _projectionChunks), n = 0; n < _projectionChunks; n++, k = k + 1 == _projectionChunks ? 0 : k + 1)
            {
                if (!Claim(k, phase))
                    continue;
                ClaimedChunkHook?.Invoke(w, k, phase);
                var (d, g, p0, pc) = _projection[k];
                var group = _plan.Directions[d].Groups[g];
                Sgemm.Run<TV>(rows, _plan.Input, _x, _plan.Input, 1, group.InputForward, p0, pc, _dirs[d].Pre[g].Pointer, group.Columns, false, scratch);
                Interlocked.Increment(ref _completed);
            }
            AwaitCompleted(target);

            for (int d = 0; d < _dirs.Length; d++)
            {
                for (int s = 0; s < _maxLen[d]; s++)
                {
                    phase++;
                    target += _stepChunks;
                    ClaimedPhaseStartHook?.Invoke(w, phase);
                    // A descending step takes the chunks from this worker's last one down, as each reads its panels last
                    // run first (Descending): the panels this worker read last are read first again.
                    bool down = Descending(s);
                    int first = down ? (w >= workers - 1 ? _stepChunks : First(w + 1, workers, _stepChunks)) - 1 : First(w, workers, _stepChunks);
                    for (int k = Math.Max(first, 0), n = 0; n < _stepChunks; n++, k = down ? (k == 0 ? _stepChunks - 1 : k - 1) : (k + 1 == _stepChunks ? 0 : k + 1))
                    {
                        if (!Claim(k, phase))
                            continue;
                        ClaimedChunkHook?.Invoke(w, k, phase);
                        Split(_plan.Blocks, k, _stepChunks, out int u0, out int count);
                        if (_plan.IsLstm)
                            LstmStep<TV>(d, s, u0, u0 + count, 0, _batch, SpinBarrier.Single, scratch);
                        else
                            GruStep<TV>(d, s, u0, u0 + count, 0, _batch, SpinBarrier.Single, scratch);
                        Interlocked.Increment(ref _completed);
                    }
                    AwaitCompleted(target);
                }
            }
            ClaimedWorkerEndHook?.Invoke(w);
        }
        catch
        {
            _claimsBroken = true;
            throw;
        }
    }

    /// <summary>The first of worker w's own chunks: chunks are dealt out in contiguous runs, as the static split does.</summary>
    private static int First(int w, int workers, int chunks) => (int)((long)chunks * Math.Min(w, workers - 1) / workers);

    /// <summary>Takes chunk k for phase <paramref name="phase"/> unless someone already has (claims only grow).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    private bool Claim(int k, long phase)
    {
        long seen = Volatile.Read(ref _claims[k]);
        return seen < phase && Interlocked.CompareExchange(ref _claims[k], phase, seen) == seen;
    }

    /// <summary>Waits until <paramref name="target"/> chunks have completed since the call began.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    private void AwaitCompleted(long target)
    {
        int spins = 0;
        while (Volatile.Read(ref _completed) < target)
        {
            if (_claimsBroken)
                throw new OperationCanceledException("another worker failed");
            SpinBarrier.Pause(ref spins);
        }
    }
}

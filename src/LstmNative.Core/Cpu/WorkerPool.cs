using System.Runtime.CompilerServices;
using System.Diagnostics;

namespace LstmNative.Cpu;

/// <summary>A unit of parallel work: every participating worker runs <see cref="Execute"/> once.</summary>
internal interface IPoolJob
{
    /// <summary>Runs worker <paramref name="worker"/>'s share; workers meet at <paramref name="barrier"/>.</summary>
    void Execute(int worker, int workers, SpinBarrier barrier);

    /// <summary>
    /// True when the job is complete once the caller's <see cref="Execute"/> has returned, because every piece of its work
    /// is claimed by whichever worker comes first and the caller waits for all of them to be done (the claimed forward).
    /// The pool then does not wait for a worker that has not started by that time: it shuts the job and returns. Read
    /// after the caller's share has run. False (every worker's share must run) for jobs that split work statically.
    /// </summary>
    bool DoneWhenCallerReturns => false;
}

/// <summary>
/// A fixed set of threads created once (the caller of <see cref="Run"/> is worker 0, so <c>threads - 1</c> background
/// threads). Idle workers spin for a short while after each job (so back-to-back Run/Step calls find them awake) and then
/// block. One job runs at a time; the per-step synchronisation inside a job is a <see cref="SpinBarrier"/>.
/// </summary>
/// <remarks>
/// The threads reference only the pool's inner state, never the pool (nor the session that owns it): a pool that
/// becomes unreachable without <see cref="Dispose"/> is finalized, and its finalizer stops the threads, as
/// <see cref="FileStream"/> closes its handle.
/// </remarks>
public sealed class WorkerPool : IDisposable
{
    private static WorkerPool? _shared;
    private static readonly object SharedLock = new();

    private readonly PoolCore _core;

    /// <summary>The most workers a pool may have: the entry word counts the workers inside a job in 16 bits.</summary>
    public const int MaxThreads = (int)PoolCore.MaxInside;

    /// <summary>Creates a pool of <paramref name="threads"/> workers (the calling thread counts as one).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is not in [1, <see cref="MaxThreads"/>].</exception>
    public WorkerPool(int threads)
    {
        if (threads < 1 || threads > MaxThreads)
        {
            // The object exists (and is registered for finalization) before this body runs: without this, the
            // finalizer would later run on a pool that has no core, on the finalizer thread, and end the process.
            GC.SuppressFinalize(this);
            throw new ArgumentOutOfRangeException(nameof(threads), $"a worker pool needs 1 to {MaxThreads} threads, got {threads}");
        }
        Threads = threads;
        _core = new PoolCore(threads);
        if (threads == 1)
            GC.SuppressFinalize(this); // no threads to stop
    }

    /// <summary>Stops the threads of a pool nobody disposed (without waiting for them: finalizers must not block).</summary>
    /// <remarks>
    /// The core is null when its constructor failed (out of memory, no thread could be started): a finalizer that
    /// throws ends the process, so it checks.
    /// </remarks>
    ~WorkerPool() => _core?.Stop(join: false);

    /// <summary>A process-wide pool with one worker per logical processor, created on first use.</summary>
    public static WorkerPool Shared
    {
        get
        {
            if (_shared is { } s)
                return s;
            lock (SharedLock)
                return _shared ??= new WorkerPool(Environment.ProcessorCount);
        }
    }

    /// <summary>Test hook: called by a background worker that has woken up for a job, just before it tries to join it.</summary>
    internal static Action<int>? BeforeEnterHook { get; set; }

    /// <summary>Number of workers, the caller included.</summary>
    public int Threads { get; }

    /// <summary>
    /// Runs <paramref name="job"/> on <paramref name="workers"/> workers (at most <see cref="Threads"/>) and returns when all
    /// are done. When another job is running on this pool, the job runs on the calling thread alone instead of waiting.
    /// </summary>
    internal void Run(IPoolJob job, int workers)
    {
        ObjectDisposedException.ThrowIf(_core.Disposed, this);
        _core.Run(job, workers);
        GC.KeepAlive(this); // the finalizer must not stop the workers while a job is running
    }

    /// <summary>Stops the background threads.</summary>
    public void Dispose()
    {
        _core?.Stop(join: true); // null only on a pool whose constructor failed (see the finalizer)
        GC.SuppressFinalize(this);
    }

    /// <summary>Everything the worker threads touch; it holds no reference back to the pool.</summary>
    private sealed class PoolCore
    {
        private static readonly long SpinTicks = Stopwatch.Frequency / 5000; // 200 µs of spinning before blocking

        private readonly Thread[] _threads;
        private readonly object _sleep = new();
        private readonly object _runLock = new();
        private readonly SpinBarrier _barrier = new();
        private readonly int _count;
        // Entry to the current job: generation << EntryShift | Closed | workers inside. A worker joins only the job it
        // woke up for and only while it is open (one compare-and-swap); the caller closes it and waits for those inside.
        // So a worker the OS has not run yet when the job is done is not waited for, and when it does run it cannot
        // touch a finished job (the executor's buffers are reused by the next call) nor step into a later one by mistake.
        private const int EntryShift = 17;
        private const long Closed = 1L << 16;
        private const long InsideMask = Closed - 1;
        internal const long MaxInside = InsideMask;

        private IPoolJob? _job;
        private int _workers;
        private long _generation;
        private long _entry;
        private int _finished; // participants (index < workers) that ran the current job
        private int _sleepers;
        private volatile bool _disposed;
        private Exception? _error;

        public PoolCore(int threads)
        {
            _count = threads;
            _threads = new Thread[threads - 1];
            for (int i = 0; i < _threads.Length; i++)
            {
                int index = i + 1;
                _threads[i] = new Thread(() => WorkerLoop(index)) { IsBackground = true, Name = $"LstmNative worker {index}" };
                _threads[i].Start();
            }
        }

        public bool Disposed => _disposed;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
        public void Run(IPoolJob job, int workers)
        {
            workers = Math.Clamp(workers, 1, _count);
            if (workers == 1 || !Monitor.TryEnter(_runLock))
            {
                job.Execute(0, 1, SpinBarrier.Single);
                return;
            }
            try
            {
                _error = null;
                _barrier.Reset(workers);
                _job = job;
                _workers = workers;
                _finished = 0;
                lock (_sleep)
                {
                    // Stop sets _disposed under this lock, and a worker leaves only when it has seen _disposed and no
                    // new generation (WorkerLoop): a job published here before Stop is joined by every worker, and
                    // none is published after it, so the caller can never wait for workers that have gone.
                    if (_disposed)
                    {
                        _job = null;
                        throw new ObjectDisposedException(nameof(WorkerPool), "the pool was disposed while this call was starting");
                    }
                    long generation = _generation + 1;
                    Volatile.Write(ref _entry, generation << EntryShift); // open, nobody inside
                    Volatile.Write(ref _generation, generation);
                    if (_sleepers > 0)
                        Monitor.PulseAll(_sleep);
                }
                bool failed = false;
                try
                {
                    job.Execute(0, workers, _barrier);
                }
                catch (Exception ex)
                {
                    failed = true;
                    _error ??= ex;
                    _barrier.Break();
                }
                var spin = new SpinWait();
                if (failed || !job.DoneWhenCallerReturns)
                {
                    // Every participant's share must have run (or, after a failure, every participant must have left).
                    while (Volatile.Read(ref _finished) != workers - 1)
                        spin.SpinOnce(sleep1Threshold: -1);
                }
                Interlocked.Or(ref _entry, Closed);
                while ((Volatile.Read(ref _entry) & InsideMask) != 0)
                    spin.SpinOnce(sleep1Threshold: -1);
                _job = null; // the job (and what it points into) must not outlive the call through the threads
                if (_error is { } e)
                    throw new InvalidOperationException("a CPU engine worker failed", e);
            }
            finally
            {
                Monitor.Exit(_runLock);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
        private void WorkerLoop(int index)
        {
            long seen = 0;
            while (true)
            {
                long start = Stopwatch.GetTimestamp();
                int spins = 0;
                while (Volatile.Read(ref _generation) == seen && !_disposed)
                {
                    if (Stopwatch.GetTimestamp() - start < SpinTicks)
                    {
                        if (++spins % 64 == 0)
                            Thread.Yield();
                        else
                            Thread.SpinWait(8);
                        continue;
                    }
                    lock (_sleep)
                    {
                        _sleepers++;
                        while (Volatile.Read(ref _generation) == seen && !_disposed)
                            Monitor.Wait(_sleep);
                        _sleepers--;
                    }
                }
                // Disposed with no new job: leave. A job published before Stop is still joined (and its share run),
                // or its caller would wait at the barrier for this worker forever. _disposed is read before the
                // generation, so a job published before Stop is seen here (PoolCore.Run publishes under _sleep).
                if (_disposed && Volatile.Read(ref _generation) == seen)
                    return;
                seen = Volatile.Read(ref _generation);
                BeforeEnterHook?.Invoke(index);
                if (!TryEnter(seen))
                    continue; // that job is done (or a newer one has started): wait for the next generation
                try
                {
                    if (index < _workers && _job is { } job)
                    {
                        try
                        {
                            job.Execute(index, _workers, _barrier);
                        }
                        catch (Exception ex)
                        {
                            Interlocked.CompareExchange(ref _error, ex, null);
                            _barrier.Break();
                        }
                        Interlocked.Increment(ref _finished);
                    }
                }
                finally
                {
                    Interlocked.Decrement(ref _entry); // leave
                }
            }
        }

        /// <summary>Joins job <paramref name="generation"/> if it is still the current one and still open.</summary>
        private bool TryEnter(long generation)
        {
            while (true)
            {
                long entry = Volatile.Read(ref _entry);
                if (entry >> EntryShift != generation || (entry & Closed) != 0)
                    return false;
                if (Interlocked.CompareExchange(ref _entry, entry + 1, entry) == entry)
                    return true;
            }
        }

        public void Stop(bool join)
        {
            if (_disposed)
                return;
            lock (_sleep)
            {
                _disposed = true;
                Monitor.PulseAll(_sleep);
            }
            if (join)
                foreach (var t in _threads)
                    t.Join();
        }
    }
}

/// <summary>
/// A reusable spinning barrier (generation counting). Waiters spin, yielding now and then so an oversubscribed machine
/// still makes progress; a broken barrier (a worker failed) releases everyone with an exception instead of hanging.
/// </summary>
internal sealed class SpinBarrier
{
    /// <summary>A barrier for a job running on one thread: Wait returns at once.</summary>
    public static readonly SpinBarrier Single = new() { _count = 1, _participants = 1 };

    private int _participants;
    private int _count;
    private int _generation;
    private volatile bool _broken;

    public void Reset(int participants)
    {
        _participants = participants;
        _count = participants;
        _broken = false;
    }

    public void Break() => _broken = true;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    public void Wait()
    {
        if (_participants == 1)
            return;
        int gen = Volatile.Read(ref _generation);
        if (Interlocked.Decrement(ref _count) == 0)
        {
            _count = _participants;
            Interlocked.Increment(ref _generation);
            return;
        }
        int spins = 0;
        while (Volatile.Read(ref _generation) == gen)
        {
            if (_broken)
                throw new OperationCanceledException("another worker failed");
            Pause(ref spins);
        }
    }

    /// <summary>
    /// One round of a worker's wait: spin briefly, and every 256th round yield, so that on an oversubscribed machine
    /// the thread being waited for gets the core. Every wait inside a job (this barrier, claimed work) waits this way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    internal static void Pause(ref int spins)
    {
        if (++spins % 256 == 0)
            Thread.Yield();
        else
            Thread.SpinWait(4);
    }
}

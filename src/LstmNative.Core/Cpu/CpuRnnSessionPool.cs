using System.Collections.Concurrent;

namespace LstmNative.Cpu;

/// <summary>
/// Sessions for a multi-threaded service: an <see cref="CpuRnnSession"/> serves one caller at a time, so concurrent callers
/// each rent one, run it, and give it back. Sessions are created on demand (so there are never more than the callers
/// running at once) and reused; the weights are shared by all of them.
/// </summary>
/// <remarks>
/// <para>Threads: every member may be called from any thread at any time. A rented session belongs to its renter until
/// the lease is disposed; a session's kept state is reset before it is handed out again.</para>
/// <example>
/// <code>
/// using var pool = new CpuRnnSessionPool(model, maxBatch: 8, maxSteps: 512);
/// // any number of threads, e.g. ASP.NET request handlers:
/// using (var lease = pool.Rent())
///     lease.Session.Run(x, steps, batch, y);
/// </code>
/// One session per thread works as well when the threads are few and long-lived:
/// <c>var sessions = new ThreadLocal&lt;CpuRnnSession&gt;(() =&gt; model.CreateSession(8, 512), trackAllValues: true);</c>
/// (dispose <c>sessions.Values</c> at the end).
/// </example>
/// </remarks>
public sealed class CpuRnnSessionPool : IDisposable
{
    private readonly ConcurrentBag<CpuRnnSession> _idle = [];
    private readonly ConcurrentDictionary<CpuRnnSession, byte> _all = new();
    private volatile bool _disposed;

    /// <summary>A pool of sessions on <paramref name="model"/>, each as <see cref="CpuRnnModel.CreateSession"/> would make it.</summary>
    public CpuRnnSessionPool(CpuRnnModel model, int maxBatch, int maxSteps, int threadsPerSession = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (maxBatch < 1)
            throw new ArgumentOutOfRangeException(nameof(maxBatch), $"maximum batch must be at least 1, got {maxBatch}");
        if (maxSteps < 1)
            throw new ArgumentOutOfRangeException(nameof(maxSteps), $"maximum sequence length must be at least 1, got {maxSteps}");
        if (threadsPerSession < 1)
            throw new ArgumentOutOfRangeException(nameof(threadsPerSession), $"threads must be at least 1, got {threadsPerSession}");
        Model = model;
        MaxBatch = maxBatch;
        MaxSteps = maxSteps;
        ThreadsPerSession = threadsPerSession;
    }

    /// <summary>The model every session runs.</summary>
    public CpuRnnModel Model { get; }

    /// <summary>Largest batch a call may pass.</summary>
    public int MaxBatch { get; }

    /// <summary>Longest sequence a call may pass.</summary>
    public int MaxSteps { get; }

    /// <summary>Workers per session.</summary>
    public int ThreadsPerSession { get; }

    /// <summary>Sessions created so far (the most that were ever rented at once).</summary>
    public int Count => _all.Count;

    /// <summary>Rents a session with zero state; dispose the lease to give it back.</summary>
    public Lease Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_idle.TryTake(out var session))
        {
            session = new CpuRnnSession(Model, MaxBatch, MaxSteps, ThreadsPerSession);
            _all[session] = 0;
        }
        return new Lease(this, session);
    }

    private void Return(CpuRnnSession session)
    {
        if (_disposed)
        {
            session.Dispose();
            return;
        }
        session.Reset();
        _idle.Add(session);
        if (_disposed) // disposed meanwhile: drain what Dispose may have missed
            while (_idle.TryTake(out var stray))
                stray.Dispose();
    }

    /// <summary>Disposes every session (rented ones are disposed when they come back).</summary>
    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var session))
            session.Dispose();
    }

    /// <summary>A rented session; <see cref="Dispose"/> returns it to the pool (once).</summary>
    public sealed class Lease : IDisposable
    {
        private CpuRnnSessionPool? _pool;
        private readonly CpuRnnSession _session;

        internal Lease(CpuRnnSessionPool pool, CpuRnnSession session)
        {
            _pool = pool;
            _session = session;
        }

        /// <summary>The session, the renter's alone until the lease is disposed.</summary>
        public CpuRnnSession Session
        {
            get
            {
                ObjectDisposedException.ThrowIf(_pool is null, this);
                return _session;
            }
        }

        /// <summary>Gives the session back to the pool.</summary>
        public void Dispose() => Interlocked.Exchange(ref _pool, null)?.Return(_session);
    }
}

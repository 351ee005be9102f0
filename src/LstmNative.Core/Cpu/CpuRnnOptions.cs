using LstmNative.Cpu.Kernels;

namespace LstmNative.Cpu;

/// <summary>How the CPU engine runs: threads and pool.</summary>
public sealed record CpuRnnOptions
{
    /// <summary>The defaults: every worker of <see cref="WorkerPool.Shared"/>.</summary>
    public static CpuRnnOptions Default { get; } = new();

    /// <summary>Workers to use (the calling thread included); null means all of the pool's.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to less than 1.</exception>
    public int? Threads
    {
        get => _threads;
        init
        {
            // Checked where the value is given, not at the first run, so the stack trace points at the mistake.
            if (value < 1)
                throw new ArgumentOutOfRangeException(nameof(value), $"threads must be at least 1, got {value}");
            _threads = value;
        }
    }

    private readonly int? _threads;

    /// <summary>The pool to run on; null means <see cref="WorkerPool.Shared"/>.</summary>
    public WorkerPool? Pool { get; init; }

    /// <summary>Test hook: the kernel width (null: <see cref="CpuKernels.Active"/>).</summary>
    internal KernelWidth? Width { get; init; }

    internal WorkerPool ResolvePool() => Pool ?? WorkerPool.Shared;

    internal int ResolveThreads(WorkerPool pool)
    {
        return Math.Min(Threads ?? pool.Threads, pool.Threads);
    }

    internal KernelWidth ResolveWidth() => Width ?? CpuKernels.Active;
}

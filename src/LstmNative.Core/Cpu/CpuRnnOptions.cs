using LstmNative.Cpu.Kernels;

namespace LstmNative.Cpu;

/// <summary>How the CPU engine runs: threads and pool.</summary>
public sealed record CpuRnnOptions
{
    /// <summary>The defaults: every worker of <see cref="WorkerPool.Shared"/>.</summary>
    public static CpuRnnOptions Default { get; } = new();

    /// <summary>Workers to use (the calling thread included); null means all of the pool's.</summary>
    public int? Threads { get; init; }

    /// <summary>The pool to run on; null means <see cref="WorkerPool.Shared"/>.</summary>
    public WorkerPool? Pool { get; init; }

    /// <summary>Test hook: the kernel width (null: <see cref="CpuKernels.Active"/>).</summary>
    internal KernelWidth? Width { get; init; }

    internal WorkerPool ResolvePool() => Pool ?? WorkerPool.Shared;

    internal int ResolveThreads(WorkerPool pool)
    {
        int t = Threads ?? pool.Threads;
        if (t < 1)
            throw new ArgumentOutOfRangeException(nameof(Threads), $"threads must be at least 1, got {t}");
        return Math.Min(t, pool.Threads);
    }

    internal KernelWidth ResolveWidth() => Width ?? CpuKernels.Active;
}

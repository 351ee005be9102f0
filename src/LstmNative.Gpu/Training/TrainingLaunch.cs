using LstmNative.Cuda;

namespace LstmNative.Gpu.Training;

/// <summary>Launch configurations of the training kernels (pure arithmetic, checked on the CPU).</summary>
public static class TrainingLaunch
{
    /// <summary>Threads per block of the reductions; must equal LNTR_REDUCE_THREADS in train_common.cuh.</summary>
    public const int ReduceThreads = 256;

    /// <summary>Most blocks a two-pass reduction uses (its partial sums buffer has this many doubles).</summary>
    public const int MaxReduceBlocks = 1024;

    /// <summary>Most blocks a grid-stride elementwise kernel uses.</summary>
    public const int MaxStrideBlocks = 4096;

    /// <summary>Largest batch: the step kernels put the batch row in grid y (at most 65535).</summary>
    public const int MaxBatch = 65535;

    /// <summary>
    /// A step kernel over (direction, row, unit): grid <c>(ceil(H / block), B, D)</c>, block a multiple of 32 up to 256.
    /// </summary>
    public static LaunchConfig Step(int hidden, int batch, int directions)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hidden);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batch, MaxBatch);
        if (directions is not (1 or 2))
            throw new ArgumentOutOfRangeException(nameof(directions), "1 or 2 directions");
        int block = Math.Min(256, (hidden + 31) / 32 * 32);
        return new LaunchConfig(new Dim3((uint)LaunchConfig.CeilDiv(hidden, block), (uint)batch, (uint)directions), new Dim3((uint)block));
    }

    /// <summary>A grid-stride elementwise kernel over <paramref name="count"/> elements.</summary>
    public static LaunchConfig GridStride(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        long blocks = Math.Min(LaunchConfig.CeilDiv(count, 256), MaxStrideBlocks);
        return new LaunchConfig(new Dim3((uint)blocks), new Dim3(256));
    }

    /// <summary>Blocks of pass 1 of a deterministic reduction over <paramref name="count"/> elements (a function of the count only).</summary>
    public static int ReduceBlocks(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return (int)Math.Clamp(LaunchConfig.CeilDiv(count, ReduceThreads), 1, MaxReduceBlocks);
    }

    /// <summary>Pass 1 of a reduction: <see cref="ReduceBlocks"/> blocks of <see cref="ReduceThreads"/>.</summary>
    public static LaunchConfig Reduce(long count) => new(new Dim3((uint)ReduceBlocks(count)), new Dim3(ReduceThreads));

    /// <summary>Pass 2 of a reduction, and other one-block kernels.</summary>
    public static LaunchConfig OneBlock => new(new Dim3(1), new Dim3(ReduceThreads));

    /// <summary>A single thread.</summary>
    public static LaunchConfig Single => new(new Dim3(1), new Dim3(1));

    /// <summary>The column-sum kernel: blocks of 32 columns × 8 row lanes.</summary>
    public static LaunchConfig Columns(int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        return new LaunchConfig(new Dim3((uint)LaunchConfig.CeilDiv(width, 32)), new Dim3(32, 8));
    }

    /// <summary>One thread per element, 256 per block.</summary>
    public static LaunchConfig Linear(long count) => LaunchConfig.Linear(count, 256);
}

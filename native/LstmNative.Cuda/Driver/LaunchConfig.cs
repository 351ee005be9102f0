namespace LstmNative.Cuda;

/// <summary>A grid or block size in up to three dimensions.</summary>
/// <param name="X">Extent in x.</param>
/// <param name="Y">Extent in y.</param>
/// <param name="Z">Extent in z.</param>
public readonly record struct Dim3(uint X, uint Y = 1, uint Z = 1)
{
    /// <summary>X * Y * Z.</summary>
    public long Volume => (long)X * Y * Z;

    /// <inheritdoc />
    public override string ToString() => $"({X}, {Y}, {Z})";
}

/// <summary>
/// How a kernel is launched: grid, block and dynamic shared memory. Not validated against the device here on
/// purpose: the driver is the judge, and an impossible configuration comes back as a <see cref="CudaException"/>.
/// </summary>
/// <param name="Grid">Blocks in the grid.</param>
/// <param name="Block">Threads in a block.</param>
/// <param name="SharedMemoryBytes">Dynamic shared memory per block, in bytes.</param>
public readonly record struct LaunchConfig(Dim3 Grid, Dim3 Block, uint SharedMemoryBytes = 0)
{
    /// <summary>The largest grid x extent CUDA allows (2^31 - 1) on every supported device.</summary>
    public const long MaxGridX = int.MaxValue;

    /// <summary>The most threads a block may have on every supported device.</summary>
    public const int MaxThreadsPerBlock = 1024;

    /// <summary>Total threads launched.</summary>
    public long TotalThreads => Grid.Volume * Block.Volume;

    /// <summary>
    /// A one-dimensional launch with one thread per element: <c>ceil(elements / threadsPerBlock)</c> blocks of
    /// <paramref name="threadsPerBlock"/> threads. Kernels must guard <c>index &lt; elements</c>.
    /// </summary>
    public static LaunchConfig Linear(long elements, int threadsPerBlock = 256)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(elements);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threadsPerBlock);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(threadsPerBlock, MaxThreadsPerBlock);
        var blocks = CeilDiv(elements, threadsPerBlock);
        if (blocks > MaxGridX)
            throw new ArgumentOutOfRangeException(nameof(elements), $"{elements} elements need {blocks} blocks of {threadsPerBlock}; the grid allows {MaxGridX}.");
        return new LaunchConfig(new Dim3((uint)blocks), new Dim3((uint)threadsPerBlock));
    }

    /// <summary><c>ceil(a / b)</c> for positive numbers.</summary>
    public static long CeilDiv(long a, long b) => (a + b - 1) / b;

    /// <inheritdoc />
    public override string ToString() => $"grid {Grid} x block {Block}, {SharedMemoryBytes} B shared";
}

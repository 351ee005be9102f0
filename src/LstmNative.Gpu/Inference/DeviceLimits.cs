namespace LstmNative.Gpu.Inference;

/// <summary>
/// What the launch maths needs to know about a GPU. Read from the device (<see cref="GpuRnnEngine.Limits"/>), or one
/// of the presets for planning and tests without a GPU.
/// </summary>
/// <param name="Name">The device's name.</param>
/// <param name="ComputeCapability">Major·10 + minor (90 for H100).</param>
/// <param name="MultiprocessorCount">Streaming multiprocessors.</param>
/// <param name="MaxSharedMemoryPerBlockOptIn">The most shared memory one block may ask for (after opting in), bytes.</param>
/// <param name="MaxSharedMemoryPerMultiprocessor">Shared memory of one multiprocessor, bytes.</param>
/// <param name="MaxThreadsPerMultiprocessor">Resident threads per multiprocessor.</param>
/// <param name="ClockKhz">Typical SM clock in kHz (for the cost model's cycle-to-time conversion).</param>
/// <param name="SupportsCooperativeLaunch">Whether cuLaunchCooperativeKernel is available.</param>
/// <param name="ReservedSharedMemoryPerBlock">Shared memory the system reserves for each resident block (1 KiB from sm_80), bytes.</param>
/// <param name="PersistentStaticSharedMemory">The persistent kernels' own static shared memory (the largest of the batch buckets), bytes.</param>
public sealed record DeviceLimits(
    string Name,
    int ComputeCapability,
    int MultiprocessorCount,
    int MaxSharedMemoryPerBlockOptIn,
    int MaxSharedMemoryPerMultiprocessor,
    int MaxThreadsPerMultiprocessor,
    int ClockKhz,
    bool SupportsCooperativeLaunch,
    int ReservedSharedMemoryPerBlock = 1024,
    int PersistentStaticSharedMemory = 0)
{
    /// <summary>
    /// The most dynamic shared memory one persistent block may ask for: the opt-in limit covers static and dynamic
    /// shared memory together, and one resident block per multiprocessor also needs the system's reservation.
    /// </summary>
    public long PersistentDynamicSharedBudget =>
        Math.Min((long)MaxSharedMemoryPerBlockOptIn - PersistentStaticSharedMemory,
                 (long)MaxSharedMemoryPerMultiprocessor - ReservedSharedMemoryPerBlock - PersistentStaticSharedMemory);

    /// <summary>Shared memory a block gets without opting in (48 KiB on every supported GPU).</summary>
    public const int DefaultSharedMemoryPerBlock = 48 * 1024;

    /// <summary>NVIDIA H100 SXM5 (sm_90): 132 SMs, 227 KiB shared memory per block.</summary>
    public static DeviceLimits H100 { get; } = new("NVIDIA H100 80GB HBM3 (preset)", 90, 132, 232_448, 233_472, 2048, 1_980_000, true);

    /// <summary>NVIDIA H200 (sm_90): as H100.</summary>
    public static DeviceLimits H200 { get; } = new("NVIDIA H200 (preset)", 90, 132, 232_448, 233_472, 2048, 1_980_000, true);

    /// <summary>NVIDIA A100 SXM4 (sm_80): 108 SMs, 163 KiB per block.</summary>
    public static DeviceLimits A100 { get; } = new("NVIDIA A100-SXM4-80GB (preset)", 80, 108, 166_912, 167_936, 2048, 1_410_000, true);

    /// <summary>NVIDIA L4 (sm_89): 58 SMs, 99 KiB per block.</summary>
    public static DeviceLimits L4 { get; } = new("NVIDIA L4 (preset)", 89, 58, 101_376, 102_400, 1536, 2_040_000, true);

    /// <summary>Throws <see cref="ArgumentException"/> for impossible values.</summary>
    public void Validate()
    {
        if (MultiprocessorCount < 1 || MaxSharedMemoryPerBlockOptIn < 1024 || MaxThreadsPerMultiprocessor < 32 || ClockKhz < 1)
            throw new ArgumentException($"implausible device limits: {this}");
    }
}

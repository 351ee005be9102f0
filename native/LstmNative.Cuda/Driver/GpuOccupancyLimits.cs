namespace LstmNative.Cuda;

/// <summary>What a device allows a kernel that plans its own occupancy (the persistent RNN kernel).</summary>
/// <param name="MaxSharedMemoryPerBlockOptIn">Dynamic shared memory one block may use after opting in, in bytes.</param>
/// <param name="MaxSharedMemoryPerMultiprocessor">Shared memory of one multiprocessor, in bytes.</param>
/// <param name="MaxThreadsPerMultiprocessor">Resident threads one multiprocessor can hold.</param>
/// <param name="ClockRateKHz">Peak SM clock in kHz.</param>
/// <param name="CooperativeLaunch">Whether cooperative launches (grid-wide sync) are supported.</param>
/// <param name="ReservedSharedMemoryPerBlock">Shared memory the system reserves in each block, in bytes.</param>
public sealed record GpuOccupancyLimits(
    int MaxSharedMemoryPerBlockOptIn,
    int MaxSharedMemoryPerMultiprocessor,
    int MaxThreadsPerMultiprocessor,
    int ClockRateKHz,
    bool CooperativeLaunch,
    int ReservedSharedMemoryPerBlock);

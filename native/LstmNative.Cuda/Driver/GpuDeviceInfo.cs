using LstmNative.Cuda.Interop;

namespace LstmNative.Cuda;

/// <summary>What the driver says about one device.</summary>
/// <param name="Ordinal">The device's ordinal (0 for the first GPU).</param>
/// <param name="Name">The marketing name, e.g. "NVIDIA H100 80GB HBM3".</param>
/// <param name="ComputeCapabilityMajor">Compute capability, major part (8 for Ampere/Ada, 9 for Hopper).</param>
/// <param name="ComputeCapabilityMinor">Compute capability, minor part.</param>
/// <param name="MultiprocessorCount">Number of streaming multiprocessors.</param>
/// <param name="TotalMemoryBytes">Device memory in bytes.</param>
/// <param name="MaxThreadsPerBlock">The most threads one block may have.</param>
/// <param name="MaxSharedMemoryPerBlock">Static shared memory one block may use, in bytes.</param>
/// <param name="PciBusId">PCI bus number.</param>
public sealed record GpuDeviceInfo(
    int Ordinal,
    string Name,
    int ComputeCapabilityMajor,
    int ComputeCapabilityMinor,
    int MultiprocessorCount,
    long TotalMemoryBytes,
    int MaxThreadsPerBlock,
    int MaxSharedMemoryPerBlock,
    int PciBusId)
{
    /// <summary>The oldest compute capability the embedded kernels have code for (SASS sm_80).</summary>
    public const int MinimumComputeCapability = 80;

    /// <summary>"9.0" style compute capability.</summary>
    public string ComputeCapability => $"{ComputeCapabilityMajor}.{ComputeCapabilityMinor}";

    /// <summary>Whether the embedded kernels can run here (compute capability 8.0 or newer).</summary>
    public bool IsSupported => ComputeCapabilityMajor * 10 + ComputeCapabilityMinor >= MinimumComputeCapability;

    /// <inheritdoc />
    public override string ToString() =>
        $"#{Ordinal} {Name} (sm_{ComputeCapabilityMajor}{ComputeCapabilityMinor}, {MultiprocessorCount} SMs, {TotalMemoryBytes / (1024 * 1024)} MiB)";

    /// <summary>Reads the attributes of the device with the given ordinal (cuInit must have succeeded).</summary>
    internal static unsafe GpuDeviceInfo Query(int ordinal)
    {
        int handle;
        Check.Driver(CudaDriver.cuDeviceGet(&handle, ordinal), $"ordinal {ordinal}");
        var device = handle;
        const int nameLength = 256;
        byte* name = stackalloc byte[nameLength];
        Check.Driver(CudaDriver.cuDeviceGetName(name, nameLength, device));
        nuint total;
        Check.Driver(CudaDriver.cuDeviceTotalMem_v2(&total, device));
        int Attribute(int attribute) => DeviceAttribute(device, attribute);
        return new GpuDeviceInfo(
            ordinal,
            Utf8.FromNative(name),
            Attribute(DriverConstants.AttrComputeCapabilityMajor),
            Attribute(DriverConstants.AttrComputeCapabilityMinor),
            Attribute(DriverConstants.AttrMultiprocessorCount),
            (long)total,
            Attribute(DriverConstants.AttrMaxThreadsPerBlock),
            Attribute(DriverConstants.AttrMaxSharedMemoryPerBlock),
            Attribute(DriverConstants.AttrPciBusId));
    }

    /// <summary>The attributes occupancy planning needs (shared memory, threads, clock, cooperative launch) of this device.</summary>
    public unsafe GpuOccupancyLimits QueryOccupancyLimits()
    {
        int device;
        Check.Driver(CudaDriver.cuDeviceGet(&device, Ordinal), $"ordinal {Ordinal}");
        return new GpuOccupancyLimits(
            DeviceAttribute(device, DriverConstants.AttrMaxSharedMemoryPerBlockOptIn),
            DeviceAttribute(device, DriverConstants.AttrMaxSharedMemoryPerMultiprocessor),
            DeviceAttribute(device, DriverConstants.AttrMaxThreadsPerMultiprocessor),
            DeviceAttribute(device, DriverConstants.AttrClockRate),
            DeviceAttribute(device, DriverConstants.AttrCooperativeLaunch) != 0,
            DeviceAttribute(device, DriverConstants.AttrReservedSharedMemoryPerBlock));
    }

    private static unsafe int DeviceAttribute(int device, int attribute)
    {
        int value;
        Check.Driver(CudaDriver.cuDeviceGetAttribute(&value, attribute, device), $"attribute {attribute}");
        return value;
    }
}

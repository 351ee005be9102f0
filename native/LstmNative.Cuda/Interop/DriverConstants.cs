namespace LstmNative.Cuda.Interop;

/// <summary>Numeric values from cuda.h that the wrappers pass to the driver.</summary>
internal static class DriverConstants
{
    public const int AttrMaxThreadsPerBlock = 1;
    public const int AttrMaxBlockDimX = 2;
    public const int AttrMaxGridDimX = 5;
    public const int AttrMaxSharedMemoryPerBlock = 8;
    public const int AttrWarpSize = 10;
    public const int AttrMultiprocessorCount = 16;
    public const int AttrPciBusId = 33;
    public const int AttrComputeCapabilityMajor = 75;
    public const int AttrComputeCapabilityMinor = 76;
    public const int AttrClockRate = 13;
    public const int AttrMaxThreadsPerMultiprocessor = 39;
    public const int AttrMaxSharedMemoryPerMultiprocessor = 81;
    public const int AttrCooperativeLaunch = 95;
    public const int AttrMaxSharedMemoryPerBlockOptIn = 97;
    public const int AttrReservedSharedMemoryPerBlock = 111;

    public const int FuncAttrMaxThreadsPerBlock = 0;
    public const int FuncAttrSharedSizeBytes = 1;
    public const int FuncAttrLocalSizeBytes = 3;
    public const int FuncAttrNumRegs = 4;
    public const int FuncAttrMaxDynamicSharedSizeBytes = 8;

    public const uint StreamNonBlocking = 0x1;
    public const uint EventBlockingSync = 0x1;
    public const uint EventDisableTiming = 0x2;
    public const uint MemHostAllocPortable = 0x1;
}

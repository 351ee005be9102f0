using System.Runtime.InteropServices;
using LstmNative.Cuda;

namespace LstmNative.Gpu.Inference;

/// <summary>
/// Driver entry points the inference engine needs beyond the binding's: copies and fills at offsets, opting a kernel
/// into more than 48 KiB of shared memory, cooperative launches, device attributes. Resolved once from the driver
/// library the binding already loaded (so the same resolver rules apply), called through function pointers.
/// </summary>
internal static unsafe class DriverExtras
{
    internal const int AttrClockRate = 13;
    internal const int AttrMaxThreadsPerMultiprocessor = 39;
    internal const int AttrMaxSharedMemoryPerMultiprocessor = 81;
    internal const int AttrCooperativeLaunch = 95;
    internal const int AttrMaxSharedMemoryPerBlockOptIn = 97;
    internal const int AttrReservedSharedMemoryPerBlock = 111;
    internal const int FuncAttrMaxDynamicSharedSizeBytes = 8;

    private static readonly Lazy<Table> Functions = new(Resolve);

    /// <summary>The export names this class needs, in the order <see cref="Table"/> holds them.</summary>
    internal static readonly string[] ExportNames =
    [
        "cuMemcpyHtoDAsync_v2", "cuMemcpyDtoHAsync_v2", "cuMemsetD8Async", "cuFuncSetAttribute",
        "cuLaunchCooperativeKernel", "cuDeviceGet", "cuDeviceGetAttribute",
    ];

    // The detail strings are built only on failure: these calls are on the per-call path and must not allocate.

    public static void CopyToDevice(ulong destination, nint source, long bytes, nint stream)
    {
        int r = Functions.Value.MemcpyHtoD(destination, (void*)source, (nuint)bytes, stream);
        if (r != 0)
            throw new CudaException(r, "cuMemcpyHtoDAsync_v2", $"{bytes} bytes");
    }

    public static void CopyToHost(nint destination, ulong source, long bytes, nint stream)
    {
        int r = Functions.Value.MemcpyDtoH((void*)destination, source, (nuint)bytes, stream);
        if (r != 0)
            throw new CudaException(r, "cuMemcpyDtoHAsync_v2", $"{bytes} bytes");
    }

    public static void Zero(ulong destination, long bytes, nint stream)
    {
        int r = Functions.Value.MemsetD8(destination, 0, (nuint)bytes, stream);
        if (r != 0)
            throw new CudaException(r, "cuMemsetD8Async", $"{bytes} bytes");
    }

    public static void SetMaxDynamicSharedMemory(nint function, int bytes) =>
        Check(Functions.Value.FuncSetAttribute(function, FuncAttrMaxDynamicSharedSizeBytes, bytes), "cuFuncSetAttribute", $"max dynamic shared memory {bytes} bytes");

    public static void LaunchCooperative(nint function, uint grid, uint block, uint sharedBytes, nint stream, void** arguments)
    {
        int r = Functions.Value.LaunchCooperative(function, grid, 1, 1, block, 1, 1, sharedBytes, stream, arguments);
        if (r != 0)
            throw new CudaException(r, "cuLaunchCooperativeKernel", $"grid {grid} x block {block}, {sharedBytes} B shared");
    }

    public static int DeviceAttribute(int ordinal, int attribute)
    {
        var t = Functions.Value;
        int device, value;
        Check(t.DeviceGet(&device, ordinal), "cuDeviceGet", $"ordinal {ordinal}");
        Check(t.DeviceGetAttribute(&value, attribute, device), "cuDeviceGetAttribute", $"attribute {attribute}");
        return value;
    }

    private static void Check(int result, string call, string detail)
    {
        if (result != 0)
            throw new CudaException(result, call, detail);
    }

    private static Table Resolve()
    {
        nint library = NativeLibraryResolver.Load(CudaLibrary.Driver);
        nint Export(string name) => NativeLibrary.TryGetExport(library, name, out var address)
            ? address
            : throw new EntryPointNotFoundException($"the NVIDIA driver library has no {name} (driver too old?)");
        return new Table
        {
            MemcpyHtoD = (delegate* unmanaged<ulong, void*, nuint, nint, int>)Export(ExportNames[0]),
            MemcpyDtoH = (delegate* unmanaged<void*, ulong, nuint, nint, int>)Export(ExportNames[1]),
            MemsetD8 = (delegate* unmanaged<ulong, byte, nuint, nint, int>)Export(ExportNames[2]),
            FuncSetAttribute = (delegate* unmanaged<nint, int, int, int>)Export(ExportNames[3]),
            LaunchCooperative = (delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, int>)Export(ExportNames[4]),
            DeviceGet = (delegate* unmanaged<int*, int, int>)Export(ExportNames[5]),
            DeviceGetAttribute = (delegate* unmanaged<int*, int, int, int>)Export(ExportNames[6]),
        };
    }

    private sealed class Table
    {
        public delegate* unmanaged<ulong, void*, nuint, nint, int> MemcpyHtoD;
        public delegate* unmanaged<void*, ulong, nuint, nint, int> MemcpyDtoH;
        public delegate* unmanaged<ulong, byte, nuint, nint, int> MemsetD8;
        public delegate* unmanaged<nint, int, int, int> FuncSetAttribute;
        public delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, int> LaunchCooperative;
        public delegate* unmanaged<int*, int, int> DeviceGet;
        public delegate* unmanaged<int*, int, int, int> DeviceGetAttribute;
    }
}

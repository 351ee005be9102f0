using System.Runtime.InteropServices;

namespace LstmNative.Cuda.Interop;

/// <summary>
/// The CUDA driver API (libcuda.so.1), declared with the exact exported symbols (the <c>_v2</c> names that
/// cuda.h's macros select), so the binding works with every driver from CUDA 11.4 on. Handles are
/// <see cref="nint"/>, device pointers <see cref="ulong"/>, <c>size_t</c> is <see cref="nuint"/>.
/// </summary>
internal static unsafe partial class CudaDriver
{
    // Initialisation, version, errors
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuInit(uint flags);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuDriverGetVersion(int* version);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuGetErrorName(CUresult error, byte** name);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuGetErrorString(CUresult error, byte** text);

    // Devices
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuDeviceGetCount(int* count);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuDeviceGet(int* device, int ordinal);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuDeviceGetName(byte* name, int length, int device);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuDeviceGetAttribute(int* value, int attribute, int device);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuDeviceTotalMem_v2(nuint* bytes, int device);

    // Contexts (primary context only: it is what the runtime API, cuBLAS and cuDNN use)
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuDevicePrimaryCtxRetain(nint* context, int device);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuDevicePrimaryCtxRelease_v2(int device);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuCtxSetCurrent(nint context);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuCtxGetCurrent(nint* context);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuCtxSynchronize();

    // Memory
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuMemGetInfo_v2(nuint* free, nuint* total);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuMemAlloc_v2(ulong* pointer, nuint bytes);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuMemFree_v2(ulong pointer);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuMemHostAlloc(void** pointer, nuint bytes, uint flags);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuMemFreeHost(void* pointer);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuMemcpyHtoD_v2(ulong destination, void* source, nuint bytes);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuMemcpyDtoH_v2(void* destination, ulong source, nuint bytes);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuMemcpyDtoD_v2(ulong destination, ulong source, nuint bytes);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuMemcpyHtoDAsync_v2(ulong destination, void* source, nuint bytes, nint stream);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuMemcpyDtoHAsync_v2(void* destination, ulong source, nuint bytes, nint stream);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuMemcpyDtoDAsync_v2(ulong destination, ulong source, nuint bytes, nint stream);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuMemsetD8Async(ulong destination, byte value, nuint count, nint stream);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuMemsetD32Async(ulong destination, uint value, nuint count, nint stream);

    // Modules and kernels
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuModuleLoadData(nint* module, void* image);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuModuleUnload(nint module);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuModuleGetFunction(nint* function, nint module, byte* name);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuFuncGetAttribute(int* value, int attribute, nint function);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuOccupancyMaxActiveBlocksPerMultiprocessor(int* blocks, nint function, int blockSize, nuint dynamicSharedBytes);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuFuncSetAttribute(nint function, int attribute, int value);

    [LibraryImport(LibraryNames.Driver)]
    internal static partial CUresult cuLaunchCooperativeKernel(
        nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedBytes, nint stream, void** kernelParams);

    [LibraryImport(LibraryNames.Driver)]
    internal static partial CUresult cuLaunchKernel(
        nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedBytes, nint stream, void** kernelParams, void** extra);

    // Streams and events
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuStreamCreate(nint* stream, uint flags);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuStreamDestroy_v2(nint stream);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuStreamSynchronize(nint stream);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuStreamQuery(nint stream);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuStreamWaitEvent(nint stream, nint cudaEvent, uint flags);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuEventCreate(nint* cudaEvent, uint flags);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuEventDestroy_v2(nint cudaEvent);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuEventRecord(nint cudaEvent, nint stream);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuEventSynchronize(nint cudaEvent);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuEventQuery(nint cudaEvent);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuEventElapsedTime(float* milliseconds, nint start, nint end);

    // Graphs (stream capture, then instantiate and replay)
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuStreamBeginCapture_v2(nint stream, int mode);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuStreamEndCapture(nint stream, nint* graph);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuGraphGetNodes(nint graph, nint* nodes, nuint* count);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuGraphInstantiateWithFlags(nint* graphExec, nint graph, ulong flags);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuGraphLaunch(nint graphExec, nint stream);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuGraphExecDestroy(nint graphExec);
    [LibraryImport(LibraryNames.Driver)] internal static partial CUresult cuGraphDestroy(nint graph);
}

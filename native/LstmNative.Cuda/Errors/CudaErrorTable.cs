using System.Collections.Frozen;
using LstmNative.Cuda.Interop;

namespace LstmNative.Cuda;

/// <summary>
/// Names and texts of CUDA driver status codes. The driver's own cuGetErrorName/cuGetErrorString are asked
/// first; this table (from cuda.h, CUDA 11.8 to 13) answers when the driver cannot be asked, e.g. when the
/// library is missing or the code is newer than the driver.
/// </summary>
internal static class CudaErrorTable
{
    private static readonly FrozenDictionary<int, (string Name, string Text)> Known = new Dictionary<int, (string, string)>
    {
        [0] = ("CUDA_SUCCESS", "no error"),
        [1] = ("CUDA_ERROR_INVALID_VALUE", "invalid argument"),
        [2] = ("CUDA_ERROR_OUT_OF_MEMORY", "out of memory"),
        [3] = ("CUDA_ERROR_NOT_INITIALIZED", "initialization error"),
        [4] = ("CUDA_ERROR_DEINITIALIZED", "driver shutting down"),
        [34] = ("CUDA_ERROR_STUB_LIBRARY", "CUDA driver is a stub library"),
        [46] = ("CUDA_ERROR_DEVICE_UNAVAILABLE", "CUDA-capable device(s) is/are busy or unavailable"),
        [100] = ("CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"),
        [101] = ("CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"),
        [200] = ("CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"),
        [201] = ("CUDA_ERROR_INVALID_CONTEXT", "invalid device context"),
        [209] = ("CUDA_ERROR_NO_BINARY_FOR_GPU", "no kernel image is available for execution on the device"),
        [218] = ("CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed"),
        [222] = ("CUDA_ERROR_UNSUPPORTED_PTX_VERSION", "the provided PTX was compiled with an unsupported toolchain"),
        [300] = ("CUDA_ERROR_INVALID_SOURCE", "device kernel image is invalid"),
        [301] = ("CUDA_ERROR_FILE_NOT_FOUND", "file not found"),
        [400] = ("CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"),
        [401] = ("CUDA_ERROR_ILLEGAL_STATE", "the operation cannot be performed in the present state"),
        [500] = ("CUDA_ERROR_NOT_FOUND", "named symbol not found"),
        [600] = ("CUDA_ERROR_NOT_READY", "device not ready"),
        [700] = ("CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"),
        [701] = ("CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", "too many resources requested for launch"),
        [702] = ("CUDA_ERROR_LAUNCH_TIMEOUT", "the launch timed out and was terminated"),
        [719] = ("CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"),
        [800] = ("CUDA_ERROR_NOT_PERMITTED", "operation not permitted"),
        [801] = ("CUDA_ERROR_NOT_SUPPORTED", "operation not supported"),
        [802] = ("CUDA_ERROR_SYSTEM_NOT_READY", "system not yet initialized"),
        [803] = ("CUDA_ERROR_SYSTEM_DRIVER_MISMATCH", "system has unsupported display driver / cuda driver combination"),
        [804] = ("CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE", "forward compatibility was attempted on non supported HW"),
        [900] = ("CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED", "operation not permitted when stream is capturing"),
        [901] = ("CUDA_ERROR_STREAM_CAPTURE_INVALIDATED", "operation failed due to a previous error during capture"),
        [906] = ("CUDA_ERROR_STREAM_CAPTURE_IMPLICIT", "operation would make the legacy stream depend on a capturing blocking stream"),
        [908] = ("CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD", "attempt to terminate a thread-local capture sequence from another thread"),
        [909] = ("CUDA_ERROR_TIMEOUT", "wait operation timed out"),
        [999] = ("CUDA_ERROR_UNKNOWN", "unknown error"),
    }.ToFrozenDictionary();

    /// <summary>The name and text of <paramref name="code"/>, from the driver when it is loaded, else from the table.</summary>
    public static (string Name, string Text) Describe(int code)
    {
        if (TryAskDriver(code, out var fromDriver))
            return fromDriver;
        return DescribeFromTable(code);
    }

    /// <summary>The table's answer only (never touches the driver).</summary>
    public static (string Name, string Text) DescribeFromTable(int code) =>
        Known.TryGetValue(code, out var known) ? known : ($"CUDA_ERROR_{code}", "unrecognised CUDA status code");

    private static unsafe bool TryAskDriver(int code, out (string Name, string Text) description)
    {
        description = default;
        if (!NativeLibraryResolver.IsLoaded(CudaLibrary.Driver))
            return false;
        byte* name = null, text = null;
        if (CudaDriver.cuGetErrorName((CUresult)code, &name) != CUresult.Success || name == null)
            return false;
        CudaDriver.cuGetErrorString((CUresult)code, &text);
        description = (Utf8.FromNative(name), text == null ? "" : Utf8.FromNative(text));
        return true;
    }
}

using System.Collections.Frozen;
using LstmNative.Cuda.Interop;

namespace LstmNative.Cuda;

/// <summary>A cuDNN call failed. Carries the <c>cudnnStatus_t</c>, its name, cuDNN's last error text, and the call.</summary>
public sealed class CudnnException : Exception
{
    // cuDNN 9 numbering (categories of 1000). cudnnGetErrorString is asked first; this answers without the library.
    private static readonly FrozenDictionary<int, string> Known = new Dictionary<int, string>
    {
        [0] = "CUDNN_STATUS_SUCCESS",
        [1001] = "CUDNN_STATUS_NOT_INITIALIZED",
        [1002] = "CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH",
        [1008] = "CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED",
        [2000] = "CUDNN_STATUS_BAD_PARAM",
        [2001] = "CUDNN_STATUS_INVALID_VALUE",
        [2002] = "CUDNN_STATUS_BAD_PARAM_NULL_POINTER",
        [2003] = "CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER",
        [2006] = "CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT",
        [2008] = "CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH",
        [3000] = "CUDNN_STATUS_NOT_SUPPORTED",
        [3003] = "CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE",
        [3005] = "CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER",
        [3007] = "CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH",
        [3009] = "CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE",
        [4000] = "CUDNN_STATUS_INTERNAL_ERROR",
        [4003] = "CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED",
        [4004] = "CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED",
        [5000] = "CUDNN_STATUS_EXECUTION_FAILED",
        [5001] = "CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER",
        [5002] = "CUDNN_STATUS_EXECUTION_FAILED_CUBLAS",
    }.ToFrozenDictionary();

    /// <summary>Creates the exception for a failed cuDNN call; <paramref name="text"/> is cuDNN's own message, if any.</summary>
    public CudnnException(int status, string call, string? text = null)
        : base(CudaException.Format(status, NameOf(status), string.IsNullOrEmpty(text) ? "cuDNN call failed" : text, call, null))
    {
        Status = status;
        StatusName = NameOf(status);
        Call = call;
    }

    /// <summary>The <c>cudnnStatus_t</c> value.</summary>
    public int Status { get; }

    /// <summary>The status name, e.g. <c>CUDNN_STATUS_BAD_PARAM</c>.</summary>
    public string StatusName { get; }

    /// <summary>The cuDNN function that failed.</summary>
    public string Call { get; }

    /// <summary>The name of a cuDNN 9 status code, from the table (the library is not asked).</summary>
    public static string NameOf(int status) =>
        Known.TryGetValue(status, out var name) ? name : $"CUDNN_STATUS_{status}";

    /// <summary>cuDNN's own description (cudnnGetErrorString + cudnnGetLastErrorString), or null when unavailable.</summary>
    internal static unsafe string? AskLibrary(int status)
    {
        if (!NativeLibraryResolver.IsLoaded(CudaLibrary.Cudnn))
            return null;
        try
        {
            var text = Utf8.FromNative(Cudnn.cudnnGetErrorString(status));
            const int max = 1024;
            byte* last = stackalloc byte[max];
            last[0] = 0;
            Cudnn.cudnnGetLastErrorString(last, max); // cuDNN 9 only
            var detail = Utf8.FromNative(last);
            return detail.Length > 0 ? $"{text}: {detail}" : text;
        }
        catch (EntryPointNotFoundException)
        {
            return Utf8.FromNative(Cudnn.cudnnGetErrorString(status));
        }
    }
}

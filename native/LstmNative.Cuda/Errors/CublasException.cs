using System.Collections.Frozen;

namespace LstmNative.Cuda;

/// <summary>A cuBLAS call failed. Carries the <c>cublasStatus_t</c>, its name and text, and the call.</summary>
public sealed class CublasException : Exception
{
    private static readonly FrozenDictionary<int, (string Name, string Text)> Known = new Dictionary<int, (string, string)>
    {
        [0] = ("CUBLAS_STATUS_SUCCESS", "success"),
        [1] = ("CUBLAS_STATUS_NOT_INITIALIZED", "the library was not initialized"),
        [3] = ("CUBLAS_STATUS_ALLOC_FAILED", "the resource allocation failed"),
        [7] = ("CUBLAS_STATUS_INVALID_VALUE", "an invalid numeric value was used as an argument"),
        [8] = ("CUBLAS_STATUS_ARCH_MISMATCH", "an absent device architectural feature is required"),
        [11] = ("CUBLAS_STATUS_MAPPING_ERROR", "an access to GPU memory space failed"),
        [13] = ("CUBLAS_STATUS_EXECUTION_FAILED", "the GPU program failed to execute"),
        [14] = ("CUBLAS_STATUS_INTERNAL_ERROR", "an internal operation failed"),
        [15] = ("CUBLAS_STATUS_NOT_SUPPORTED", "the functionality requested is not supported"),
        [16] = ("CUBLAS_STATUS_LICENSE_ERROR", "error detected trying to check the license"),
    }.ToFrozenDictionary();

    /// <summary>Creates the exception for a failed cuBLAS call.</summary>
    public CublasException(int status, string call, string? detail = null)
        : base(CudaException.Format(status, Describe(status).Name, Describe(status).Text, call, detail))
    {
        Status = status;
        StatusName = Describe(status).Name;
        Call = call;
    }

    /// <summary>The <c>cublasStatus_t</c> value.</summary>
    public int Status { get; }

    /// <summary>The status name, e.g. <c>CUBLAS_STATUS_INVALID_VALUE</c>.</summary>
    public string StatusName { get; }

    /// <summary>The cuBLAS function that failed.</summary>
    public string Call { get; }

    /// <summary>The name and text of a <c>cublasStatus_t</c> (the statuses are stable across cuBLAS 11 to 13).</summary>
    public static (string Name, string Text) Describe(int status) =>
        Known.TryGetValue(status, out var known) ? known : ($"CUBLAS_STATUS_{status}", "unrecognised cuBLAS status");
}

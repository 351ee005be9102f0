namespace LstmNative.Cuda;

/// <summary>A CUDA driver call failed. Carries the driver's status code, its name and text, and the call.</summary>
public class CudaException : Exception
{
    /// <summary>Creates the exception for a failed driver call.</summary>
    /// <param name="errorCode">The <c>CUresult</c> the driver returned.</param>
    /// <param name="call">The driver function that failed, e.g. <c>cuMemAlloc_v2</c>.</param>
    /// <param name="detail">What the call was doing (sizes, names), or null.</param>
    public CudaException(int errorCode, string call, string? detail = null)
        : this(errorCode, CudaErrorTable.Describe(errorCode), call, detail)
    {
    }

    private CudaException(int errorCode, (string Name, string Text) description, string call, string? detail)
        : base(Format(errorCode, description.Name, description.Text, call, detail))
    {
        ErrorCode = errorCode;
        ErrorName = description.Name;
        ErrorText = description.Text;
        Call = call;
    }

    /// <summary>The <c>CUresult</c> status code.</summary>
    public int ErrorCode { get; }

    /// <summary>The status code's name, e.g. <c>CUDA_ERROR_OUT_OF_MEMORY</c>.</summary>
    public string ErrorName { get; }

    /// <summary>The driver's description of the status code.</summary>
    public string ErrorText { get; }

    /// <summary>The driver function that failed.</summary>
    public string Call { get; }

    internal static string Format(int code, string name, string text, string call, string? detail) =>
        detail is null ? $"{call} failed: {name} ({code}): {text}" : $"{call} failed: {name} ({code}): {text} [{detail}]";
}

/// <summary>A device (or pinned host) allocation failed for lack of memory.</summary>
public sealed class CudaOutOfMemoryException : CudaException
{
    /// <summary>Creates the exception for an allocation of <paramref name="requestedBytes"/> bytes.</summary>
    public CudaOutOfMemoryException(int errorCode, string call, long requestedBytes)
        : base(errorCode, call, $"requested {requestedBytes} bytes ({requestedBytes / (1024.0 * 1024.0):F1} MiB)")
    {
        RequestedBytes = requestedBytes;
    }

    /// <summary>The size of the allocation that failed.</summary>
    public long RequestedBytes { get; }
}

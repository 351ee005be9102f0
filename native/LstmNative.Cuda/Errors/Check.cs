using System.Runtime.CompilerServices;
using LstmNative.Cuda.Interop;

namespace LstmNative.Cuda;

/// <summary>
/// Turns status codes into exceptions. The call's name is taken from the expression at the call site
/// (<c>CudaDriver.cuMemAlloc_v2(&amp;p, n)</c> gives <c>cuMemAlloc_v2</c>), so no call site repeats it by hand.
/// </summary>
internal static class Check
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Driver(CUresult result, string? detail = null, [CallerArgumentExpression(nameof(result))] string call = "")
    {
        if (result != CUresult.Success)
            throw new CudaException((int)result, CallName(call), detail);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Blas(int status, string? detail = null, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != 0)
            throw new CublasException(status, CallName(call), detail);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dnn(int status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != 0)
            throw new CudnnException(status, CallName(call), CudnnException.AskLibrary(status));
    }

    /// <summary>"CudaDriver.cuMemAlloc_v2(&amp;p, n)" → "cuMemAlloc_v2".</summary>
    internal static string CallName(string expression)
    {
        var paren = expression.IndexOf('(', StringComparison.Ordinal);
        var head = paren < 0 ? expression : expression[..paren];
        var dot = head.LastIndexOf('.');
        return (dot < 0 ? head : head[(dot + 1)..]).Trim();
    }
}

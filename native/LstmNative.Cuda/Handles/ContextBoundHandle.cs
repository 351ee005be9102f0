using System.Runtime.InteropServices;
using LstmNative.Cuda.Interop;

namespace LstmNative.Cuda.Handles;

/// <summary>
/// A native resource that lives in a context. It keeps its context alive (a reference on the context's handle)
/// and makes the context current before freeing, because the finalizer thread has no context bound.
/// </summary>
internal abstract unsafe class ContextBoundHandle : SafeHandle
{
    private readonly PrimaryContextHandle _context;

    protected ContextBoundHandle(PrimaryContextHandle context)
        : base(0, ownsHandle: true)
    {
        _context = context;
    }

    public override bool IsInvalid => handle == 0;

    internal PrimaryContextHandle Context => _context;

    /// <summary>
    /// Takes ownership of the native handle once the create call has succeeded, and only then references the
    /// context: a handle whose create call failed stays invalid, is never released, and must hold no reference.
    /// </summary>
    internal void Adopt(nint value)
    {
        var added = false;
        _context.DangerousAddRef(ref added);
        SetHandle(value);
    }

    protected sealed override bool ReleaseHandle()
    {
        try
        {
            // Free in the owning context, then give the thread back the context it had.
            nint previous = 0;
            CudaDriver.cuCtxGetCurrent(&previous);
            var context = _context.DangerousGetHandle();
            var ok = previous == context || CudaDriver.cuCtxSetCurrent(context) == CUresult.Success;
            var freed = Free(handle);
            if (previous != context)
                CudaDriver.cuCtxSetCurrent(previous);
            return freed && ok;
        }
        finally
        {
            _context.DangerousRelease();
        }
    }

    /// <summary>Frees the native resource; true on success (or when the driver is already shutting down).</summary>
    protected abstract bool Free(nint value);

    protected static bool Succeeded(CUresult result) => result is CUresult.Success or CUresult.Deinitialized;
}

/// <summary>The driver-API resources, one handle type for all: the kind picks the free call.</summary>
internal sealed unsafe class DriverHandle : ContextBoundHandle
{
    public DriverHandle(PrimaryContextHandle context, DriverHandleKind kind)
        : base(context)
    {
        Kind = kind;
    }

    public DriverHandleKind Kind { get; }

    protected override bool Free(nint value) => Succeeded(Kind switch
    {
        DriverHandleKind.DeviceMemory => CudaDriver.cuMemFree_v2((ulong)value),
        DriverHandleKind.HostMemory => CudaDriver.cuMemFreeHost((void*)value),
        DriverHandleKind.Module => CudaDriver.cuModuleUnload(value),
        DriverHandleKind.Stream => CudaDriver.cuStreamDestroy_v2(value),
        DriverHandleKind.Event => CudaDriver.cuEventDestroy_v2(value),
        DriverHandleKind.Graph => CudaDriver.cuGraphDestroy(value),
        DriverHandleKind.GraphExec => CudaDriver.cuGraphExecDestroy(value),
        _ => CUresult.InvalidValue,
    });
}

/// <summary>What a <see cref="DriverHandle"/> owns.</summary>
internal enum DriverHandleKind
{
    DeviceMemory,
    HostMemory,
    Module,
    Stream,
    Event,
    Graph,
    GraphExec,
}

/// <summary>A cuBLAS handle (cublasDestroy_v2 on release).</summary>
internal sealed class CublasNativeHandle(PrimaryContextHandle context) : ContextBoundHandle(context)
{
    protected override bool Free(nint value) => Cublas.cublasDestroy_v2(value) == 0;
}

/// <summary>A cuDNN handle or descriptor; the kind picks the destroy call.</summary>
internal sealed class CudnnNativeHandle(PrimaryContextHandle context, CudnnHandleKind kind) : ContextBoundHandle(context)
{
    public CudnnHandleKind Kind { get; } = kind;

    protected override bool Free(nint value) => (Kind switch
    {
        CudnnHandleKind.Handle => Cudnn.cudnnDestroy(value),
        CudnnHandleKind.Tensor => Cudnn.cudnnDestroyTensorDescriptor(value),
        CudnnHandleKind.Dropout => Cudnn.cudnnDestroyDropoutDescriptor(value),
        CudnnHandleKind.Rnn => Cudnn.cudnnDestroyRNNDescriptor(value),
        CudnnHandleKind.RnnData => Cudnn.cudnnDestroyRNNDataDescriptor(value),
        _ => -1,
    }) == 0;
}

/// <summary>What a <see cref="CudnnNativeHandle"/> owns.</summary>
internal enum CudnnHandleKind
{
    Handle,
    Tensor,
    Dropout,
    Rnn,
    RnnData,
}

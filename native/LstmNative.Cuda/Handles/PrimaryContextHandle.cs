using System.Runtime.InteropServices;
using LstmNative.Cuda.Interop;

namespace LstmNative.Cuda.Handles;

/// <summary>
/// A retained primary context. Every other handle adds a reference to it (SafeHandle ref counting), so the
/// context is released only after the last buffer, stream or module made in it is freed, whatever order the
/// finalizers run in.
/// </summary>
internal sealed unsafe class PrimaryContextHandle : SafeHandle
{
    public PrimaryContextHandle(nint context, int device)
        : base(0, ownsHandle: true)
    {
        SetHandle(context);
        Device = device;
    }

    public int Device { get; }

    public override bool IsInvalid => handle == 0;

    /// <summary>Binds the context to the calling thread when another context (or none) is bound.</summary>
    public void MakeCurrent()
    {
        nint current;
        if (CudaDriver.cuCtxGetCurrent(&current) == CUresult.Success && current == handle)
            return;
        Check.Driver(CudaDriver.cuCtxSetCurrent(handle));
    }

    protected override bool ReleaseHandle()
    {
        var result = CudaDriver.cuDevicePrimaryCtxRelease_v2(Device);
        return result is CUresult.Success or CUresult.Deinitialized;
    }
}

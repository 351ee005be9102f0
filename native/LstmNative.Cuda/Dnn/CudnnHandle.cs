using LstmNative.Cuda.Handles;
using LstmNative.Cuda.Interop;

namespace LstmNative.Cuda;

/// <summary>A cuDNN handle bound to one context and (optionally) one stream. cuDNN serves the baselines only.</summary>
public sealed unsafe class CudnnHandle : IDisposable
{
    private readonly CudnnNativeHandle _handle;

    /// <summary>Creates a handle in <paramref name="context"/> (which must be current).</summary>
    /// <exception cref="CudaLibraryNotFoundException">cuDNN was not found.</exception>
    public CudnnHandle(CudaContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Context = context;
        _handle = new CudnnNativeHandle(context.Handle, CudnnHandleKind.Handle);
        nint raw;
        Check.Dnn(Cudnn.cudnnCreate(&raw));
        _handle.Adopt(raw);
    }

    /// <summary>The context the handle lives in.</summary>
    public CudaContext Context { get; }

    internal nint Raw
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    /// <summary>cuDNN's version as an integer (e.g. 91000 for 9.10.0).</summary>
    public static long LibraryVersion() => (long)Cudnn.cudnnGetVersion();

    /// <summary>Queues this handle's work on <paramref name="stream"/> (null: the legacy default stream).</summary>
    public void SetStream(CudaStream? stream) => Check.Dnn(Cudnn.cudnnSetStream(Raw, CudaStream.RawHandle(stream)));

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}

using LstmNative.Cuda.Handles;
using LstmNative.Cuda.Interop;

namespace LstmNative.Cuda;

/// <summary>A dropout descriptor with its random-state buffer (the RNN descriptor needs one, even for no dropout).</summary>
public sealed unsafe class CudnnDropoutDescriptor : IDisposable
{
    private readonly CudnnNativeHandle _handle;
    private readonly DeviceBuffer<byte>? _states;

    /// <summary>Creates a descriptor with probability <paramref name="dropout"/> (0: none) and RNG seed <paramref name="seed"/>.</summary>
    public CudnnDropoutDescriptor(CudnnHandle cudnn, float dropout = 0f, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(cudnn);
        _handle = new CudnnNativeHandle(cudnn.Context.Handle, CudnnHandleKind.Dropout);
        nint raw;
        Check.Dnn(Cudnn.cudnnCreateDropoutDescriptor(&raw));
        _handle.Adopt(raw);
        nuint stateBytes;
        Check.Dnn(Cudnn.cudnnDropoutGetStatesSize(cudnn.Raw, &stateBytes));
        if (stateBytes > 0)
            _states = new DeviceBuffer<byte>(cudnn.Context, (long)stateBytes);
        Check.Dnn(Cudnn.cudnnSetDropoutDescriptor(Raw, cudnn.Raw, dropout, _states?.Pointer ?? 0, stateBytes, seed));
    }

    internal nint Raw
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _handle.Dispose();
        _states?.Dispose();
    }
}

using LstmNative.Cuda.Handles;
using LstmNative.Cuda.Interop;

namespace LstmNative.Cuda;

/// <summary>A CUDA event: a marker in a stream, for ordering between streams and for GPU-side timing.</summary>
public sealed unsafe class CudaEvent : IDisposable
{
    private readonly DriverHandle _handle;

    /// <summary>Creates an event.</summary>
    /// <param name="context">The context.</param>
    /// <param name="enableTiming">Record timestamps (needed by <see cref="ElapsedMilliseconds"/>; costs a little).</param>
    /// <param name="blockingSync">Make <see cref="Synchronize"/> sleep instead of spin.</param>
    public CudaEvent(CudaContext context, bool enableTiming = true, bool blockingSync = false)
    {
        ArgumentNullException.ThrowIfNull(context);
        var flags = (enableTiming ? 0 : DriverConstants.EventDisableTiming) | (blockingSync ? DriverConstants.EventBlockingSync : 0);
        _handle = new DriverHandle(context.Handle, DriverHandleKind.Event);
        nint raw;
        Check.Driver(CudaDriver.cuEventCreate(&raw, flags));
        _handle.Adopt(raw);
    }

    /// <summary>The native <c>CUevent</c>.</summary>
    public nint Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    /// <summary>Queues the event on <paramref name="stream"/> (null: the legacy default stream).</summary>
    public void Record(CudaStream? stream = null) => Check.Driver(CudaDriver.cuEventRecord(Handle, CudaStream.RawHandle(stream)));

    /// <summary>Blocks until the work before the event's last record has finished.</summary>
    public void Synchronize() => Check.Driver(CudaDriver.cuEventSynchronize(Handle));

    /// <summary>True when the work before the last record has finished (does not block).</summary>
    public bool IsComplete
    {
        get
        {
            var result = CudaDriver.cuEventQuery(Handle);
            if (result == CUresult.NotReady)
                return false;
            Check.Driver(result);
            return true;
        }
    }

    /// <summary>GPU time between two completed timing events, in milliseconds (about 0.5 µs resolution).</summary>
    public static float ElapsedMilliseconds(CudaEvent start, CudaEvent end)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(end);
        float milliseconds;
        Check.Driver(CudaDriver.cuEventElapsedTime(&milliseconds, start.Handle, end.Handle));
        return milliseconds;
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}

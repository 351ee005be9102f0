using LstmNative.Cuda.Handles;
using LstmNative.Cuda.Interop;

namespace LstmNative.Cuda;

/// <summary>How a stream capture treats unsafe calls from other threads (CUstreamCaptureMode).</summary>
public enum StreamCaptureMode
{
    /// <summary>Potentially unsafe calls from any thread are errors during the capture.</summary>
    Global = 0,

    /// <summary>Only this thread's unsafe calls are errors.</summary>
    ThreadLocal = 1,

    /// <summary>No checks.</summary>
    Relaxed = 2,
}

/// <summary>A CUDA stream: an ordered queue of device work. Also the entry point of CUDA graph capture.</summary>
public sealed unsafe class CudaStream : IDisposable
{
    private readonly DriverHandle _handle;

    /// <summary>Creates a stream in <paramref name="context"/>.</summary>
    /// <param name="context">The context.</param>
    /// <param name="nonBlocking">True: no implicit synchronisation with the legacy default stream.</param>
    public CudaStream(CudaContext context, bool nonBlocking = true)
    {
        ArgumentNullException.ThrowIfNull(context);
        _handle = new DriverHandle(context.Handle, DriverHandleKind.Stream);
        nint stream;
        Check.Driver(CudaDriver.cuStreamCreate(&stream, nonBlocking ? DriverConstants.StreamNonBlocking : 0));
        _handle.Adopt(stream);
    }

    /// <summary>The native <c>CUstream</c>.</summary>
    public nint Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    internal static nint RawHandle(CudaStream? stream) => stream?.Handle ?? 0;

    /// <summary>Blocks until all work queued on the stream has finished.</summary>
    public void Synchronize() => Check.Driver(CudaDriver.cuStreamSynchronize(Handle));

    /// <summary>True when all queued work has finished (does not block).</summary>
    public bool IsIdle
    {
        get
        {
            var result = CudaDriver.cuStreamQuery(Handle);
            if (result == CUresult.NotReady)
                return false;
            Check.Driver(result);
            return true;
        }
    }

    /// <summary>Makes later work on this stream wait for <paramref name="cudaEvent"/> (does not block the host).</summary>
    public void Wait(CudaEvent cudaEvent)
    {
        ArgumentNullException.ThrowIfNull(cudaEvent);
        Check.Driver(CudaDriver.cuStreamWaitEvent(Handle, cudaEvent.Handle, 0));
    }

    // The copies and fills below are on per-call paths: their failure details are built only on failure.

    /// <summary>Queues a copy of <paramref name="bytes"/> from page-locked host memory to the device; returns at once.</summary>
    public void CopyToDevice(ulong destination, nint source, long bytes)
    {
        var r = CudaDriver.cuMemcpyHtoDAsync_v2(destination, (void*)source, (nuint)bytes, Handle);
        if (r != CUresult.Success)
            throw new CudaException((int)r, nameof(CudaDriver.cuMemcpyHtoDAsync_v2), $"{bytes} bytes");
    }

    /// <summary>Queues a copy of <paramref name="bytes"/> from the device to page-locked host memory; returns at once.</summary>
    public void CopyToHost(nint destination, ulong source, long bytes)
    {
        var r = CudaDriver.cuMemcpyDtoHAsync_v2((void*)destination, source, (nuint)bytes, Handle);
        if (r != CUresult.Success)
            throw new CudaException((int)r, nameof(CudaDriver.cuMemcpyDtoHAsync_v2), $"{bytes} bytes");
    }

    /// <summary>Queues zeroing <paramref name="bytes"/> of device memory; returns at once.</summary>
    public void Zero(ulong destination, long bytes)
    {
        var r = CudaDriver.cuMemsetD8Async(destination, 0, (nuint)bytes, Handle);
        if (r != CUresult.Success)
            throw new CudaException((int)r, nameof(CudaDriver.cuMemsetD8Async), $"{bytes} bytes");
    }

    /// <summary>Starts recording the work queued on this stream into a graph instead of running it.</summary>
    public void BeginCapture(StreamCaptureMode mode = StreamCaptureMode.Global) =>
        Check.Driver(CudaDriver.cuStreamBeginCapture_v2(Handle, (int)mode));

    /// <summary>Ends the capture begun by <see cref="BeginCapture"/> and returns the recorded graph.</summary>
    public CudaGraph EndCapture()
    {
        var graph = new DriverHandle(_handle.Context, DriverHandleKind.Graph);
        nint raw;
        Check.Driver(CudaDriver.cuStreamEndCapture(Handle, &raw));
        graph.Adopt(raw);
        return new CudaGraph(graph);
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}

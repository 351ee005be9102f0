using LstmNative.Cuda.Handles;
using LstmNative.Cuda.Interop;

namespace LstmNative.Cuda;

/// <summary>
/// A captured CUDA graph (see <see cref="CudaStream.BeginCapture"/>). Instantiate it once, then replay the
/// executable graph as often as needed: one launch replaces the whole captured sequence of launches.
/// </summary>
public sealed unsafe class CudaGraph : IDisposable
{
    private readonly DriverHandle _handle;

    internal CudaGraph(DriverHandle handle) => _handle = handle;

    /// <summary>The number of nodes (kernels, copies, memsets...) captured.</summary>
    public int NodeCount
    {
        get
        {
            nuint count = 0;
            Check.Driver(CudaDriver.cuGraphGetNodes(Raw, null, &count));
            return (int)count;
        }
    }

    private nint Raw
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    /// <summary>Builds the executable graph (validates and prepares every node; do it once, replay many times).</summary>
    public CudaGraphExec Instantiate()
    {
        var exec = new DriverHandle(_handle.Context, DriverHandleKind.GraphExec);
        nint raw;
        Check.Driver(CudaDriver.cuGraphInstantiateWithFlags(&raw, Raw, 0));
        exec.Adopt(raw);
        return new CudaGraphExec(exec);
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}

/// <summary>An instantiated, replayable CUDA graph.</summary>
public sealed class CudaGraphExec : IDisposable
{
    private readonly DriverHandle _handle;

    internal CudaGraphExec(DriverHandle handle) => _handle = handle;

    /// <summary>Queues one replay of the whole graph on <paramref name="stream"/>; returns at once.</summary>
    public void Launch(CudaStream? stream = null)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        Check.Driver(CudaDriver.cuGraphLaunch(_handle.DangerousGetHandle(), CudaStream.RawHandle(stream)));
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}

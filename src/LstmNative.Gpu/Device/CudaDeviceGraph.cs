using LstmNative.Cuda;

namespace LstmNative.Gpu.Device;

/// <summary>
/// <see cref="IDeviceGraph"/> on a GPU, and the stream capture both CUDA implementations use to make one: capture is
/// thread-local (other threads' work on the context is not pulled in), ending it instantiates the graph, and a failed
/// capture is ended and discarded so the stream is usable again.
/// </summary>
internal sealed class CudaDeviceGraph : IDeviceGraph
{
    private readonly CudaGraphExec _exec;
    private readonly CudaStream _stream;

    private CudaDeviceGraph(CudaGraphExec exec, CudaStream stream, int nodes)
    {
        _exec = exec;
        _stream = stream;
        NodeCount = nodes;
    }

    /// <inheritdoc/>
    public int NodeCount { get; }

    /// <summary>Starts capturing <paramref name="stream"/> (and the streams that wait on it).</summary>
    public static void BeginCapture(CudaStream stream) => stream.BeginCapture(StreamCaptureMode.ThreadLocal);

    /// <summary>Ends the capture on <paramref name="stream"/> and instantiates the graph, which replays on the same stream.</summary>
    public static CudaDeviceGraph EndCapture(CudaStream stream)
    {
        using var graph = stream.EndCapture();
        int nodes = graph.NodeCount;
        return new CudaDeviceGraph(graph.Instantiate(), stream, nodes);
    }

    /// <summary>Ends a capture that failed, discarding it (never throws).</summary>
    public static void AbandonCapture(CudaStream stream)
    {
        try
        {
            stream.EndCapture().Dispose();
        }
        catch (CudaException)
        {
            // the capture was invalidated or never began: nothing to discard
        }
    }

    /// <inheritdoc/>
    public void Launch() => _exec.Launch(_stream);

    /// <inheritdoc/>
    public void Dispose() => _exec.Dispose();
}

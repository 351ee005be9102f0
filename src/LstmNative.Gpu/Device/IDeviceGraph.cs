namespace LstmNative.Gpu.Device;

/// <summary>
/// Captured device work (an instantiated CUDA graph, or an emulator's recording), the one graph type of the GPU device
/// layer. It replays on the queue it was captured on, with the dependencies it was captured with.
/// </summary>
internal interface IDeviceGraph : IDisposable
{
    /// <summary>Nodes in the graph (kernels, GEMM kernels, copies, memsets, event nodes).</summary>
    int NodeCount { get; }

    /// <summary>Queues the captured work once more, on the queue it was captured on.</summary>
    void Launch();
}

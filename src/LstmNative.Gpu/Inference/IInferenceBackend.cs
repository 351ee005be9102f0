using LstmNative.Cuda;
using LstmNative.Gpu.Device;
using LstmNative.Gpu.Training;
using LstmNative.Model;

namespace LstmNative.Gpu.Inference;

// The seam between the inference orchestration (GpuRnnModel, GpuRnnSession) and the device. The CUDA implementation
// is CudaInferenceBackend; the tests add a CPU emulation that runs the same calls (GEMMs, the kernels' argument
// blocks, copies, events, graphs) in an adversarial order, so every piece of host logic is exercised without a GPU.
// Addresses are device addresses (ulong) and host addresses (nint) of page-locked memory.

/// <summary>Device memory owned by a backend.</summary>
internal interface IDeviceMemory : IDisposable
{
    ulong Pointer { get; }

    long Bytes { get; }
}

/// <summary>Page-locked host memory owned by a backend.</summary>
internal interface IHostMemory : IDisposable
{
    nint Pointer { get; }

    long Bytes { get; }
}

/// <summary>A layer's weights on the device: W [D, G·H, I], R [D, G·H, H], Bw and Br [D, G·H], P [D, 3H] (0 when absent).</summary>
internal interface ILayerWeightsOnDevice : IDisposable
{
    RnnLayerOptions Options { get; }

    ulong W { get; }

    ulong R { get; }

    ulong Bw { get; }

    ulong Br { get; }

    ulong P { get; }
}

/// <summary>The per-step kernels of the standard algorithm.</summary>
internal enum StepKernel
{
    Lstm,
    Gru,
    GruReset,
    GruUpdate,
}

/// <summary>A marker in a queue (a CUDA event without timing).</summary>
internal interface IDeviceMarker : IDisposable
{
}

/// <summary>
/// An ordered queue of device work (a CUDA stream with its own cuBLAS handle): the one device interface of the
/// inference and training engines. Everything only queues, except <see cref="Download{T}"/> and
/// <see cref="Synchronize"/>, which wait. Nothing allocates managed memory per call.
/// </summary>
internal interface IDeviceQueue : IDisposable
{
    /// <summary>The CUDA stream behind the queue, when there is one.</summary>
    CudaStream? Stream { get; }

    void CopyToDevice(ulong destination, nint source, long bytes);

    void CopyToHost(nint destination, ulong source, long bytes);

    void Zero(ulong destination, long bytes);

    /// <summary>Queues a device-to-device copy.</summary>
    void Copy(ulong destination, ulong source, long bytes);

    /// <summary>Copies host data to the device, ordered after the queued work; returns once <paramref name="source"/> may be reused.</summary>
    void Upload<T>(ulong destination, ReadOnlySpan<T> source) where T : unmanaged;

    /// <summary>Copies device data to the host after the queued work and waits for it.</summary>
    void Download<T>(ulong source, Span<T> destination) where T : unmanaged;

    /// <summary>Queues a GEMM, all of its batch (inference builds them column-major with <see cref="GemmOp.ColumnMajor"/>).</summary>
    void Gemm(in GemmOp op);

    void Launch(StepKernel kernel, in StepKernelArgs args);

    void LaunchPersistent(PersistentPlan plan, in PersistentKernelArgs args, PersistentBarrier barrier);

    /// <summary>Queues the training kernel <paramref name="kernel"/> with its one parameter struct.</summary>
    void Launch<TParams>(TrainingKernel kernel, in LaunchConfig config, in TParams parameters) where TParams : unmanaged;

    void Record(IDeviceMarker marker);

    void Wait(IDeviceMarker marker);

    /// <summary>Starts capturing this queue (and the queues that wait on it) into a graph.</summary>
    void BeginCapture();

    /// <summary>Ends the capture and instantiates the graph (it replays on this queue).</summary>
    IDeviceGraph EndCapture();

    /// <summary>Ends a capture that failed, discarding it (never throws).</summary>
    void AbandonCapture();

    /// <summary>Blocks until the queued work has finished.</summary>
    void Synchronize();

    /// <summary>Whether the queued work has finished (does not block).</summary>
    bool IsIdle { get; }
}

/// <summary>A device for the inference engine.</summary>
internal interface IInferenceBackend : IDisposable
{
    DeviceLimits Limits { get; }

    /// <summary>Serialises work that contains persistent kernels across sessions (see <see cref="PersistentLane"/>).</summary>
    PersistentLane Lane { get; }

    /// <summary>Binds the backend's context to the calling thread.</summary>
    void MakeCurrent();

    IDeviceMemory Allocate(long bytes);

    IHostMemory AllocateHost(long bytes);

    IDeviceQueue CreateQueue();

    IDeviceMarker CreateMarker();

    ILayerWeightsOnDevice Upload(LayerWeights<float> weights);

    /// <summary>How many blocks of the plan's kernel the device holds at once (occupancy × multiprocessors).</summary>
    int MaxResidentBlocks(PersistentPlan plan);

    /// <summary>Whether work with persistent kernels using <paramref name="barrier"/> can be captured in a graph.</summary>
    bool CanCapturePersistent(PersistentBarrier barrier);
}

/// <summary>
/// Persistent kernels spin-wait for all their blocks; two of them sharing the GPU could each hold part of the
/// multiprocessors and wait forever. Every forward that contains one therefore runs after the previous such forward
/// (of any session on the backend) has finished: its queue waits on the lane's marker, then records it.
/// </summary>
internal sealed class PersistentLane : IDisposable
{
    private readonly IDeviceMarker _marker;

    public PersistentLane(IDeviceMarker marker) => _marker = marker;

    public object Gate { get; } = new();

    /// <summary>Orders <paramref name="queue"/> after the previous persistent work; call <see cref="Leave"/> after enqueuing.</summary>
    public void Enter(IDeviceQueue queue)
    {
        Monitor.Enter(Gate);
        queue.Wait(_marker);
    }

    public void Leave(IDeviceQueue queue)
    {
        try
        {
            queue.Record(_marker);
        }
        finally
        {
            Monitor.Exit(Gate);
        }
    }

    public void Dispose() => _marker.Dispose();
}

using LstmNative.Cuda;
using LstmNative.Gpu.Device;
using LstmNative.Model;

namespace LstmNative.Gpu.Inference;

// What the inference orchestration (GpuRnnModel, GpuRnnSession) asks of a device around its queues (the device
// layer's IDeviceQueue): limits, memory, markers, weights. The CUDA implementation is CudaInferenceBackend; the tests'
// EmulatedBackend runs the same calls in an adversarial order, so every piece of host logic is exercised without a GPU.

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

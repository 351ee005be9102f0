using LstmNative.Cuda;
using LstmNative.Gpu.Device;

namespace LstmNative.Gpu.Training;

/// <summary>
/// What the GPU training orchestration needs from a device: memory, copies, row-major GEMMs and kernel launches, all
/// queued in order on one stream. <see cref="CudaTrainingDevice"/> is the GPU; the tests also drive the same
/// orchestration on a CPU emulation of the kernels, which is how the plumbing is checked on machines without a GPU.
/// Nothing here allocates managed memory per call.
/// </summary>
internal interface ITrainingDevice : IDisposable
{
    /// <summary>Allocates <paramref name="bytes"/> of zeroed device memory (256-byte aligned); freed with the device.</summary>
    ulong Allocate(long bytes);

    /// <summary>Queues zeroing <paramref name="bytes"/> at <paramref name="address"/>.</summary>
    void Zero(ulong address, long bytes);

    /// <summary>Queues a device-to-device copy.</summary>
    void Copy(ulong destination, ulong source, long bytes);

    /// <summary>Copies host data to the device, ordered after the queued work; returns once <paramref name="source"/> may be reused.</summary>
    void Upload<T>(ulong destination, ReadOnlySpan<T> source) where T : unmanaged;

    /// <summary>Copies device data to the host after the queued work and waits for it.</summary>
    void Download<T>(ulong source, Span<T> destination) where T : unmanaged;

    /// <summary>Queues a row-major GEMM, all of its batch (FP32 ones on TF32 tensor cores when the math mode allows).</summary>
    void Gemm(in GemmOp op);

    /// <summary>Queues <paramref name="kernel"/> with its one parameter struct.</summary>
    void Launch<TParams>(TrainingKernel kernel, in LaunchConfig config, in TParams parameters) where TParams : unmanaged;

    /// <summary>Waits for everything queued.</summary>
    void Synchronize();

    /// <summary>
    /// Records what <paramref name="queue"/> queues into a replayable unit (a CUDA graph) without running it; null when
    /// the device cannot capture (then nothing was queued and the caller runs the work itself).
    /// </summary>
    IDeviceGraph? Capture(Action queue);
}

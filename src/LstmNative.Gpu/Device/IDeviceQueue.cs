using LstmNative.Cuda;
using LstmNative.Gpu.Inference;
using LstmNative.Gpu.Training;

namespace LstmNative.Gpu.Device;

// The one device interface of the GPU engine (inference and training): memory handles and the queue of work. The
// CUDA implementation is CudaDeviceQueue; the tests' emulator is EmulatedBackend. Addresses are device addresses
// (ulong) and host addresses (nint) of page-locked memory.

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

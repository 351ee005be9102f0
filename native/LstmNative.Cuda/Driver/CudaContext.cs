using LstmNative.Cuda.Handles;
using LstmNative.Cuda.Interop;

namespace LstmNative.Cuda;

/// <summary>
/// A device's primary context (the one the CUDA runtime, cuBLAS and cuDNN share). Creating it binds it to the
/// calling thread; other threads call <see cref="MakeCurrent"/> before using objects made in it. Disposing it
/// releases the context once every buffer, stream and module made in it is disposed too.
/// </summary>
public sealed unsafe class CudaContext : IDisposable
{
    private CudaContext(PrimaryContextHandle handle, GpuDeviceInfo device)
    {
        Handle = handle;
        Device = device;
    }

    /// <summary>The device this context runs on.</summary>
    public GpuDeviceInfo Device { get; }

    internal PrimaryContextHandle Handle { get; }

    /// <summary>Initialises the driver, retains the primary context of device <paramref name="ordinal"/> and makes it current.</summary>
    /// <exception cref="CudaLibraryNotFoundException">libcuda.so.1 was not found.</exception>
    /// <exception cref="CudaException">The driver refused (no device, bad ordinal, driver too old...).</exception>
    public static CudaContext Create(int ordinal = 0)
    {
        Check.Driver(CudaDriver.cuInit(0));
        var device = GpuDeviceInfo.Query(ordinal);
        nint context;
        int deviceHandle;
        Check.Driver(CudaDriver.cuDeviceGet(&deviceHandle, ordinal));
        Check.Driver(CudaDriver.cuDevicePrimaryCtxRetain(&context, deviceHandle));
        var handle = new PrimaryContextHandle(context, deviceHandle);
        handle.MakeCurrent();
        return new CudaContext(handle, device);
    }

    /// <summary>Binds this context to the calling thread (cheap when it already is).</summary>
    public void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(Handle.IsClosed, this);
        Handle.MakeCurrent();
    }

    /// <summary>Blocks until all work queued in this context has finished (explicit: nothing else here synchronises behind your back).</summary>
    /// <remarks>Binds this context to the calling thread first: the driver call acts on the current context, which on
    /// another thread may be none or another device's.</remarks>
    public void Synchronize()
    {
        MakeCurrent();
        Check.Driver(CudaDriver.cuCtxSynchronize());
    }

    /// <summary>Free and total device memory, in bytes.</summary>
    public (long FreeBytes, long TotalBytes) MemoryInfo()
    {
        MakeCurrent(); // the driver reports on the current context's device
        nuint free, total;
        Check.Driver(CudaDriver.cuMemGetInfo_v2(&free, &total));
        return ((long)free, (long)total);
    }

    /// <summary>Allocates <paramref name="length"/> elements of device memory (uninitialised).</summary>
    public DeviceBuffer<T> Allocate<T>(long length)
        where T : unmanaged => new(this, length);

    /// <summary>Allocates <paramref name="length"/> elements of page-locked host memory, for asynchronous copies.</summary>
    public PinnedHostBuffer<T> AllocatePinned<T>(long length)
        where T : unmanaged => new(this, length);

    /// <summary>Creates a stream; non-blocking streams do not synchronise with the legacy default stream.</summary>
    public CudaStream CreateStream(bool nonBlocking = true) => new(this, nonBlocking);

    /// <summary>Creates an event; timing events can measure elapsed time between two records.</summary>
    public CudaEvent CreateEvent(bool enableTiming = true, bool blockingSync = false) => new(this, enableTiming, blockingSync);

    /// <summary>Loads a module from a cubin, fatbin or PTX image.</summary>
    public CudaModule LoadModule(ReadOnlySpan<byte> image) => new(this, image);

    /// <summary>Loads the kernels embedded in this assembly at build time.</summary>
    /// <exception cref="InvalidOperationException">The build had no nvcc, so there are no kernels.</exception>
    public CudaModule LoadEmbeddedKernels()
    {
        var image = EmbeddedKernels.Image ?? throw new InvalidOperationException(EmbeddedKernels.NotCompiledReason);
        return LoadModule(image);
    }

    /// <inheritdoc />
    public void Dispose() => Handle.Dispose();
}

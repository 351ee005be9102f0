using LstmNative.Cuda;
using LstmNative.Cuda.Interop;
using LstmNative.Gpu.Inference;
using LstmNative.Gpu.Training;

namespace LstmNative.Gpu.Device;

/// <summary>
/// <see cref="IDeviceQueue"/> on a GPU, for inference and training alike: one CUDA stream (created and owned, or
/// given) with its own cuBLAS handle (a <see cref="DeviceBlas"/>; training gives it its math mode and a fixed
/// workspace so the work can be captured). Launches and GEMMs build an error message only when a call fails: nothing
/// is allocated per call. Capture is the device layer's one (<see cref="CudaDeviceGraph"/>).
/// </summary>
internal sealed unsafe class CudaDeviceQueue : IDeviceQueue
{
    private const int StepBlock = 128;
    private readonly CudaKernelTable _kernels;
    private readonly DeviceBlas _blas;
    private readonly bool _ownsStream;
    private readonly nint[]? _training;

    /// <summary>Creates the queue.</summary>
    /// <param name="context">The context (current on the calling thread).</param>
    /// <param name="kernels">The kernels it launches.</param>
    /// <param name="stream">The stream to queue on; null creates one (owned).</param>
    /// <param name="training">Whether it launches training kernels (their handles are looked up now).</param>
    /// <param name="mathMode">The cuBLAS math mode to set; null leaves the handle's default untouched.</param>
    /// <param name="workspaceBytes">A fixed cuBLAS workspace (needed for capture), 0 for none.</param>
    public CudaDeviceQueue(CudaContext context, CudaKernelTable kernels, CudaStream? stream = null, bool training = false,
        CublasMathMode? mathMode = null, long workspaceBytes = 0)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(kernels);
        _kernels = kernels;
        _ownsStream = stream is null;
        Stream = stream ?? context.CreateStream();
        try
        {
            // Order as before the merge: stream, training kernel handles, cuBLAS handle.
            if (training)
                _training = kernels.TrainingFunctions();
            _blas = new DeviceBlas(context, Stream, mathMode, workspaceBytes);
        }
        catch
        {
            if (_ownsStream)
                Stream.Dispose();
            throw;
        }
    }

    public CudaStream Stream { get; }

    public bool IsIdle => Stream.IsIdle;

    public void CopyToDevice(ulong destination, nint source, long bytes)
    {
        if (bytes > 0)
            Stream.CopyToDevice(destination, source, bytes);
    }

    public void CopyToHost(nint destination, ulong source, long bytes)
    {
        if (bytes > 0)
            Stream.CopyToHost(destination, source, bytes);
    }

    public void Zero(ulong destination, long bytes)
    {
        if (bytes > 0)
            Stream.Zero(destination, bytes);
    }

    public void Copy(ulong destination, ulong source, long bytes)
    {
        if (bytes <= 0)
            return;
        var result = CudaDriver.cuMemcpyDtoDAsync_v2(destination, source, (nuint)bytes, Stream.Handle);
        if (result != CUresult.Success)
            Check.Driver(result, $"{bytes} bytes 0x{source:x} -> 0x{destination:x}", "cuMemcpyDtoDAsync_v2");
    }

    public void Upload<T>(ulong destination, ReadOnlySpan<T> source) where T : unmanaged
    {
        if (!source.IsEmpty)
            DeviceMemory.CopyFromHost(destination, source, Stream);
    }

    public void Download<T>(ulong source, Span<T> destination) where T : unmanaged
    {
        if (!destination.IsEmpty)
            DeviceMemory.CopyToHost(source, destination, Stream);
    }

    public void Gemm(in GemmOp op) => _blas.Gemm(op);

    public void Launch(StepKernel kernel, in StepKernelArgs args)
    {
        var config = new LaunchConfig(new Dim3((uint)((args.Hidden + StepBlock - 1) / StepBlock), (uint)args.Batch), new Dim3(StepBlock));
        _kernels.StepKernelFor(kernel).Launch(config, Stream, args);
    }

    public void LaunchPersistent(PersistentPlan plan, in PersistentKernelArgs args, PersistentBarrier barrier)
    {
        var kernel = _kernels.PersistentKernel(plan);
        if (barrier == PersistentBarrier.Cooperative)
        {
            var copy = args;
            void* parameter = &copy;
            kernel.LaunchCooperativeRaw(new LaunchConfig(new Dim3((uint)plan.GridBlocks), new Dim3((uint)plan.ThreadsPerBlock), (uint)plan.SharedMemoryBytes), Stream, &parameter);
        }
        else
        {
            kernel.Launch(new LaunchConfig(new Dim3((uint)plan.GridBlocks), new Dim3((uint)plan.ThreadsPerBlock), (uint)plan.SharedMemoryBytes), Stream, args);
        }
    }

    public void Launch<TParams>(TrainingKernel kernel, in LaunchConfig config, in TParams parameters) where TParams : unmanaged
    {
        var functions = _training ?? throw new InvalidOperationException("this queue was created without the training kernels");
        void** args = stackalloc void*[1];
        fixed (TParams* p = &parameters)
        {
            args[0] = p;
            var result = CudaDriver.cuLaunchKernel(
                functions[(int)kernel], config.Grid.X, config.Grid.Y, config.Grid.Z, config.Block.X, config.Block.Y, config.Block.Z,
                config.SharedMemoryBytes, Stream.Handle, args, null);
            if (result != CUresult.Success)
                Check.Driver(result, $"kernel '{TrainingKernelNames.Of(kernel)}', {config}", "cuLaunchKernel");
        }
    }

    public void Record(IDeviceMarker marker) => ((CudaMarker)marker).Event.Record(Stream);

    public void Wait(IDeviceMarker marker) => Stream.Wait(((CudaMarker)marker).Event);

    public void BeginCapture() => CudaDeviceGraph.BeginCapture(Stream);

    public IDeviceGraph EndCapture() => CudaDeviceGraph.EndCapture(Stream);

    public void AbandonCapture() => CudaDeviceGraph.AbandonCapture(Stream);

    public void Synchronize() => Stream.Synchronize();

    public void Dispose()
    {
        _blas.Dispose();
        if (_ownsStream)
            Stream.Dispose();
    }
}

/// <summary>A marker on a GPU: a CUDA event without timing.</summary>
internal sealed class CudaMarker(CudaEvent cudaEvent) : IDeviceMarker
{
    public CudaEvent Event => cudaEvent;

    public void Dispose() => cudaEvent.Dispose();
}

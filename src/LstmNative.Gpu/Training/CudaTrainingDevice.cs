using LstmNative.Cuda;
using LstmNative.Cuda.Interop;
using LstmNative.Gpu.Device;

namespace LstmNative.Gpu.Training;

/// <summary>
/// <see cref="ITrainingDevice"/> on a GPU: one stream, one cuBLAS handle of its own (a <see cref="DeviceBlas"/> with a
/// fixed workspace, so the work can be captured into a CUDA graph), the training kernels looked up once. Launches call
/// the driver directly; both they and the GEMMs build an error message only when a call fails: nothing is allocated
/// per launch. Capture is the device layer's one (<see cref="CudaDeviceGraph"/>).
/// </summary>
internal sealed unsafe class CudaTrainingDevice : ITrainingDevice
{
    private const long CublasWorkspaceBytes = 32L * 1024 * 1024; // NVIDIA's recommendation for Hopper

    private readonly CudaContext _context;
    private readonly CudaStream _stream;
    private readonly bool _ownsStream;
    private readonly DeviceBlas _blas;
    private readonly nint[] _functions;
    private readonly List<DeviceBuffer<byte>> _allocations = [];

    /// <summary>Creates the device on <paramref name="context"/> with the kernels of <paramref name="kernels"/>.</summary>
    /// <param name="context">The context (current on the calling thread).</param>
    /// <param name="kernels">The embedded kernels module (<see cref="CudaContext.LoadEmbeddedKernels"/>).</param>
    /// <param name="mathMode">FP32 or TF32 tensor cores for the GEMMs.</param>
    /// <param name="stream">The stream to queue on; null creates one (owned).</param>
    public CudaTrainingDevice(CudaContext context, CudaModule kernels, GpuMathMode mathMode, CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(kernels);
        _context = context;
        _ownsStream = stream is null;
        _stream = stream ?? context.CreateStream();
        _functions = new nint[TrainingKernelNames.All.Count];
        for (int i = 0; i < _functions.Length; i++)
            _functions[i] = kernels.GetKernel(TrainingKernelNames.All[i]).Function;

        _blas = new DeviceBlas(context, _stream, mathMode == GpuMathMode.Tf32 ? CublasMathMode.Tf32TensorOp : CublasMathMode.Default, CublasWorkspaceBytes);
        MathMode = mathMode;
    }

    /// <summary>The stream everything is queued on.</summary>
    public CudaStream Stream => _stream;

    /// <summary>The GEMM math mode.</summary>
    public GpuMathMode MathMode { get; }

    /// <summary>Bytes allocated through <see cref="Allocate"/>.</summary>
    public long AllocatedBytes { get; private set; }

    /// <inheritdoc/>
    public ulong Allocate(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        var buffer = new DeviceBuffer<byte>(_context, bytes);
        _allocations.Add(buffer);
        AllocatedBytes += bytes;
        buffer.Clear(_stream);
        return buffer.Pointer;
    }

    /// <inheritdoc/>
    public void Zero(ulong address, long bytes)
    {
        if (bytes <= 0)
            return;
        var result = CudaDriver.cuMemsetD8Async(address, 0, (nuint)bytes, _stream.Handle);
        if (result != CUresult.Success)
            Check.Driver(result, $"{bytes} bytes at 0x{address:x}", "cuMemsetD8Async");
    }

    /// <inheritdoc/>
    public void Copy(ulong destination, ulong source, long bytes)
    {
        if (bytes <= 0)
            return;
        var result = CudaDriver.cuMemcpyDtoDAsync_v2(destination, source, (nuint)bytes, _stream.Handle);
        if (result != CUresult.Success)
            Check.Driver(result, $"{bytes} bytes 0x{source:x} -> 0x{destination:x}", "cuMemcpyDtoDAsync_v2");
    }

    /// <inheritdoc/>
    public void Upload<T>(ulong destination, ReadOnlySpan<T> source) where T : unmanaged
    {
        if (source.IsEmpty)
            return;
        DeviceMemory.CopyFromHost(destination, source, _stream);
    }

    /// <inheritdoc/>
    public void Download<T>(ulong source, Span<T> destination) where T : unmanaged
    {
        if (destination.IsEmpty)
            return;
        DeviceMemory.CopyToHost(source, destination, _stream);
    }

    /// <inheritdoc/>
    public void Gemm(in GemmOp op) => _blas.Gemm(op);

    /// <inheritdoc/>
    public void Launch<TParams>(TrainingKernel kernel, in LaunchConfig config, in TParams parameters) where TParams : unmanaged
    {
        void** args = stackalloc void*[1];
        fixed (TParams* p = &parameters)
        {
            args[0] = p;
            var result = CudaDriver.cuLaunchKernel(
                _functions[(int)kernel], config.Grid.X, config.Grid.Y, config.Grid.Z, config.Block.X, config.Block.Y, config.Block.Z,
                config.SharedMemoryBytes, _stream.Handle, args, null);
            if (result != CUresult.Success)
                Check.Driver(result, $"kernel '{TrainingKernelNames.Of(kernel)}', {config}", "cuLaunchKernel");
        }
    }

    /// <inheritdoc/>
    public void Synchronize() => _stream.Synchronize();

    /// <inheritdoc/>
    public IDeviceGraph? Capture(Action queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        CudaDeviceGraph.BeginCapture(_stream);
        try
        {
            queue();
        }
        catch
        {
            // End the capture so the stream is usable again; the partial graph is discarded and the first error kept.
            CudaDeviceGraph.AbandonCapture(_stream);
            throw;
        }
        return CudaDeviceGraph.EndCapture(_stream);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var buffer in _allocations)
            buffer.Dispose();
        _allocations.Clear();
        _blas.Dispose();
        if (_ownsStream)
            _stream.Dispose();
    }
}

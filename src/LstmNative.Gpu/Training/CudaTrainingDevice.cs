using LstmNative.Cuda;
using LstmNative.Cuda.Handles;
using LstmNative.Cuda.Interop;

namespace LstmNative.Gpu.Training;

/// <summary>
/// <see cref="ITrainingDevice"/> on a GPU: one stream, one cuBLAS handle of its own (with a fixed workspace, so the
/// work can be captured into a CUDA graph), the training kernels looked up once. Launches and GEMMs call the driver
/// and cuBLAS directly and build an error message only when a call fails: nothing is allocated per launch.
/// </summary>
internal sealed unsafe class CudaTrainingDevice : ITrainingDevice
{
    private const long CublasWorkspaceBytes = 32L * 1024 * 1024; // NVIDIA's recommendation for Hopper

    private readonly CudaContext _context;
    private readonly CudaStream _stream;
    private readonly bool _ownsStream;
    private readonly CublasNativeHandle _blas;
    private readonly nint[] _functions;
    private readonly List<DeviceBuffer<byte>> _allocations = [];
    private readonly DeviceBuffer<byte> _blasWorkspace;

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

        _blas = new CublasNativeHandle(context.Handle);
        nint raw;
        Check.Blas(Cublas.cublasCreate_v2(&raw));
        _blas.Adopt(raw);
        Check.Blas(Cublas.cublasSetStream_v2(Blas, _stream.Handle));
        Check.Blas(Cublas.cublasSetMathMode(Blas, (int)(mathMode == GpuMathMode.Tf32 ? CublasMathMode.Tf32TensorOp : CublasMathMode.Default)));
        _blasWorkspace = new DeviceBuffer<byte>(context, CublasWorkspaceBytes);
        Check.Blas(Cublas.cublasSetWorkspace_v2(Blas, _blasWorkspace.Pointer, (nuint)CublasWorkspaceBytes));
        MathMode = mathMode;
    }

    /// <summary>The stream everything is queued on.</summary>
    public CudaStream Stream => _stream;

    /// <summary>The GEMM math mode.</summary>
    public GpuMathMode MathMode { get; }

    /// <summary>Bytes allocated through <see cref="Allocate"/>.</summary>
    public long AllocatedBytes { get; private set; }

    private nint Blas
    {
        get
        {
            ObjectDisposedException.ThrowIf(_blas.IsClosed, this);
            return _blas.DangerousGetHandle();
        }
    }

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
    public void Gemm(in GemmOp op)
    {
        if (op.M == 0 || op.N == 0)
            return;
        // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands, keep the flags.
        float alpha = op.Alpha, beta = op.Beta;
        int status = Cublas.cublasSgemm_v2(
            Blas, op.TransB ? 1 : 0, op.TransA ? 1 : 0, op.N, op.M, op.K,
            &alpha, op.B, op.Ldb, op.A, op.Lda, &beta, op.C, op.Ldc);
        if (status != 0)
            Check.Blas(status, $"row-major {op}", "cublasSgemm_v2");
    }

    /// <inheritdoc/>
    public void GemmStridedBatched(in GemmOp op, long strideA, long strideB, long strideC, int count)
    {
        if (op.M == 0 || op.N == 0 || count == 0)
            return;
        float alpha = op.Alpha, beta = op.Beta;
        int status = Cublas.cublasSgemmStridedBatched(
            Blas, op.TransB ? 1 : 0, op.TransA ? 1 : 0, op.N, op.M, op.K,
            &alpha, op.B, op.Ldb, strideB, op.A, op.Lda, strideA, &beta, op.C, op.Ldc, strideC, count);
        if (status != 0)
            Check.Blas(status, $"row-major {op} x{count}", "cublasSgemmStridedBatched");
    }

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
    public IReplayableWork? Capture(Action queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        _stream.BeginCapture(StreamCaptureMode.ThreadLocal);
        try
        {
            queue();
        }
        catch
        {
            // End the capture so the stream is usable again; the partial graph is discarded and the first error kept.
            try
            {
                _stream.EndCapture().Dispose();
            }
            catch (CudaException)
            {
            }
            throw;
        }
        using var graph = _stream.EndCapture();
        return new GraphWork(graph.Instantiate(), _stream);
    }

    private sealed class GraphWork(CudaGraphExec exec, CudaStream stream) : IReplayableWork
    {
        public void Replay() => exec.Launch(stream);

        public void Dispose() => exec.Dispose();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var buffer in _allocations)
            buffer.Dispose();
        _allocations.Clear();
        _blas.Dispose();
        _blasWorkspace.Dispose();
        if (_ownsStream)
            _stream.Dispose();
    }
}

using LstmNative.Cuda;
using LstmNative.Cuda.Handles;
using LstmNative.Cuda.Interop;
using LstmNative.Gpu.Inference;

namespace LstmNative.Gpu.Device;

/// <summary>
/// A cuBLAS handle bound to one stream, and the one routine that turns a <see cref="GemmOp"/> into a cuBLAS call.
/// Both CUDA implementations (inference queues, the training device) queue their GEMMs through it. cuBLAS is
/// column-major: the row-major <c>C = op(A)·op(B)</c> is queued as <c>C^T = op(B)^T·op(A)^T</c> (operands swapped,
/// flags kept). FP32 GEMMs go to <c>cublasSgemm</c> (so the handle's math mode, e.g. TF32 tensor ops for training,
/// applies); TF32/BF16 GEMMs go to <c>cublasGemmEx</c> with the fast compute type. Nothing is allocated per call.
/// </summary>
internal sealed unsafe class DeviceBlas : IDisposable
{
    private const int DefaultAlgorithm = -1; // CUBLAS_GEMM_DEFAULT: tensor cores are governed by the compute type

    private readonly CublasNativeHandle _handle;
    private readonly DeviceBuffer<byte>? _workspace;

    /// <summary>Creates a handle in <paramref name="context"/> (current on the calling thread) queuing on <paramref name="stream"/>.</summary>
    /// <param name="context">The context.</param>
    /// <param name="stream">The stream every GEMM is queued on.</param>
    /// <param name="mathMode">The handle's math mode; null leaves cuBLAS's default.</param>
    /// <param name="workspaceBytes">A fixed workspace (so the work can be captured into a graph); 0 leaves cuBLAS's own.</param>
    public DeviceBlas(CudaContext context, CudaStream stream, CublasMathMode? mathMode = null, long workspaceBytes = 0)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(stream);
        _handle = new CublasNativeHandle(context.Handle);
        try
        {
            nint raw;
            Check.Blas(Cublas.cublasCreate_v2(&raw));
            _handle.Adopt(raw);
            Check.Blas(Cublas.cublasSetStream_v2(Raw, stream.Handle));
            if (mathMode is { } mode)
                Check.Blas(Cublas.cublasSetMathMode(Raw, (int)mode));
            if (workspaceBytes > 0)
            {
                _workspace = new DeviceBuffer<byte>(context, workspaceBytes);
                Check.Blas(Cublas.cublasSetWorkspace_v2(Raw, _workspace.Pointer, (nuint)workspaceBytes));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private nint Raw
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    /// <summary>Queues <paramref name="op"/> (all of its batch); an empty one queues nothing.</summary>
    public void Gemm(in GemmOp op)
    {
        if (op.M == 0 || op.N == 0 || op.BatchCount == 0)
            return;
        float alpha = op.Alpha, beta = op.Beta;
        int transB = op.TransB ? 1 : 0, transA = op.TransA ? 1 : 0;
        int status;
        if (op.IsStridedBatch || op.BatchCount > 1)
        {
            // Only FP32 batches are asked for (the training recurrent GEMM of both directions).
            if (op.Precision != GemmPrecision.Fp32)
                throw new NotSupportedException($"a strided batch of {op.Precision} GEMMs: {op}");
            status = Cublas.cublasSgemmStridedBatched(
                Raw, transB, transA, op.N, op.M, op.K,
                &alpha, op.B, op.Ldb, op.StrideB, op.A, op.Lda, op.StrideA, &beta, op.C, op.Ldc, op.StrideC, op.BatchCount);
            if (status != 0)
                Check.Blas(status, $"row-major {op}", "cublasSgemmStridedBatched");
        }
        else if (op.Precision == GemmPrecision.Fp32)
        {
            status = Cublas.cublasSgemm_v2(Raw, transB, transA, op.N, op.M, op.K, &alpha, op.B, op.Ldb, op.A, op.Lda, &beta, op.C, op.Ldc);
            if (status != 0)
                Check.Blas(status, $"row-major {op}", "cublasSgemm_v2");
        }
        else
        {
            const int fp32 = (int)CudaDataType.Fp32;
            int compute = GpuInferenceOptions.ComputeType(op.Precision);
            status = Cublas.cublasGemmEx(
                Raw, transB, transA, op.N, op.M, op.K,
                &alpha, op.B, fp32, op.Ldb, op.A, fp32, op.Lda, &beta, op.C, fp32, op.Ldc, compute, DefaultAlgorithm);
            if (status != 0)
                Check.Blas(status, $"row-major {op}", "cublasGemmEx");
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _handle.Dispose();
        _workspace?.Dispose();
    }
}

using LstmNative.Cuda.Handles;
using LstmNative.Cuda.Interop;

namespace LstmNative.Cuda;

/// <summary>
/// A cuBLAS handle bound to one context and (optionally) one stream. cuBLAS is column-major: for row-major
/// <c>C[M,N] = A[M,K]·B[K,N]</c> call <c>Sgemm(None, None, N, M, K, 1, B, N, A, K, 0, C, N)</c> (the operands swap).
/// </summary>
public sealed unsafe class CublasHandle : IDisposable
{
    private readonly CublasNativeHandle _handle;

    /// <summary>Creates a handle in <paramref name="context"/> (which must be current).</summary>
    /// <exception cref="CudaLibraryNotFoundException">cuBLAS was not found.</exception>
    public CublasHandle(CudaContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _handle = new CublasNativeHandle(context.Handle);
        nint raw;
        Check.Blas(Cublas.cublasCreate_v2(&raw));
        _handle.Adopt(raw);
    }

    private nint Raw
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    /// <summary>cuBLAS's version as an integer (e.g. 130000 for 13.0.0).</summary>
    public int Version
    {
        get
        {
            int version;
            Check.Blas(Cublas.cublasGetVersion_v2(Raw, &version));
            return version;
        }
    }

    /// <summary>The library's major.minor.patch without a handle (also tells which soname was loaded).</summary>
    public static string LibraryVersion()
    {
        int major, minor, patch;
        Check.Blas(Cublas.cublasGetProperty(0, &major));
        Check.Blas(Cublas.cublasGetProperty(1, &minor));
        Check.Blas(Cublas.cublasGetProperty(2, &patch));
        return $"{major}.{minor}.{patch}";
    }

    /// <summary>Queues this handle's work on <paramref name="stream"/> (null: the legacy default stream).</summary>
    public void SetStream(CudaStream? stream) => Check.Blas(Cublas.cublasSetStream_v2(Raw, CudaStream.RawHandle(stream)));

    /// <summary>Sets the math mode used by <see cref="Sgemm"/> and <see cref="SgemmStridedBatched"/>.</summary>
    public void SetMathMode(CublasMathMode mode) => Check.Blas(Cublas.cublasSetMathMode(Raw, (int)mode));

    /// <summary>Column-major FP32 GEMM: <c>C = alpha·op(A)·op(B) + beta·C</c>, C is m×n, op(A) m×k, op(B) k×n.</summary>
    public void Sgemm(
        CublasOperation transA, CublasOperation transB, int m, int n, int k,
        float alpha, DeviceBuffer<float> a, int lda, DeviceBuffer<float> b, int ldb,
        float beta, DeviceBuffer<float> c, int ldc)
    {
        // Stored shapes (rows x columns, column-major): A is m x k or k x m, B is k x n or n x k, C is m x n.
        RequireElements(a, transA == CublasOperation.None ? m : k, transA == CublasOperation.None ? k : m, lda, nameof(a));
        RequireElements(b, transB == CublasOperation.None ? k : n, transB == CublasOperation.None ? n : k, ldb, nameof(b));
        RequireElements(c, m, n, ldc, nameof(c));
        Check.Blas(
            Cublas.cublasSgemm_v2(Raw, (int)transA, (int)transB, m, n, k, &alpha, a.Pointer, lda, b.Pointer, ldb, &beta, c.Pointer, ldc),
            $"m={m} n={n} k={k}");
    }

    /// <summary>
    /// <paramref name="batchCount"/> independent column-major FP32 GEMMs whose operands sit at fixed strides
    /// (in elements) in one buffer each.
    /// </summary>
    public void SgemmStridedBatched(
        CublasOperation transA, CublasOperation transB, int m, int n, int k,
        float alpha, DeviceBuffer<float> a, int lda, long strideA, DeviceBuffer<float> b, int ldb, long strideB,
        float beta, DeviceBuffer<float> c, int ldc, long strideC, int batchCount)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchCount);
        RequireLength(c, strideC * (batchCount - 1) + (long)ldc * (n - 1) + m, nameof(c));
        Check.Blas(
            Cublas.cublasSgemmStridedBatched(
                Raw, (int)transA, (int)transB, m, n, k, &alpha, a.Pointer, lda, strideA, b.Pointer, ldb, strideB,
                &beta, c.Pointer, ldc, strideC, batchCount),
            $"m={m} n={n} k={k} batch={batchCount}");
    }

    /// <summary>
    /// Mixed-precision column-major GEMM on raw device pointers (operands may be FP32, FP16 or BF16).
    /// <paramref name="alpha"/> and <paramref name="beta"/> are converted to the compute type's scalar
    /// (half for <see cref="CublasComputeType.Fp16"/>, float otherwise). Use TF32/BF16/FP16 compute for tensor cores.
    /// </summary>
    public void GemmEx(
        CublasOperation transA, CublasOperation transB, int m, int n, int k,
        float alpha, ulong a, CudaDataType aType, int lda, ulong b, CudaDataType bType, int ldb,
        float beta, ulong c, CudaDataType cType, int ldc, CublasComputeType computeType)
    {
        const int defaultAlgorithm = -1; // CUBLAS_GEMM_DEFAULT: tensor cores are governed by the compute type
        var detail = $"m={m} n={n} k={k} {aType}/{bType}->{cType} compute {computeType}";
        if (computeType == CublasComputeType.Fp16)
        {
            Half alphaH = (Half)alpha, betaH = (Half)beta;
            Check.Blas(Cublas.cublasGemmEx(Raw, (int)transA, (int)transB, m, n, k, &alphaH, a, (int)aType, lda, b, (int)bType, ldb, &betaH, c, (int)cType, ldc, (int)computeType, defaultAlgorithm), detail);
        }
        else
        {
            Check.Blas(Cublas.cublasGemmEx(Raw, (int)transA, (int)transB, m, n, k, &alpha, a, (int)aType, lda, b, (int)bType, ldb, &beta, c, (int)cType, ldc, (int)computeType, defaultAlgorithm), detail);
        }
    }

    private static void RequireElements(DeviceBuffer<float> buffer, int rows, int columns, int leadingDimension, string name)
    {
        ArgumentNullException.ThrowIfNull(buffer, name);
        if (leadingDimension < Math.Max(1, rows))
            throw new ArgumentException($"leading dimension {leadingDimension} of {name} is below its {rows} rows.", name);
        RequireLength(buffer, (long)leadingDimension * (columns - 1) + rows, name);
    }

    private static void RequireLength(DeviceBuffer<float> buffer, long needed, string name)
    {
        if (buffer.Length < needed)
            throw new ArgumentException($"{name} holds {buffer.Length} elements; the GEMM reads {needed}.", name);
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}

using System.Runtime.InteropServices;

namespace LstmNative.Cuda.Interop;

/// <summary>
/// cuBLAS v2 (libcublas.so.11/.12/.13), exact exported symbols. Column-major, host pointer mode:
/// alpha and beta are host addresses. Status codes are <c>cublasStatus_t</c> as <see cref="int"/>.
/// </summary>
internal static unsafe partial class Cublas
{
    [LibraryImport(LibraryNames.Cublas)] internal static partial int cublasCreate_v2(nint* handle);
    [LibraryImport(LibraryNames.Cublas)] internal static partial int cublasDestroy_v2(nint handle);
    [LibraryImport(LibraryNames.Cublas)] internal static partial int cublasGetVersion_v2(nint handle, int* version);
    [LibraryImport(LibraryNames.Cublas)] internal static partial int cublasGetProperty(int type, int* value);
    [LibraryImport(LibraryNames.Cublas)] internal static partial int cublasSetStream_v2(nint handle, nint stream);
    [LibraryImport(LibraryNames.Cublas)] internal static partial int cublasSetMathMode(nint handle, int mode);
    [LibraryImport(LibraryNames.Cublas)] internal static partial int cublasSetWorkspace_v2(nint handle, ulong workspace, nuint bytes);

    [LibraryImport(LibraryNames.Cublas)]
    internal static partial int cublasSgemm_v2(
        nint handle, int transa, int transb, int m, int n, int k,
        float* alpha, ulong a, int lda, ulong b, int ldb,
        float* beta, ulong c, int ldc);

    [LibraryImport(LibraryNames.Cublas)]
    internal static partial int cublasSgemmStridedBatched(
        nint handle, int transa, int transb, int m, int n, int k,
        float* alpha, ulong a, int lda, long strideA, ulong b, int ldb, long strideB,
        float* beta, ulong c, int ldc, long strideC, int batchCount);

    [LibraryImport(LibraryNames.Cublas)]
    internal static partial int cublasGemmEx(
        nint handle, int transa, int transb, int m, int n, int k,
        void* alpha, ulong a, int aType, int lda, ulong b, int bType, int ldb,
        void* beta, ulong c, int cType, int ldc, int computeType, int algo);
}

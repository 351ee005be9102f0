using LstmNative.Gpu.Inference;

namespace LstmNative.Gpu.Device;

/// <summary>
/// The one GEMM descriptor of the GPU device layer, row-major: <c>C[M, N] = Alpha · op(A) · op(B) + Beta · C</c>.
/// <c>A</c> is stored <c>[M, K]</c> (or <c>[K, M]</c> when <see cref="TransA"/>) with <see cref="Lda"/> elements
/// between rows; likewise <c>B</c> (<c>[K, N]</c> or <c>[N, K]</c>) and <c>C</c>. Operands are device addresses of
/// float matrices. <see cref="Precision"/> says how the products may be rounded (FP32 unless set);
/// a strided batch (<see cref="Batched"/>) runs <see cref="BatchCount"/> GEMMs, operand <c>i</c> at <c>i · Stride</c> elements.
/// Column-major callers (the inference engine thinks in cuBLAS's order) build it with <see cref="ColumnMajor"/>.
/// </summary>
internal readonly record struct GemmOp(
    bool TransA, bool TransB, int M, int N, int K,
    float Alpha, ulong A, int Lda, ulong B, int Ldb, float Beta, ulong C, int Ldc)
{
    /// <summary>Arithmetic of the products (TF32/BF16 tensor cores round the inputs).</summary>
    public GemmPrecision Precision { get; init; } = GemmPrecision.Fp32;

    /// <summary>How many GEMMs (1 unless <see cref="Batched"/> says otherwise; 0: nothing).</summary>
    public int BatchCount { get; init; } = 1;

    /// <summary>
    /// Whether this is a strided batch (made by <see cref="Batched"/>), even of one: it is queued as a batched GEMM
    /// (<c>cublasSgemmStridedBatched</c>), as the training stack's recurrent GEMM always has been.
    /// </summary>
    public bool IsStridedBatch { get; init; }

    /// <summary>Elements between consecutive A operands of a batch.</summary>
    public long StrideA { get; init; }

    /// <summary>Elements between consecutive B operands of a batch.</summary>
    public long StrideB { get; init; }

    /// <summary>Elements between consecutive C operands of a batch.</summary>
    public long StrideC { get; init; }

    /// <summary>This GEMM repeated <paramref name="count"/> times on operands the given strides (elements) apart.</summary>
    public GemmOp Batched(long strideA, long strideB, long strideC, int count) =>
        this with { StrideA = strideA, StrideB = strideB, StrideC = strideC, BatchCount = count, IsStridedBatch = true };

    /// <summary>
    /// A column-major GEMM as cuBLAS takes it, alpha = 1, beta = 0: <c>C[m, n] = op(A)·op(B)</c>, op(A) m×k, op(B) k×n.
    /// Column-major <c>C</c> is row-major <c>C^T = op(B)^T·op(A)^T</c>: the operands swap, the flags stay with them.
    /// </summary>
    public static GemmOp ColumnMajor(
        bool transA, bool transB, int m, int n, int k, ulong a, int lda, ulong b, int ldb, ulong c, int ldc, GemmPrecision precision) =>
        new(transB, transA, n, m, k, 1f, b, ldb, a, lda, 0f, c, ldc) { Precision = precision };
}

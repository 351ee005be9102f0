using LstmNative.Gpu.Device;
using LstmNative.Gpu.Inference;

namespace LstmNative.Gpu.Tests.Emulation;

/// <summary>
/// The one CPU port of the device GEMM (<see cref="DeviceBlas.Gemm"/>) that both emulators run: row-major
/// <c>C = Alpha·op(A)·op(B) + Beta·C</c> over the whole batch, sums in double, TF32/BF16 inputs rounded as the tensor
/// cores would. The caller hands over the operands' extents (<see cref="ExtentA"/>, ...) from its own bounds-checked
/// memory, so an operand that overruns its allocation is caught there.
/// </summary>
internal static class EmulatedGemm
{
    /// <summary>Elements from A's address that the GEMM (all of its batch) reads.</summary>
    public static long ExtentA(in GemmOp op) => Extent(op.TransA ? op.K : op.M, op.TransA ? op.M : op.K, op.Lda, op.StrideA, op.BatchCount);

    /// <summary>Elements from B's address that the GEMM reads.</summary>
    public static long ExtentB(in GemmOp op) => Extent(op.TransB ? op.N : op.K, op.TransB ? op.K : op.N, op.Ldb, op.StrideB, op.BatchCount);

    /// <summary>Elements from C's address that the GEMM writes.</summary>
    public static long ExtentC(in GemmOp op) => Extent(op.M, op.N, op.Ldc, op.StrideC, op.BatchCount);

    // A row-major [rows, cols] matrix with ld elements between rows, count of them stride apart.
    private static long Extent(int rows, int cols, int ld, long stride, int count) =>
        rows <= 0 || cols <= 0 || count <= 0 ? 0 : (count - 1) * stride + (long)(rows - 1) * ld + cols;

    /// <summary>Throws when a leading dimension is below its row's length (cuBLAS rejects those).</summary>
    public static void Validate(in GemmOp op)
    {
        if (op.Lda < Math.Max(1, op.TransA ? op.M : op.K) || op.Ldb < Math.Max(1, op.TransB ? op.K : op.N) || op.Ldc < Math.Max(1, op.N))
            throw new InvalidOperationException($"GEMM leading dimension below the rows: {op}");
    }

    /// <summary>
    /// Runs <paramref name="op"/> on operands that start at its A, B and C addresses (spans at least
    /// <see cref="ExtentA"/>, ... long). C is written row by row, so an operand that overlaps C reads what is there.
    /// </summary>
    public static void Run(in GemmOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c)
    {
        if (op.M == 0 || op.N == 0 || op.BatchCount == 0)
            return;
        Validate(op);
        for (int batch = 0; batch < op.BatchCount; batch++)
        {
            long a0 = batch * op.StrideA, b0 = batch * op.StrideB, c0 = batch * op.StrideC;
            for (int i = 0; i < op.M; i++)
            {
                for (int j = 0; j < op.N; j++)
                {
                    double sum = 0;
                    for (int k = 0; k < op.K; k++)
                    {
                        float av = a[(int)(op.TransA ? a0 + (long)k * op.Lda + i : a0 + (long)i * op.Lda + k)];
                        float bv = b[(int)(op.TransB ? b0 + (long)j * op.Ldb + k : b0 + (long)k * op.Ldb + j)];
                        sum += (double)Round(av, op.Precision) * Round(bv, op.Precision);
                    }
                    ref float ci = ref c[(int)(c0 + (long)i * op.Ldc + j)];
                    ci = (float)(op.Alpha * sum + (op.Beta == 0 ? 0 : op.Beta * ci));
                }
            }
        }
    }

    /// <summary>Rounds to TF32 (10 mantissa bits) or BF16 (7), nearest.</summary>
    public static float Round(float v, GemmPrecision precision)
    {
        if (precision == GemmPrecision.Fp32 || !float.IsFinite(v))
            return v;
        int bits = BitConverter.SingleToInt32Bits(v);
        int drop = precision == GemmPrecision.Tf32 ? 13 : 16;
        bits += 1 << (drop - 1);
        bits &= ~((1 << drop) - 1);
        return BitConverter.Int32BitsToSingle(bits);
    }
}

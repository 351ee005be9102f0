namespace LstmNative.Training.Autograd;

// Matrix products.
public sealed partial class Var<T>
{
    /// <summary>
    /// Matrix product: <c>[M, K] × [K, N]</c>, batched <c>[B, M, K] × [B, K, N]</c>, or <c>[B, M, K] × [K, N]</c> (the
    /// right matrix shared by the batch, as a linear layer's weight).
    /// </summary>
    public Var<T> MatMul(Var<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        bool batched = Rank == 3, shared = batched && other.Rank == 2;
        if (!((Rank == 2 && other.Rank == 2) || (batched && (other.Rank == 3 || shared))))
            throw new ArgumentException($"MatMul: {Describe()} × {other.Describe()}: expected [M, K]×[K, N], [B, M, K]×[B, K, N] or [B, M, K]×[K, N]");
        int batch = batched ? Dim(0) : 1, m = Dim(-2), k = Dim(-1);
        int k2 = other.Dim(-2), n = other.Dim(-1);
        if (k != k2 || (batched && !shared && other.Dim(0) != batch))
            throw new ArgumentException($"MatMul: {Describe()} × {other.Describe()}: inner or batch dimensions differ");
        T[] a = Value.Data, b = other.Value.Data;
        int bStride = shared ? 0 : k * n;
        var c = new T[batch * m * n];
        for (int p = 0; p < batch; p++)
            Gemm(a, p * m * k, false, b, p * bStride, false, c, p * m * n, m, n, k);
        int[] shape = batched ? [batch, m, n] : [m, n];
        return Result(new Tensor<T>(c, shape), [this, other], g =>
        {
            if (RequiresGrad)
            {
                // dA = dC · Bᵀ
                var ga = new T[a.Length];
                for (int p = 0; p < batch; p++)
                    Gemm(g.Data, p * m * n, false, b, p * bStride, true, ga, p * m * k, m, k, n);
                Accumulate(ga);
            }
            if (other.RequiresGrad)
            {
                // dB = Aᵀ · dC (summed over the batch when B is shared)
                var gb = new T[b.Length];
                for (int p = 0; p < batch; p++)
                    Gemm(a, p * m * k, true, g.Data, p * m * n, false, gb, p * bStride, k, n, m);
                other.Accumulate(gb);
            }
        });
    }

    /// <summary>C[r, c] += Σ_i op(A)[r, i] · op(B)[i, c], row-major, op = transpose when asked.</summary>
    private static void Gemm(T[] a, int aOff, bool transA, T[] b, int bOff, bool transB, T[] c, int cOff, int rows, int cols, int inner)
    {
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < inner; i++)
            {
                T av = transA ? a[aOff + i * rows + r] : a[aOff + r * inner + i];
                if (av == T.Zero)
                    continue;
                int cRow = cOff + r * cols;
                if (!transB)
                {
                    int bRow = bOff + i * cols;
                    for (int col = 0; col < cols; col++)
                        c[cRow + col] += av * b[bRow + col];
                }
                else
                {
                    for (int col = 0; col < cols; col++)
                        c[cRow + col] += av * b[bOff + col * inner + i];
                }
            }
    }
}

using System.Numerics;

namespace LstmNative.Training.Init;

/// <summary>
/// Weight initializers over row-major spans, each drawing from a caller-supplied seeded <see cref="Random"/>.
/// Formulas follow <c>torch.nn.init</c>.
/// </summary>
public static class Initializers
{
    /// <summary>Uniform values in [-bound, bound).</summary>
    public static void Uniform<T>(Span<T> weights, double bound, Random random) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(random);
        for (int i = 0; i < weights.Length; i++)
            weights[i] = T.CreateChecked(random.NextUniform(bound));
    }

    /// <summary>Normal values with mean 0 and standard deviation <paramref name="std"/>.</summary>
    public static void Normal<T>(Span<T> weights, double std, Random random) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(random);
        for (int i = 0; i < weights.Length; i++)
            weights[i] = T.CreateChecked(std * random.NextGaussian());
    }

    /// <summary>Glorot/Xavier uniform: bound = gain * sqrt(6 / (fanIn + fanOut)).</summary>
    public static void XavierUniform<T>(Span<T> weights, int fanIn, int fanOut, Random random, double gain = 1.0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckFans(fanIn, fanOut);
        Uniform(weights, gain * Math.Sqrt(6.0 / (fanIn + fanOut)), random);
    }

    /// <summary>Glorot/Xavier normal: std = gain * sqrt(2 / (fanIn + fanOut)).</summary>
    public static void XavierNormal<T>(Span<T> weights, int fanIn, int fanOut, Random random, double gain = 1.0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckFans(fanIn, fanOut);
        Normal(weights, gain * Math.Sqrt(2.0 / (fanIn + fanOut)), random);
    }

    /// <summary>
    /// A (semi-)orthogonal <c>[rows, cols]</c> matrix times <paramref name="gain"/>: orthonormal columns when
    /// rows &gt;= cols, orthonormal rows otherwise. Like <c>torch.nn.init.orthogonal_</c>, it orthogonalizes a seeded
    /// Gaussian matrix (here by Gram-Schmidt, which yields the QR factor whose R has a positive diagonal).
    /// </summary>
    public static void Orthogonal<T>(Span<T> weights, int rows, int cols, Random random, double gain = 1.0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(random);
        if (rows < 1 || cols < 1)
            throw new ArgumentException($"orthogonal needs a positive shape, got [{rows}, {cols}]");
        if (weights.Length != rows * cols)
            throw new ArgumentException($"span of {weights.Length} elements does not hold [{rows}, {cols}]");

        var gaussian = new double[rows * cols];
        for (int i = 0; i < gaussian.Length; i++)
            gaussian[i] = random.NextGaussian();

        // Work on the tall orientation (m >= n): columns of G, or rows of G when G is wide.
        bool tall = rows >= cols;
        int m = tall ? rows : cols, n = tall ? cols : rows;
        var q = new double[n][];
        for (int j = 0; j < n; j++)
        {
            var v = new double[m];
            for (int i = 0; i < m; i++)
                v[i] = tall ? gaussian[i * cols + j] : gaussian[j * cols + i];
            // Modified Gram-Schmidt, twice: one pass loses orthogonality on ill-conditioned draws.
            for (int pass = 0; pass < 2; pass++)
            {
                for (int k = 0; k < j; k++)
                {
                    double dot = 0;
                    for (int i = 0; i < m; i++)
                        dot += q[k][i] * v[i];
                    for (int i = 0; i < m; i++)
                        v[i] -= dot * q[k][i];
                }
            }
            double norm = 0;
            for (int i = 0; i < m; i++)
                norm += v[i] * v[i];
            norm = Math.Sqrt(norm);
            if (!(norm > 1e-12))
                throw new InvalidOperationException("orthogonal initialization drew a singular matrix");
            for (int i = 0; i < m; i++)
                v[i] /= norm;
            q[j] = v;
        }

        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                weights[r * cols + c] = T.CreateChecked(gain * (tall ? q[c][r] : q[r][c]));
    }

    private static void CheckFans(int fanIn, int fanOut)
    {
        if (fanIn < 1 || fanOut < 1)
            throw new ArgumentException($"fan-in and fan-out must be positive, got {fanIn} and {fanOut}");
    }
}

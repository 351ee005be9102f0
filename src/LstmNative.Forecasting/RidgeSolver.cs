namespace LstmNative.Forecasting;

/// <summary>
/// Dense symmetric positive-definite solves for the closed-form linear fits (the linear AR baselines and the
/// forecaster's fitted highway): a Cholesky factor, then forward and back substitution per right-hand side.
/// </summary>
internal static class RidgeSolver
{
    /// <summary>Lower-triangular <c>L</c> with <c>A = L Lᵀ</c> for a row-major <paramref name="n"/>×<paramref name="n"/>
    /// <paramref name="a"/>. Throws when <c>A</c> is not positive definite.</summary>
    public static double[] Cholesky(double[] a, int n)
    {
        var l = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
            {
                double sum = a[i * n + j];
                for (int k = 0; k < j; k++)
                    sum -= l[i * n + k] * l[j * n + k];
                if (i == j)
                {
                    if (!(sum > 0))
                        throw new InvalidOperationException("the normal equations are singular (is the series constant?)");
                    l[i * n + i] = Math.Sqrt(sum);
                }
                else
                {
                    l[i * n + j] = sum / l[j * n + j];
                }
            }
        return l;
    }

    /// <summary>Solves <c>L Lᵀ x = b</c> with the factor from <see cref="Cholesky"/>.</summary>
    public static void Solve(double[] l, int n, ReadOnlySpan<double> b, Span<double> x)
    {
        Span<double> z = n <= 1024 ? stackalloc double[n] : new double[n];
        for (int i = 0; i < n; i++)
        {
            double sum = b[i];
            for (int k = 0; k < i; k++)
                sum -= l[i * n + k] * z[k];
            z[i] = sum / l[i * n + i];
        }
        for (int i = n - 1; i >= 0; i--)
        {
            double sum = z[i];
            for (int k = i + 1; k < n; k++)
                sum -= l[k * n + i] * x[k];
            x[i] = sum / l[i * n + i];
        }
    }
}

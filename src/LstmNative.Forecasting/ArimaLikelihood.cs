namespace LstmNative.Forecasting;

/// <summary>
/// Exact Gaussian log-likelihood of a zero-mean ARMA series by the Kalman filter on Harvey's state-space form
/// (state size r = max(AR lags, MA lags + 1)), started from the stationary covariance and with σ² concentrated out,
/// as statsmodels' SARIMAX does with <c>concentrate_scale=True</c>. Once the filter's covariance stops changing
/// (it converges geometrically for an invertible MA part) the gain is frozen, so long series cost O(n·r).
/// </summary>
public static class ArimaLikelihood
{
    /// <summary>Returns the log-likelihood maximised over σ² and that σ², for <c>w[t] = Σ ar·w[t−k] + e[t] + Σ ma·e[t−k]</c>.</summary>
    public static (double LogLikelihood, double Sigma2) Concentrated(ReadOnlySpan<double> ar, ReadOnlySpan<double> ma, ReadOnlySpan<double> w)
    {
        int r = Math.Max(ar.Length, ma.Length + 1);
        var t0 = new double[r]; // first column of the transition matrix
        ar.CopyTo(t0);
        var rv = new double[r]; // R = [1, ma₁, …]
        rv[0] = 1;
        ma.CopyTo(rv.AsSpan(1));
        var p = StationaryCovariance(t0, rv, r);
        if (p is null)
            return (double.NegativeInfinity, double.NaN);
        var a = new double[r];
        var pu = new double[r * r];
        var tp = new double[r * r];
        var next = new double[r * r];
        double sumLogF = 0, sumV2F = 0;
        bool steady = false;
        int n = w.Length;
        for (int t = 0; t < n; t++)
        {
            double f = p[0];
            if (!(f > 0))
                return (double.NegativeInfinity, double.NaN);
            double v = w[t] - a[0];
            sumLogF += Math.Log(f);
            sumV2F += v * v / f;
            // Update a with the gain P[:,0]/F, then predict a ← T·a.
            double scale = v / f;
            double a0 = a[0] + p[0] * scale;
            for (int i = 0; i < r - 1; i++)
                a[i] = t0[i] * a0 + a[i + 1] + p[(i + 1) * r] * scale;
            a[r - 1] = t0[r - 1] * a0;
            if (steady)
                continue;
            for (int i = 0; i < r; i++)
                for (int j = 0; j < r; j++)
                    pu[i * r + j] = p[i * r + j] - p[i * r] * p[j * r] / f;
            // T·Pu: (T M)[i, j] = t0[i]·M[0, j] + M[i+1, j]; then (T M) Tᵀ the same way on columns; plus R Rᵀ.
            for (int i = 0; i < r; i++)
                for (int j = 0; j < r; j++)
                    tp[i * r + j] = t0[i] * pu[j] + (i + 1 < r ? pu[(i + 1) * r + j] : 0);
            double change = 0;
            for (int i = 0; i < r; i++)
                for (int j = 0; j < r; j++)
                {
                    double value = tp[i * r] * t0[j] + (j + 1 < r ? tp[i * r + j + 1] : 0) + rv[i] * rv[j];
                    change = Math.Max(change, Math.Abs(value - p[i * r + j]));
                    next[i * r + j] = value;
                }
            (p, next) = (next, p);
            steady = change < 1e-12;
        }
        double sigma2 = sumV2F / n;
        double ll = -0.5 * n * (Math.Log(2 * Math.PI * sigma2) + 1) - 0.5 * sumLogF;
        return (ll, sigma2);
    }

    // P = T P Tᵀ + R Rᵀ by doubling: P ← P + A P Aᵀ, A ← A²; null when A does not shrink (not stationary).
    private static double[]? StationaryCovariance(double[] t0, double[] rv, int r)
    {
        var pm = new double[r * r];
        for (int i = 0; i < r; i++)
            for (int j = 0; j < r; j++)
                pm[i * r + j] = rv[i] * rv[j];
        var am = new double[r * r];
        for (int i = 0; i < r; i++)
        {
            am[i * r] += t0[i];
            if (i + 1 < r)
                am[i * r + i + 1] = 1;
        }
        var tmp = new double[r * r];
        var tmp2 = new double[r * r];
        for (int iteration = 0; iteration < 80; iteration++)
        {
            double norm = 0;
            foreach (double x in am)
                norm = Math.Max(norm, Math.Abs(x));
            if (norm < 1e-15)
                return pm;
            if (!double.IsFinite(norm) || norm > 1e12)
                return null;
            MatMul(am, pm, tmp, r, transposeB: false);
            MatMul(tmp, am, tmp2, r, transposeB: true);
            for (int i = 0; i < pm.Length; i++)
                pm[i] += tmp2[i];
            MatMul(am, am, tmp, r, transposeB: false);
            (am, tmp) = (tmp, am);
        }
        return null;
    }

    private static void MatMul(double[] a, double[] b, double[] c, int r, bool transposeB)
    {
        for (int i = 0; i < r; i++)
            for (int j = 0; j < r; j++)
            {
                double sum = 0;
                for (int k = 0; k < r; k++)
                    sum += a[i * r + k] * (transposeB ? b[j * r + k] : b[k * r + j]);
                c[i * r + j] = sum;
            }
    }
}

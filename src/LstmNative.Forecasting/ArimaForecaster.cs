using System.Globalization;

namespace LstmNative.Forecasting;

/// <summary>
/// Seasonal ARIMA(p,d,q)(P,D,Q)<sub>s</sub> baseline: <c>φ(B)Φ(Bˢ)·w[t] = θ(B)Θ(Bˢ)·e[t]</c> with
/// <c>w = (1−B)ᵈ(1−Bˢ)ᴰ·y</c> (minus the sample mean when nothing is differenced). Fitted on the training split by
/// conditional sum of squares, then by the exact Gaussian likelihood (<see cref="ArimaLikelihood"/>), both minimised by
/// <see cref="NelderMead"/> over parameters mapped onto the stationary and invertible region (so every fitted model
/// can be forecast from). Forecasts are the conditional expectations from each origin, the model fixed.
/// </summary>
public sealed class ArimaForecaster : IBaselineForecaster
{
    private readonly double[] _ar; // expanded φ(B)Φ(Bˢ): w[t] = Σ ar[k-1]·w[t−k] + …
    private readonly double[] _ma; // expanded θ(B)Θ(Bˢ): … + e[t] + Σ ma[k-1]·e[t−k]
    private readonly double[] _delta; // (1−B)ᵈ(1−Bˢ)ᴰ = 1 + Σ delta[k]·Bᵏ (delta[0] = 1)
    private (double[] Series, double[] W, double[] E)? _cache;

    private ArimaForecaster(ArimaOrder order, double[] coefficients, double mean, double sigma2, double logLikelihood, int observations)
    {
        Order = order;
        _coefficientsRaw = coefficients;
        Mean = mean;
        Sigma2 = sigma2;
        LogLikelihood = logLikelihood;
        Observations = observations;
        (_ar, _ma) = Expand(order, coefficients);
        _delta = DifferencingPolynomial(order);
    }

    private readonly double[] _coefficientsRaw;

    /// <summary>The orders.</summary>
    public ArimaOrder Order { get; }

    /// <summary>Non-seasonal AR coefficients φ₁…φ_p (statsmodels' <c>ar.L1…</c>).</summary>
    public ReadOnlySpan<double> Phi => _coefficientsRaw.AsSpan(0, Order.P);

    /// <summary>Seasonal AR coefficients Φ₁…Φ_P (statsmodels' <c>ar.S.L{s}…</c>).</summary>
    public ReadOnlySpan<double> SeasonalPhi => _coefficientsRaw.AsSpan(Order.P, Order.IsSeasonal ? Order.SeasonalP : 0);

    /// <summary>Non-seasonal MA coefficients θ₁…θ_q (statsmodels' <c>ma.L1…</c>).</summary>
    public ReadOnlySpan<double> Theta => _coefficientsRaw.AsSpan(Order.P + SeasonalPhi.Length, Order.Q);

    /// <summary>Seasonal MA coefficients Θ₁…Θ_Q (statsmodels' <c>ma.S.L{s}…</c>).</summary>
    public ReadOnlySpan<double> SeasonalTheta => _coefficientsRaw.AsSpan(Order.P + SeasonalPhi.Length + Order.Q);

    /// <summary>Mean subtracted before fitting (the training mean when d = D = 0, else 0).</summary>
    public double Mean { get; }

    /// <summary>Innovation variance σ² at the maximum likelihood.</summary>
    public double Sigma2 { get; }

    /// <summary>Exact Gaussian log-likelihood of the differenced training series.</summary>
    public double LogLikelihood { get; }

    /// <summary>Number of differenced observations the likelihood covers.</summary>
    public int Observations { get; }

    /// <summary>Akaike's criterion, counting the coefficients and σ² (as statsmodels does).</summary>
    public double Aic => -2 * LogLikelihood + 2 * (Order.CoefficientCount + 1);

    /// <inheritdoc/>
    public string Name => $"ARIMA{Order}";

    /// <summary>Fits on the training split of <paramref name="data"/>.</summary>
    public static ArimaForecaster Fit(ForecastData data, ArimaOrder order)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Fit(data.Target.AsSpan(data.Train.Start, data.Train.Count), order);
    }

    /// <summary>Fits by conditional sum of squares, then refines by the exact likelihood.</summary>
    public static ArimaForecaster Fit(ReadOnlySpan<double> series, ArimaOrder order, bool exact = true)
    {
        ArgumentNullException.ThrowIfNull(order);
        order.Validate();
        var delta = DifferencingPolynomial(order);
        double mean = 0;
        if (order.DifferencingLag == 0)
        {
            foreach (double v in series)
                mean += v;
            mean /= Math.Max(series.Length, 1);
        }
        var w = Difference(series, delta, mean);
        var (ar0, ma0) = Expand(order, new double[order.CoefficientCount]);
        int needed = Math.Max(ar0.Length, ma0.Length) + order.CoefficientCount + 10;
        if (w.Length < needed)
            throw new ArgumentException($"ARIMA{order} needs at least {needed + order.DifferencingLag} rows, got {series.Length}");
        foreach (double v in w)
            if (!double.IsFinite(v))
                throw new ArgumentException("ARIMA: the series contains NaN or infinity");

        int k = order.CoefficientCount;
        double Css(double[] x) => CssObjective(order, x, w);
        var (xCss, _, _) = NelderMead.Minimize(Css, new double[k], step: 0.3, tolerance: 1e-10, maxEvaluations: 400 * (k + 1));
        var x = xCss;
        if (exact)
        {
            double Exact(double[] u)
            {
                var (ar, ma) = Expand(order, Constrain(order, u));
                return -ArimaLikelihood.Concentrated(ar, ma, w).LogLikelihood;
            }
            (x, _, _) = NelderMead.Minimize(Exact, xCss, step: 0.05, tolerance: 1e-12, maxEvaluations: 400 * (k + 1));
        }
        var coefficients = Constrain(order, x);
        var (arF, maF) = Expand(order, coefficients);
        var (ll, sigma2) = exact ? ArimaLikelihood.Concentrated(arF, maF, w) : CssLikelihood(arF, maF, w);
        return new ArimaForecaster(order, coefficients, mean, sigma2, ll, w.Length);
    }

    /// <summary>
    /// Chooses p, q ∈ 0…2 and P, Q ∈ 0…1 (with the given d, D and season) by the AIC of the conditional-sum-of-squares
    /// fit on the training split, then fits the winner by exact likelihood. AIC only compares models on the same
    /// differenced series, so d and D are not searched.
    /// </summary>
    public static ArimaForecaster Select(ReadOnlySpan<double> series, int d, int seasonalD, int season)
    {
        ArimaOrder? best = null;
        double bestAic = double.PositiveInfinity;
        int seasonalMax = season > 1 ? 1 : 0;
        for (int p = 0; p <= 2; p++)
            for (int q = 0; q <= 2; q++)
                for (int sp = 0; sp <= seasonalMax; sp++)
                    for (int sq = 0; sq <= seasonalMax; sq++)
                    {
                        var order = new ArimaOrder(p, d, q, sp, season > 1 ? seasonalD : 0, sq, season > 1 ? season : 0);
                        var fit = Fit(series, order, exact: false);
                        if (fit.Aic < bestAic)
                            (best, bestAic) = (order, fit.Aic);
                    }
        return Fit(series, best!);
    }

    /// <summary>Forecasts the next <c>forecast.Length</c> values after <paramref name="history"/>.</summary>
    public void Forecast(ReadOnlySpan<double> history, Span<double> forecast)
    {
        var w = Difference(history, _delta, Mean);
        var e = Residuals(_ar, _ma, w);
        Extend(history, w, e, forecast);
    }

    /// <inheritdoc/>
    public void Predict(ForecastData data, int origin, Span<double> forecast)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (origin < Order.DifferencingLag + _ar.Length + 1)
            throw new ArgumentException($"ARIMA{Order} needs {Order.DifferencingLag + _ar.Length + 1} rows before origin {origin}");
        // Residuals at t depend only on rows before t, so one pass over the whole series serves every origin.
        if (_cache is not { } c || !ReferenceEquals(c.Series, data.Target))
        {
            var w = Difference(data.Target, _delta, Mean);
            c = (data.Target, w, Residuals(_ar, _ma, w));
            _cache = c;
        }
        int lag = _delta.Length - 1;
        Extend(data.Target.AsSpan(0, origin), c.W.AsSpan(0, origin - lag), c.E.AsSpan(0, origin - lag), forecast);
    }

    private void Extend(ReadOnlySpan<double> history, ReadOnlySpan<double> w, ReadOnlySpan<double> e, Span<double> forecast)
    {
        int n = w.Length, horizon = forecast.Length, lag = _delta.Length - 1;
        var wf = new double[n + horizon];
        var ef = new double[n + horizon];
        w.CopyTo(wf);
        e.CopyTo(ef);
        var yf = new double[history.Length + horizon];
        history.CopyTo(yf);
        for (int h = 0; h < horizon; h++)
        {
            int t = n + h;
            double sum = 0;
            for (int k = 1; k <= _ar.Length && t - k >= 0; k++)
                sum += _ar[k - 1] * wf[t - k];
            for (int k = 1; k <= _ma.Length && t - k >= 0; k++)
                sum += _ma[k - 1] * ef[t - k];
            wf[t] = sum;
            int ty = history.Length + h;
            double y = sum + Mean;
            for (int k = 1; k <= lag; k++)
                y -= _delta[k] * yf[ty - k];
            yf[ty] = y;
            forecast[h] = y;
        }
    }

    /// <summary>Maps unconstrained values onto coefficients of stationary AR and invertible MA factors.</summary>
    private static double[] Constrain(ArimaOrder order, ReadOnlySpan<double> x)
    {
        var c = new double[x.Length];
        int sp = order.IsSeasonal ? order.SeasonalP : 0, sq = order.IsSeasonal ? order.SeasonalQ : 0;
        int at = 0;
        foreach (var (count, sign) in new[] { (order.P, 1.0), (sp, 1.0), (order.Q, -1.0), (sq, -1.0) })
        {
            StationaryFromPartials(x.Slice(at, count), c.AsSpan(at, count));
            for (int i = at; i < at + count; i++)
                c[i] *= sign;
            at += count;
        }
        return c;
    }

    // Monahan (1984): partial autocorrelations r = x/√(1+x²) in (−1, 1), Durbin–Levinson to the coefficients of a
    // stationary polynomial 1 − Σ c_i Bⁱ.
    private static void StationaryFromPartials(ReadOnlySpan<double> x, Span<double> result)
    {
        int n = x.Length;
        var previous = new double[n];
        var current = new double[n];
        for (int k = 0; k < n; k++)
        {
            double r = x[k] / Math.Sqrt(1 + x[k] * x[k]);
            for (int i = 0; i < k; i++)
                current[i] = previous[i] - r * previous[k - i - 1];
            current[k] = r;
            Array.Copy(current, previous, k + 1);
        }
        previous.AsSpan(0, n).CopyTo(result);
    }

    private static (double[] Ar, double[] Ma) Expand(ArimaOrder order, ReadOnlySpan<double> coefficients)
    {
        int s = order.IsSeasonal ? order.Season : 1;
        int sp = order.IsSeasonal ? order.SeasonalP : 0, sq = order.IsSeasonal ? order.SeasonalQ : 0;
        var phi = coefficients[..order.P];
        var sPhi = coefficients.Slice(order.P, sp);
        var theta = coefficients.Slice(order.P + sp, order.Q);
        var sTheta = coefficients.Slice(order.P + sp + order.Q, sq);
        // AR polynomial 1 − Σφ Bⁱ times 1 − ΣΦ Bʲˢ; MA polynomial 1 + Σθ Bⁱ times 1 + ΣΘ Bʲˢ.
        var arPoly = Multiply(Polynomial(phi, 1, -1), Polynomial(sPhi, s, -1));
        var maPoly = Multiply(Polynomial(theta, 1, 1), Polynomial(sTheta, s, 1));
        var ar = new double[arPoly.Length - 1];
        for (int i = 0; i < ar.Length; i++)
            ar[i] = -arPoly[i + 1];
        return (ar, maPoly[1..]);
    }

    private static double[] Polynomial(ReadOnlySpan<double> c, int stride, double sign)
    {
        var p = new double[c.Length * stride + 1];
        p[0] = 1;
        for (int i = 0; i < c.Length; i++)
            p[(i + 1) * stride] = sign * c[i];
        return p;
    }

    private static double[] Multiply(double[] a, double[] b)
    {
        var r = new double[a.Length + b.Length - 1];
        for (int i = 0; i < a.Length; i++)
            for (int j = 0; j < b.Length; j++)
                r[i + j] += a[i] * b[j];
        return r;
    }

    private static double[] DifferencingPolynomial(ArimaOrder order)
    {
        double[] p = [1];
        for (int i = 0; i < order.D; i++)
            p = Multiply(p, [1, -1]);
        if (order.IsSeasonal)
            for (int i = 0; i < order.SeasonalD; i++)
                p = Multiply(p, Polynomial([1.0], order.Season, -1));
        return p;
    }

    private static double[] Difference(ReadOnlySpan<double> y, double[] delta, double mean)
    {
        int lag = delta.Length - 1;
        var w = new double[Math.Max(y.Length - lag, 0)];
        for (int t = 0; t < w.Length; t++)
        {
            double sum = -mean;
            for (int k = 0; k <= lag; k++)
                sum += delta[k] * y[t + lag - k];
            w[t] = sum;
        }
        return w;
    }

    // e[t] = w[t] − Σ ar·w[t−k] − Σ ma·e[t−k], starting after the AR lags with earlier residuals zero.
    private static double[] Residuals(double[] ar, double[] ma, ReadOnlySpan<double> w)
    {
        var e = new double[w.Length];
        for (int t = ar.Length; t < w.Length; t++)
        {
            double sum = w[t];
            for (int k = 1; k <= ar.Length; k++)
                sum -= ar[k - 1] * w[t - k];
            for (int k = 1; k <= ma.Length && t - k >= 0; k++)
                sum -= ma[k - 1] * e[t - k];
            e[t] = sum;
        }
        return e;
    }

    private static double CssObjective(ArimaOrder order, double[] x, double[] w)
    {
        var (ar, ma) = Expand(order, Constrain(order, x));
        return -CssLikelihood(ar, ma, w).LogLikelihood;
    }

    private static (double LogLikelihood, double Sigma2) CssLikelihood(double[] ar, double[] ma, double[] w)
    {
        var e = Residuals(ar, ma, w);
        double sse = 0;
        for (int t = ar.Length; t < e.Length; t++)
            sse += e[t] * e[t];
        int m = e.Length - ar.Length;
        double sigma2 = sse / m;
        return (-0.5 * m * (Math.Log(2 * Math.PI * sigma2) + 1), sigma2);
    }

    /// <summary>The fitted coefficients as <c>name=value</c> pairs in statsmodels' naming.</summary>
    public string Describe()
    {
        var parts = new List<string>();
        void Add(string prefix, ReadOnlySpan<double> c, int stride)
        {
            for (int i = 0; i < c.Length; i++)
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{prefix}{(i + 1) * stride}={c[i]:F4}"));
        }
        Add("ar.L", Phi, 1);
        Add("ar.S.L", SeasonalPhi, Order.Season);
        Add("ma.L", Theta, 1);
        Add("ma.S.L", SeasonalTheta, Order.Season);
        parts.Add(string.Create(CultureInfo.InvariantCulture, $"sigma2={Sigma2:G5}"));
        return string.Join(' ', parts);
    }
}

namespace LstmNative.Training.Forecasting;

/// <summary>
/// A forecaster scored on the same windows as the model: given a forecast origin <c>s</c>, it predicts the
/// standardized target rows <c>s … s+horizon−1</c> using only rows before <c>s</c>.
/// </summary>
public interface IBaselineForecaster
{
    /// <summary>Name in tables and reports.</summary>
    string Name { get; }

    /// <summary>Writes the <c>horizon</c> predictions for origin <paramref name="origin"/> into <paramref name="forecast"/>.</summary>
    void Predict(ForecastData data, int origin, Span<double> forecast);
}

/// <summary>Persistence (naive): every future value equals the last observed one.</summary>
public sealed class PersistenceForecaster : IBaselineForecaster
{
    /// <inheritdoc/>
    public string Name => "persistence";

    /// <inheritdoc/>
    public void Predict(ForecastData data, int origin, Span<double> forecast)
    {
        ArgumentNullException.ThrowIfNull(data);
        forecast.Fill(data.Target[origin - 1]);
    }
}

/// <summary>
/// Seasonal naive: each future value equals the value one season earlier, repeating the last observed season for
/// horizons longer than one season (<c>ŷ[s+j] = y[s + j − m·(⌊j/m⌋ + 1)]</c>).
/// </summary>
public sealed class SeasonalNaiveForecaster : IBaselineForecaster
{
    /// <summary>Creates the forecaster for season length <paramref name="season"/> (24 for hourly data with a daily cycle).</summary>
    public SeasonalNaiveForecaster(int season)
    {
        if (season < 1)
            throw new ArgumentException($"season must be positive, got {season}");
        Season = season;
    }

    /// <summary>Season length in rows.</summary>
    public int Season { get; }

    /// <inheritdoc/>
    public string Name => $"seasonal naive ({Season})";

    /// <inheritdoc/>
    public void Predict(ForecastData data, int origin, Span<double> forecast)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (origin < Season)
            throw new ArgumentException($"seasonal naive needs {Season} rows before origin {origin}");
        for (int j = 0; j < forecast.Length; j++)
            forecast[j] = data.Target[origin + j - Season * (j / Season + 1)];
    }
}

/// <summary>
/// A linear autoregressive model fitted by least squares on the training windows: one direct regression per horizon
/// step on the last <see cref="Lags"/> target values and an intercept (a tiny ridge term keeps the normal equations
/// well conditioned when lags are nearly collinear).
/// </summary>
public sealed class LinearArForecaster : IBaselineForecaster
{
    private readonly double[] _coefficients; // [horizon, lags + 1]: lags oldest first, then the intercept

    private LinearArForecaster(int lags, int horizon, double[] coefficients)
    {
        Lags = lags;
        Horizon = horizon;
        _coefficients = coefficients;
    }

    /// <summary>Number of lagged values.</summary>
    public int Lags { get; }

    /// <summary>Horizon it was fitted for.</summary>
    public int Horizon { get; }

    /// <inheritdoc/>
    public string Name => $"linear AR ({Lags} lags)";

    /// <summary>The coefficients for horizon step <paramref name="step"/>: lags oldest first, then the intercept.</summary>
    public ReadOnlySpan<double> Coefficients(int step) => _coefficients.AsSpan(step * (Lags + 1), Lags + 1);

    /// <summary>Fits on the training origins of <paramref name="data"/> with <paramref name="lags"/> lags (at most the window).</summary>
    public static LinearArForecaster Fit(ForecastData data, int lags, double ridge = 1e-6)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (lags < 1)
            throw new ArgumentException($"lags must be positive, got {lags}");
        int p = lags + 1, horizon = data.Horizon;
        var origins = data.TrainOrigins.Where(s => s >= lags).ToArray();
        if (origins.Length < p)
            throw new ArgumentException($"linear AR with {lags} lags needs at least {p} training windows, got {origins.Length}");
        var gram = new double[p * p];
        var rhs = new double[horizon * p];
        var row = new double[p];
        var y = data.Target;
        foreach (int s in origins)
        {
            y.AsSpan(s - lags, lags).CopyTo(row);
            row[lags] = 1;
            for (int i = 0; i < p; i++)
            {
                double ri = row[i];
                var g = gram.AsSpan(i * p, p);
                for (int j = 0; j <= i; j++)
                    g[j] += ri * row[j];
            }
            for (int h = 0; h < horizon; h++)
            {
                double target = y[s + h];
                var r = rhs.AsSpan(h * p, p);
                for (int i = 0; i < p; i++)
                    r[i] += target * row[i];
            }
        }
        double trace = 0;
        for (int i = 0; i < p; i++)
            trace += gram[i * p + i];
        for (int i = 0; i < p; i++)
        {
            for (int j = i + 1; j < p; j++)
                gram[i * p + j] = gram[j * p + i];
            gram[i * p + i] += ridge * trace / p;
        }
        var factor = Cholesky(gram, p);
        var coefficients = new double[horizon * p];
        for (int h = 0; h < horizon; h++)
            Solve(factor, p, rhs.AsSpan(h * p, p), coefficients.AsSpan(h * p, p));
        return new LinearArForecaster(lags, horizon, coefficients);
    }

    /// <inheritdoc/>
    public void Predict(ForecastData data, int origin, Span<double> forecast)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (forecast.Length != Horizon)
            throw new ArgumentException($"the model was fitted for horizon {Horizon}, asked for {forecast.Length}");
        var history = data.Target.AsSpan(origin - Lags, Lags);
        for (int h = 0; h < Horizon; h++)
        {
            var c = Coefficients(h);
            double sum = c[Lags];
            for (int i = 0; i < Lags; i++)
                sum += c[i] * history[i];
            forecast[h] = sum;
        }
    }

    // Lower-triangular L with A = L L^T.
    private static double[] Cholesky(double[] a, int n)
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
                        throw new InvalidOperationException("the AR normal equations are singular (is the target constant?)");
                    l[i * n + i] = Math.Sqrt(sum);
                }
                else
                {
                    l[i * n + j] = sum / l[j * n + j];
                }
            }
        return l;
    }

    private static void Solve(double[] l, int n, ReadOnlySpan<double> b, Span<double> x)
    {
        Span<double> z = new double[n];
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

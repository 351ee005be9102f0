namespace LstmNative.Forecasting;

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
/// A linear autoregressive model: one direct regression per horizon step on features of the last <see cref="Lags"/>
/// target values and an intercept, fitted by ridge least squares on the training windows. Features are the lags
/// themselves, or (<see cref="Decomposed"/>) DLinear's split of them into a moving-average trend and the remainder,
/// each with its own weights (Zeng et al., 2023, "Are Transformers Effective for Time Series Forecasting?").
/// <see cref="Fit"/> keeps a tiny fixed ridge (conditioning only); <see cref="FitOnValidation"/> chooses the penalty
/// on the validation windows, which is the linear baseline a reviewer expects: unregularised least squares on 336 lags
/// over-fits long horizons (worse than persistence at 720 on ETTh1).
/// </summary>
public sealed class LinearArForecaster : IBaselineForecaster
{
    /// <summary>Penalties tried by <see cref="FitOnValidation"/>, relative to the mean diagonal of the normal equations.</summary>
    public static IReadOnlyList<double> RidgeGrid { get; } = [1e-6, 1e-4, 1e-3, 1e-2, 1e-1, 1];

    private readonly double[] _coefficients; // [horizon, features + 1]: features, then the intercept

    private LinearArForecaster(int lags, int horizon, int trendKernel, double ridge, double[] coefficients)
    {
        Lags = lags;
        Horizon = horizon;
        TrendKernel = trendKernel;
        Ridge = ridge;
        _coefficients = coefficients;
    }

    /// <summary>Number of lagged values.</summary>
    public int Lags { get; }

    /// <summary>Horizon it was fitted for.</summary>
    public int Horizon { get; }

    /// <summary>Moving-average window of the trend (DLinear's 25), or 0 for plain lags.</summary>
    public int TrendKernel { get; }

    /// <summary>Whether the features are the trend/remainder split.</summary>
    public bool Decomposed => TrendKernel > 0;

    /// <summary>The ridge penalty used, relative to the mean diagonal of the normal equations.</summary>
    public double Ridge { get; }

    private int FeatureCount => Decomposed ? 2 * Lags : Lags;

    /// <inheritdoc/>
    public string Name => Decomposed
        ? $"DLinear (trend {TrendKernel} + remainder, {Lags} lags, ridge {Ridge:G2})"
        : ChosenOnValidation ? $"ridge AR ({Lags} lags, ridge {Ridge:G2})" : $"linear AR ({Lags} lags)";

    /// <summary>Whether <see cref="Ridge"/> was chosen on the validation windows (<see cref="FitOnValidation"/>).</summary>
    public bool ChosenOnValidation { get; private init; }

    /// <summary>The coefficients for horizon step <paramref name="step"/>: features, then the intercept.</summary>
    public ReadOnlySpan<double> Coefficients(int step) => _coefficients.AsSpan(step * (FeatureCount + 1), FeatureCount + 1);

    /// <summary>Fits on the training origins of <paramref name="data"/> with <paramref name="lags"/> lags (at most the window).</summary>
    public static LinearArForecaster Fit(ForecastData data, int lags, double ridge = 1e-6) =>
        NormalEquations.Build(data, lags, 0).Solve(ridge);

    /// <summary>
    /// Fits with the penalty from <see cref="RidgeGrid"/> that scores the lowest MSE on the validation windows.
    /// <paramref name="trendKernel"/> &gt; 0 fits DLinear's trend/remainder model (25 in the paper).
    /// </summary>
    public static LinearArForecaster FitOnValidation(ForecastData data, int lags, int trendKernel = 0)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.ValidationOrigins.Length == 0)
            throw new ArgumentException("choosing the penalty needs validation windows; the split has none");
        var equations = NormalEquations.Build(data, lags, trendKernel);
        LinearArForecaster? best = null;
        double bestMse = double.PositiveInfinity;
        var forecast = new double[data.Horizon];
        foreach (double ridge in RidgeGrid)
        {
            var model = equations.Solve(ridge);
            double sum = 0;
            long count = 0;
            foreach (int s in data.ValidationOrigins)
            {
                model.Predict(data, s, forecast);
                for (int h = 0; h < forecast.Length; h++)
                {
                    double e = forecast[h] - data.Target[s + h];
                    sum += e * e;
                    count++;
                }
            }
            double mse = sum / Math.Max(1, count);
            if (mse < bestMse)
                (best, bestMse) = (model, mse);
        }
        return new LinearArForecaster(best!.Lags, best.Horizon, best.TrendKernel, best.Ridge, best._coefficients) { ChosenOnValidation = true };
    }

    /// <inheritdoc/>
    public void Predict(ForecastData data, int origin, Span<double> forecast)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (forecast.Length != Horizon)
            throw new ArgumentException($"the model was fitted for horizon {Horizon}, asked for {forecast.Length}");
        Span<double> features = FeatureCount <= 2048 ? stackalloc double[FeatureCount] : new double[FeatureCount];
        Featurize(data.Target.AsSpan(origin - Lags, Lags), TrendKernel, features);
        for (int h = 0; h < Horizon; h++)
        {
            var c = Coefficients(h);
            double sum = c[FeatureCount];
            for (int i = 0; i < features.Length; i++)
                sum += c[i] * features[i];
            forecast[h] = sum;
        }
    }

    /// <summary>
    /// The features of one window: the lags, or DLinear's trend (a centred moving average of <paramref name="kernel"/>
    /// values, the window's ends repeated to pad it, as DLinear pads) followed by the remainder (lags minus trend).
    /// </summary>
    internal static void Featurize(ReadOnlySpan<double> lags, int kernel, Span<double> features)
    {
        if (kernel <= 0)
        {
            lags.CopyTo(features);
            return;
        }
        int n = lags.Length, front = (kernel - 1) / 2;
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            for (int k = 0; k < kernel; k++)
                sum += lags[Math.Clamp(i - front + k, 0, n - 1)];
            features[i] = sum / kernel;
            features[n + i] = lags[i] - features[i];
        }
    }

    /// <summary>The training windows' normal equations, built once and solved for each penalty.</summary>
    private sealed class NormalEquations(int lags, int horizon, int kernel, int p, double[] gram, double[] rhs)
    {
        public static NormalEquations Build(ForecastData data, int lags, int kernel)
        {
            ArgumentNullException.ThrowIfNull(data);
            if (lags < 1)
                throw new ArgumentException($"lags must be positive, got {lags}");
            int features = kernel > 0 ? 2 * lags : lags, p = features + 1, horizon = data.Horizon;
            var origins = data.TrainOrigins.Where(s => s >= lags).ToArray();
            if (origins.Length < p)
                throw new ArgumentException($"linear AR with {features} features needs at least {p} training windows, got {origins.Length}");
            var gram = new double[p * p];
            var rhs = new double[horizon * p];
            var row = new double[p];
            var y = data.Target;
            foreach (int s in origins)
            {
                Featurize(y.AsSpan(s - lags, lags), kernel, row);
                row[features] = 1;
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
            for (int i = 0; i < p; i++)
                for (int j = i + 1; j < p; j++)
                    gram[i * p + j] = gram[j * p + i];
            return new NormalEquations(lags, horizon, kernel, p, gram, rhs);
        }

        public LinearArForecaster Solve(double ridge)
        {
            double trace = 0;
            for (int i = 0; i < p; i++)
                trace += gram[i * p + i];
            var a = (double[])gram.Clone();
            for (int i = 0; i < p - 1; i++) // the intercept is not penalised
                a[i * p + i] += ridge * trace / p;
            a[(p - 1) * p + p - 1] += Math.Min(ridge, 1e-6) * trace / p; // conditioning only
            var factor = RidgeSolver.Cholesky(a, p);
            var coefficients = new double[horizon * p];
            for (int h = 0; h < horizon; h++)
                RidgeSolver.Solve(factor, p, rhs.AsSpan(h * p, p), coefficients.AsSpan(h * p, p));
            return new LinearArForecaster(lags, horizon, kernel, ridge, coefficients);
        }
    }
}

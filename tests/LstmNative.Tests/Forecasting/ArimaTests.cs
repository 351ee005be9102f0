using LstmNative.Forecasting;
using NUnit.Framework;

namespace LstmNative.Tests.Forecasting;

/// <summary>The seasonal ARIMA baseline, its exact likelihood and the Nelder–Mead optimizer.</summary>
public class ArimaTests
{
    // w[t] = φ w[t−1] + Φ w[t−s] − φΦ w[t−s−1] + e[t] + θ e[t−1] + Θ e[t−s] + θΘ e[t−s−1], after a burn-in.
    private static double[] SimulateSeasonalArma(int n, double phi, double theta, double sPhi, double sTheta, int s, int seed)
    {
        var random = new Random(seed);
        int burn = 1000, total = n + burn;
        var w = new double[total];
        var e = new double[total];
        for (int t = 0; t < total; t++)
        {
            double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
            e[t] = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            double W(int k) => t - k >= 0 ? w[t - k] : 0;
            double E(int k) => t - k >= 0 ? e[t - k] : 0;
            w[t] = phi * W(1) + sPhi * W(s) - phi * sPhi * W(s + 1) + e[t] + theta * E(1) + sTheta * E(s) + theta * sTheta * E(s + 1);
        }
        return w[burn..];
    }

    [Test]
    public void RecoversTheCoefficientsOfASimulatedSeasonalArma()
    {
        // n = 3000: the asymptotic standard errors of these coefficients are below 0.03 (e.g. √((1−φ²)/n) ≈ 0.015 for
        // φ alone; mixed AR/MA terms inflate it about twofold), so 0.08 is more than 2.5 standard errors.
        var w = SimulateSeasonalArma(3000, phi: 0.6, theta: 0.3, sPhi: 0.5, sTheta: -0.4, s: 12, seed: 17);
        var fit = ArimaForecaster.Fit(w, new ArimaOrder(1, 0, 1, 1, 0, 1, 12));
        Assert.That(fit.Phi[0], Is.EqualTo(0.6).Within(0.08));
        Assert.That(fit.Theta[0], Is.EqualTo(0.3).Within(0.08));
        Assert.That(fit.SeasonalPhi[0], Is.EqualTo(0.5).Within(0.08));
        Assert.That(fit.SeasonalTheta[0], Is.EqualTo(-0.4).Within(0.08));
        Assert.That(fit.Sigma2, Is.EqualTo(1).Within(0.08)); // σ² estimate has SE √(2/n) ≈ 0.026
    }

    [Test]
    public void ExactLikelihoodOfAnAr1MatchesTheClosedForm()
    {
        var random = new Random(5);
        var w = new double[7];
        for (int i = 0; i < w.Length; i++)
            w[i] = random.NextDouble() * 2 - 1;
        double phi = -0.7;
        // y₁ ~ N(0, σ²/(1−φ²)), y_t | y_{t−1} ~ N(φ y_{t−1}, σ²): σ̂² = (y₁²(1−φ²) + Σ(y_t − φy_{t−1})²)/n.
        double ss = w[0] * w[0] * (1 - phi * phi);
        for (int t = 1; t < w.Length; t++)
            ss += (w[t] - phi * w[t - 1]) * (w[t] - phi * w[t - 1]);
        int n = w.Length;
        double sigma2 = ss / n;
        double expected = -0.5 * n * (Math.Log(2 * Math.PI * sigma2) + 1) + 0.5 * Math.Log(1 - phi * phi);
        var (ll, s2) = ArimaLikelihood.Concentrated([phi], [], w);
        Assert.That(s2, Is.EqualTo(sigma2).Within(1e-12));
        Assert.That(ll, Is.EqualTo(expected).Within(1e-10));
        // An MA(1) state space against its covariance: Var = σ²(1+θ²), lag-1 covariance σ²θ; n = 2 by hand.
        double theta = 0.4, a = 0.3, b = -1.1;
        double c0 = 1 + theta * theta, c1 = theta, det = c0 * c0 - c1 * c1;
        double quad = (c0 * a * a - 2 * c1 * a * b + c0 * b * b) / det;
        double expectedMa = -0.5 * 2 * (Math.Log(2 * Math.PI * quad / 2) + 1) - 0.5 * Math.Log(det);
        Assert.That(ArimaLikelihood.Concentrated([], [theta], [a, b]).LogLikelihood, Is.EqualTo(expectedMa).Within(1e-10));
    }

    [Test]
    public void DifferencingIntegratesBackToNaiveForecasts()
    {
        var random = new Random(11);
        var y = Enumerable.Range(0, 200).Select(i => Math.Sin(i * 0.7) + random.NextDouble()).ToArray();
        var forecast = new double[30];
        ArimaForecaster.Fit(y, new ArimaOrder(0, 1, 0)).Forecast(y, forecast);
        Assert.That(forecast, Is.All.EqualTo(y[^1]).Within(1e-12)); // random walk: persistence
        ArimaForecaster.Fit(y, new ArimaOrder(0, 0, 0, 0, 1, 0, 7)).Forecast(y, forecast);
        for (int j = 0; j < forecast.Length; j++)
            Assert.That(forecast[j], Is.EqualTo(y[y.Length - 7 + j % 7]).Within(1e-12)); // seasonal naive
        // AR(1) with a mean: ŷ[h] = μ + φʰ (y_last − μ).
        var ar = ArimaForecaster.Fit(y, new ArimaOrder(1, 0, 0));
        ar.Forecast(y, forecast);
        for (int h = 0; h < forecast.Length; h++)
            Assert.That(forecast[h], Is.EqualTo(ar.Mean + Math.Pow(ar.Phi[0], h + 1) * (y[^1] - ar.Mean)).Within(1e-12));
    }

    [Test]
    public void BadOrdersAndShortSeriesGiveClearErrors()
    {
        Assert.That(() => ArimaOrder.Parse("1,0"), Throws.TypeOf<FormatException>().With.Message.Contains("p,d,q"));
        Assert.That(() => ArimaOrder.Parse("1,x,1"), Throws.TypeOf<FormatException>().With.Message.Contains("'x'"));
        Assert.That(() => ArimaOrder.Parse("-1,0,1"), Throws.ArgumentException.With.Message.Contains("0..5"));
        Assert.That(() => ArimaOrder.Parse("1,0,1,1,0,0,1"), Throws.ArgumentException.With.Message.Contains("season length"));
        Assert.That(() => ArimaOrder.Parse("1,3,1"), Throws.ArgumentException.With.Message.Contains("differencing"));
        Assert.That(ArimaOrder.Parse("2,1,1,1,1,1,24"), Is.EqualTo(new ArimaOrder(2, 1, 1, 1, 1, 1, 24)));
        Assert.That(() => ArimaForecaster.Fit(new double[30], new ArimaOrder(1, 0, 0, 1, 1, 0, 24)),
            Throws.ArgumentException.With.Message.Contains("needs at least"));
        var withNaN = Enumerable.Range(0, 100).Select(i => i == 50 ? double.NaN : Math.Sin(i)).ToArray();
        Assert.That(() => ArimaForecaster.Fit(withNaN, new ArimaOrder(1, 1, 0)), Throws.ArgumentException.With.Message.Contains("NaN"));
    }

    [Test]
    public void NelderMeadFindsTheRosenbrockMinimum()
    {
        var (x, value, _) = NelderMead.Minimize(v => 100 * Math.Pow(v[1] - v[0] * v[0], 2) + Math.Pow(1 - v[0], 2),
            [-1.2, 1.0], step: 0.5, tolerance: 1e-14, maxEvaluations: 5000);
        Assert.That(x[0], Is.EqualTo(1).Within(1e-4));
        Assert.That(x[1], Is.EqualTo(1).Within(1e-4));
        Assert.That(value, Is.LessThan(1e-8));
        // Infinite values are walls: the constrained minimum of (x−2)² on x ≤ 1 is x = 1.
        var (xc, _, _) = NelderMead.Minimize(v => v[0] > 1 ? double.NaN : (v[0] - 2) * (v[0] - 2), [0.0], step: 0.3);
        Assert.That(xc[0], Is.EqualTo(1).Within(1e-4));
    }
}

/// <summary>
/// The ARIMA fit against statsmodels' SARIMAX on ETTh1 HUFL (reference numbers written by
/// <c>scripts/arima/statsmodels_check.py</c>); skipped when the shared data is absent.
/// </summary>
public class ArimaStatsmodelsTests
{
    [Test]
    public void CoefficientsAndForecastsMatchStatsmodels()
    {
        string csv = Path.Combine(TestPaths.RequireShared(), "data", "ETTh1.csv");
        if (!File.Exists(csv))
            Assert.Ignore("shared/data/ETTh1.csv is absent");
        var y = LstmNative.Training.Data.CsvLoader.Load(csv, ["HUFL"]).Column(0)[..8640];
        string? dir = TestContext.CurrentContext.TestDirectory;
        const string reference = "scripts/arima/statsmodels_reference.json";
        while (dir is not null && !File.Exists(Path.Combine(dir, reference)))
            dir = Path.GetDirectoryName(dir);
        if (dir is null)
            Assert.Ignore($"{reference} not found above the test folder");
        string json = File.ReadAllText(Path.Combine(dir!, reference));
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var o = c.GetProperty("order").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var order = new ArimaOrder(o[0], o[1], o[2], o[3], o[4], o[5], o[6]);
            var fit = ArimaForecaster.Fit(y, order);
            var p = c.GetProperty("params");
            double Param(string name) => p.GetProperty(name).GetDouble();
            for (int i = 0; i < order.P; i++)
                Assert.That(fit.Phi[i], Is.EqualTo(Param($"ar.L{i + 1}")).Within(2e-3), $"{order} ar.L{i + 1}");
            for (int i = 0; i < order.Q; i++)
                Assert.That(fit.Theta[i], Is.EqualTo(Param($"ma.L{i + 1}")).Within(2e-3), $"{order} ma.L{i + 1}");
            for (int i = 0; i < fit.SeasonalPhi.Length; i++)
                Assert.That(fit.SeasonalPhi[i], Is.EqualTo(Param($"ar.S.L{(i + 1) * order.Season}")).Within(2e-3), $"{order} ar.S");
            for (int i = 0; i < fit.SeasonalTheta.Length; i++)
                Assert.That(fit.SeasonalTheta[i], Is.EqualTo(Param($"ma.S.L{(i + 1) * order.Season}")).Within(2e-3), $"{order} ma.S");
            Assert.That(fit.Sigma2, Is.EqualTo(Param("sigma2")).Within(2e-3 * Param("sigma2")), $"{order} sigma2");
            Assert.That(fit.LogLikelihood, Is.EqualTo(c.GetProperty("loglik").GetDouble()).Within(0.5), $"{order} loglik");
            var expected = c.GetProperty("forecast").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var forecast = new double[expected.Length];
            fit.Forecast(y, forecast);
            for (int h = 0; h < forecast.Length; h++)
                Assert.That(forecast[h], Is.EqualTo(expected[h]).Within(0.02), $"{order} forecast step {h + 1}");
            TestContext.Out.WriteLine($"{order}: {fit.Describe()} loglik={fit.LogLikelihood:F2}");
        }
    }
}

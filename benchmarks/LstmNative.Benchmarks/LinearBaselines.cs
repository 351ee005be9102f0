using System.Diagnostics;
using LstmNative.Forecasting;

namespace LstmNative.Benchmarks;

/// <summary>
/// <c>ettbaselines CSV WINDOW H...</c>: the baselines of the forecasting job on the ETT protocol (univariate OT, the
/// split of Informer and PatchTST), without training the LSTM: persistence, least-squares AR, ridge AR and DLinear with
/// their penalties chosen on validation. Test MSE / MAE on the standardised target, as the published tables report.
/// </summary>
internal static class LinearBaselines
{
    public static void Run(string csv, int window, int[] horizons)
    {
        var table = ForecastDataSource.LoadCsv(csv, "OT", allFeatures: false);
        Console.WriteLine($"{"horizon",7} | {"model",-48} | {"MSE",7} | {"MAE",7} | fit s");
        foreach (int horizon in horizons)
        {
            var data = ForecastData.Ett(table, csv, "OT", window, horizon);
            var scored = data.ScoredTestOrigins;
            var actuals = data.Actuals(scored);
            foreach (var make in new Func<IBaselineForecaster>[]
                     {
                         () => new PersistenceForecaster(),
                         () => LinearArForecaster.Fit(data, window),
                         () => LinearArForecaster.FitOnValidation(data, window),
                         () => LinearArForecaster.FitOnValidation(data, window, trendKernel: 25),
                     })
            {
                var clock = Stopwatch.StartNew();
                var model = make();
                double fit = clock.Elapsed.TotalSeconds;
                var forecast = new double[horizon];
                double se = 0, ae = 0;
                long n = 0;
                for (int i = 0; i < scored.Length; i++)
                {
                    model.Predict(data, scored[i], forecast);
                    for (int h = 0; h < horizon; h++)
                    {
                        double e = forecast[h] - actuals[i * horizon + h];
                        se += e * e;
                        ae += Math.Abs(e);
                        n++;
                    }
                }
                Console.WriteLine($"{horizon,7} | {model.Name,-48} | {se / n,7:F4} | {ae / n,7:F4} | {fit:F1}");
            }
        }
    }
}

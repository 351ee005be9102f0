namespace LstmNative.Forecasting;

/// <summary>Error of one forecaster on a set of windows: overall and per lead step (1 … horizon).</summary>
/// <param name="Name">The forecaster.</param>
/// <param name="Windows">Windows scored.</param>
/// <param name="Mse">Mean squared error over every window and step (standardized scale).</param>
/// <param name="Mae">Mean absolute error (standardized scale).</param>
/// <param name="MsePerStep">MSE at each lead step.</param>
/// <param name="MaePerStep">MAE at each lead step.</param>
/// <param name="Wape">Absolute error as a fraction of the mean absolute actual value, in the data's own units (NaN when unknown).</param>
public sealed record ForecastMetrics(string Name, int Windows, double Mse, double Mae, double[] MsePerStep, double[] MaePerStep, double Wape)
{
    /// <summary>
    /// Scores <paramref name="predictions"/> against <paramref name="actuals"/>, both <c>[windows, horizon]</c> row-major
    /// on the standardized scale; <paramref name="unscaledPredictions"/>/<paramref name="unscaledActuals"/> (same shape,
    /// original units, optional) give the WAPE.
    /// </summary>
    public static ForecastMetrics Compute(string name, ReadOnlySpan<double> predictions, ReadOnlySpan<double> actuals, int horizon,
        ReadOnlySpan<double> unscaledPredictions = default, ReadOnlySpan<double> unscaledActuals = default)
    {
        if (horizon < 1 || predictions.Length != actuals.Length || predictions.Length % horizon != 0 || predictions.IsEmpty)
            throw new ArgumentException($"predictions ({predictions.Length}) and actuals ({actuals.Length}) must be non-empty [windows, {horizon}] arrays");
        int windows = predictions.Length / horizon;
        var mse = new double[horizon];
        var mae = new double[horizon];
        for (int n = 0; n < windows; n++)
            for (int h = 0; h < horizon; h++)
            {
                double e = predictions[n * horizon + h] - actuals[n * horizon + h];
                mse[h] += e * e;
                mae[h] += Math.Abs(e);
            }
        for (int h = 0; h < horizon; h++)
        {
            mse[h] /= windows;
            mae[h] /= windows;
        }
        double wape = double.NaN;
        if (!unscaledActuals.IsEmpty)
        {
            double err = 0, total = 0;
            for (int i = 0; i < unscaledActuals.Length; i++)
            {
                err += Math.Abs(unscaledPredictions[i] - unscaledActuals[i]);
                total += Math.Abs(unscaledActuals[i]);
            }
            wape = total > 0 ? err / total : double.NaN;
        }
        return new ForecastMetrics(name, windows, mse.Average(), mae.Average(), mse, mae, wape);
    }
}

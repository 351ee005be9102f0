namespace LstmNative.Forecasting;

/// <summary>
/// What the one-standard-error rule compared (<c>--epoch-choice one-se</c>): the fitted linear model ("epoch 0") against
/// the best trained epoch on the validation windows.
/// </summary>
/// <param name="TrainedEpoch">The best trained epoch, the one that had to prove itself.</param>
/// <param name="FitMse">The fitted linear model's validation MSE.</param>
/// <param name="TrainedMse">The trained epoch's validation MSE.</param>
/// <param name="StandardError">Standard error of <c>FitMse − TrainedMse</c>, from the spread of that gain over time blocks.</param>
/// <param name="Blocks">Time blocks of <c>horizon</c> consecutive origins whose target rows do not overlap (every column's windows
/// of a block together).</param>
/// <param name="KeptFit">Whether the gain was not above one standard error, so the linear model was kept.</param>
public sealed record EpochChoiceCheck(int TrainedEpoch, double FitMse, double TrainedMse, double StandardError, int Blocks, bool KeptFit)
{
    /// <summary>How much lower the trained epoch's validation MSE is than the fit's.</summary>
    public double Gain => FitMse - TrainedMse;
}

/// <summary>
/// The one-standard-error rule (Breiman, Friedman, Olshen and Stone, <i>Classification and Regression Trees</i>, 1984)
/// applied to the choice between the fitted linear model and the LSTM trained on it: keep the simpler model unless the
/// complex one's validation error is lower by more than one standard error of the difference.
/// <para>Why: the best of several noisy epochs is an optimistic pick. Validation windows overlap (stride 1), so their
/// errors are far from independent; the standard error is taken over non-overlapping time blocks of <c>horizon</c>
/// origins (each block's mean gain over its windows and every column), which at long horizons leaves only a few blocks
/// and so a wide error bar — as wide as the evidence really is.</para>
/// </summary>
public static class OneStandardErrorRule
{
    /// <summary>
    /// Compares <paramref name="fit"/> (the linear model) and <paramref name="trained"/> on the validation windows of
    /// <paramref name="data"/>; fewer than two blocks give an infinite standard error (the fit is kept).
    /// </summary>
    public static EpochChoiceCheck Compare(LstmForecaster<float> fit, LstmForecaster<float> trained, int trainedEpoch, ForecastData data)
    {
        ArgumentNullException.ThrowIfNull(fit);
        ArgumentNullException.ThrowIfNull(trained);
        ArgumentNullException.ThrowIfNull(data);
        if (fit.Shape.Quantiles is not null || trained.Shape.Quantiles is not null)
            throw new ArgumentException("the one-standard-error rule compares point forecasts (MSE); quantile heads have none to compare");
        var origins = data.ValidationOrigins;
        if (origins.Length == 0)
            throw new ArgumentException("there are no validation windows to compare on");
        int h = data.Horizon;
        var a = ForecastTrainer.Predict(fit, data, origins);
        var b = ForecastTrainer.Predict(trained, data, origins);
        var actual = data.Actuals(origins);
        int first = origins.Min(s => s % data.ChannelRows);
        int blocks = ((origins.Max(s => s % data.ChannelRows) - first) + 1) / h;
        var gain = new double[blocks];
        var count = new int[blocks];
        double fitSum = 0, trainedSum = 0;
        for (int n = 0; n < origins.Length; n++)
        {
            double ea = 0, eb = 0;
            for (int k = n * h; k < (n + 1) * h; k++)
            {
                ea += (a[k] - actual[k]) * (a[k] - actual[k]);
                eb += (b[k] - actual[k]) * (b[k] - actual[k]);
            }
            fitSum += ea;
            trainedSum += eb;
            // Block by time, every column together: columns of one period share its weather, so they are not independent.
            int block = (origins[n] % data.ChannelRows - first) / h;
            if (block < blocks)
            {
                gain[block] += (ea - eb) / h;
                count[block]++;
            }
        }
        double fitMse = fitSum / a.Length, trainedMse = trainedSum / b.Length;
        double se = double.PositiveInfinity;
        if (blocks >= 2)
        {
            for (int i = 0; i < blocks; i++)
                gain[i] /= count[i];
            double mean = gain.Average();
            double variance = gain.Sum(g => (g - mean) * (g - mean)) / (blocks - 1);
            se = Math.Sqrt(variance / blocks);
        }
        return new EpochChoiceCheck(trainedEpoch, fitMse, trainedMse, se, blocks, KeptFit: !(fitMse - trainedMse > se));
    }
}

using LstmNative.Forecasting;

namespace LstmNative.Benchmarks;

/// <summary>
/// <c>ettensemble CSV ett-long|ett-long-backtest HORIZON all|OT RUN_DIR...</c>: the mean forecast of forecasters already
/// trained by <c>lstmnative forecast</c> on that protocol (each RUN_DIR holds a run's <c>model.safetensors</c>: seeds
/// 1–3 of one setting, or one seed of several settings) on the protocol's scored test windows: each member's test MSE /
/// MAE, then the ensemble's. Each member reads its own look-back (the window in its checkpoint's shape): the scored
/// origins are rows of the test period, the same for every window, so members of different look-backs forecast the same
/// windows and can be averaged. <c>all</c> scores every column channel-independently (<c>--targets all</c>), <c>OT</c>
/// the univariate target. A member with a highway is also scored with its head set to zero: the highway alone, the
/// linear part of the forecaster (for a run with <c>--highway-init ridge --freeze-highway</c>, exactly the closed-form
/// fit the LSTM was trained on top of), and so is the ensemble when every member has one.
/// </summary>
internal static class ForecastEnsemble
{
    public static void Run(string csv, string protocol, int horizon, string targets, string[] runs)
    {
        bool all = targets == "all";
        var table = ForecastDataSource.LoadCsv(csv, all ? "OT" : targets, allFeatures: all);
        ForecastData DataFor(int window)
        {
            var data = protocol switch
            {
                "ett-long" => ForecastData.EttLongHorizon(table, Path.GetFileName(csv), all ? "OT" : targets, window, horizon),
                "ett-long-backtest" => ForecastData.EttLongHorizonBacktest(table, Path.GetFileName(csv), all ? "OT" : targets, window, horizon),
                _ => throw new ArgumentException($"ettensemble: protocol '{protocol}' is not ett-long or ett-long-backtest"),
            };
            return all ? data.ChannelIndependent() : data;
        }

        var models = runs.Select(r => ForecasterCheckpoint.Load(Path.Combine(r, ForecastPipeline.ModelFile))).ToList();
        var data = models.Select(m => DataFor(m.Shape.Window)).ToList();
        var scored = data[0].ScoredTestOrigins;
        if (data.Any(d => !d.ScoredTestOrigins.AsSpan().SequenceEqual(scored)))
            throw new InvalidOperationException("ettensemble: the members' scored test windows differ");
        var actuals = data[0].Actuals(scored);
        for (int i = 0; i < models.Count; i++)
            Print(runs[i], ForecastMetrics.Compute(runs[i], ForecastTrainer.Predict(models[i], data[i], scored), actuals, horizon));
        Print($"mean of {models.Count}", ForecastMetrics.Compute("ensemble", ForecasterCheckpoint.Ensemble(models, data, scored), actuals, horizon));
        for (int i = 0; i < models.Count; i++)
        {
            if (models[i].Highway is null)
                continue;
            models[i].Head.Weight.Value.Clear();
            models[i].Head.Bias!.Value.Clear();
            Print($"{runs[i]} (highway alone)", ForecastMetrics.Compute(runs[i], ForecastTrainer.Predict(models[i], data[i], scored), actuals, horizon));
        }
        // The same mean with every head at zero: what averaging the linear parts alone gives, beside what the LSTMs add.
        if (models.All(m => m.Highway is not null))
            Print($"mean of {models.Count} (highways alone)", ForecastMetrics.Compute("ensemble", ForecasterCheckpoint.Ensemble(models, data, scored), actuals, horizon));
    }

    private static void Print(string name, ForecastMetrics m) =>
        Console.WriteLine(FormattableString.Invariant($"{name,-40} MSE {m.Mse:F5}  MAE {m.Mae:F5}  ({m.Windows} windows)"));
}

using LstmNative.Forecasting;

namespace LstmNative.Benchmarks;

/// <summary>
/// <c>ettensemble CSV WINDOW HORIZON all|OT RUN_DIR...</c>: the mean forecast of forecasters already trained by
/// <c>lstmnative forecast --protocol ett-long</c> (each RUN_DIR holds a run's <c>model.safetensors</c>, e.g. seeds 1–3)
/// on the long-horizon protocol's scored test windows: each member's test MSE / MAE, then the ensemble's. <c>all</c>
/// scores every column channel-independently (<c>--targets all</c>), <c>OT</c> the univariate target. A member with a
/// highway is also scored with its head set to zero: the highway alone, the linear part of the forecaster (for a run
/// with <c>--highway-init ridge --freeze-highway</c>, exactly the closed-form fit the LSTM was trained on top of).
/// </summary>
internal static class SeedEnsemble
{
    public static void Run(string csv, int window, int horizon, string targets, string[] runs)
    {
        bool all = targets == "all";
        var table = ForecastDataSource.LoadCsv(csv, all ? "OT" : targets, allFeatures: all);
        var data = ForecastData.EttLongHorizon(table, Path.GetFileName(csv), all ? "OT" : targets, window, horizon);
        if (all)
            data = data.ChannelIndependent();
        var scored = data.ScoredTestOrigins;
        var actuals = data.Actuals(scored);
        var models = runs.Select(r => ForecasterCheckpoint.Load(Path.Combine(r, ForecastPipeline.ModelFile))).ToList();
        for (int i = 0; i < models.Count; i++)
            Print(runs[i], ForecastMetrics.Compute(runs[i], ForecastTrainer.Predict(models[i], data, scored), actuals, horizon));
        Print($"mean of {models.Count}", ForecastMetrics.Compute("ensemble", ForecasterCheckpoint.Ensemble(models, data, scored), actuals, horizon));
        for (int i = 0; i < models.Count; i++)
        {
            if (models[i].Highway is null)
                continue;
            models[i].Head.Weight.Value.Clear();
            models[i].Head.Bias!.Value.Clear();
            Print($"{runs[i]} (highway alone)", ForecastMetrics.Compute(runs[i], ForecastTrainer.Predict(models[i], data, scored), actuals, horizon));
        }
    }

    private static void Print(string name, ForecastMetrics m) =>
        Console.WriteLine(FormattableString.Invariant($"{name,-40} MSE {m.Mse:F5}  MAE {m.Mae:F5}  ({m.Windows} windows)"));
}

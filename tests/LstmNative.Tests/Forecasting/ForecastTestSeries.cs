using LstmNative.Forecasting;
using LstmNative.Training.Data;

namespace LstmNative.Tests.Forecasting;

/// <summary>The synthetic series the forecasting tests share.</summary>
internal static class ForecastTestSeries
{
    /// <summary>
    /// Three columns of different scale and shape over the ETT protocol's 14,400 rows: "a" a daily sine, "b" a rising
    /// level near 100, "c" a weekly cosine, each with uniform noise.
    /// </summary>
    public static NumericTable ThreeColumns(int seed)
    {
        var random = new Random(seed);
        const int Rows = 14400;
        var data = new double[Rows * 3];
        for (int r = 0; r < Rows; r++)
        {
            data[r * 3] = Math.Sin(r * 2 * Math.PI / 24) + 0.1 * random.NextDouble();
            data[r * 3 + 1] = 100 + 0.01 * r + 5 * random.NextDouble();
            data[r * 3 + 2] = -3 * Math.Cos(r * 2 * Math.PI / 168) + random.NextDouble();
        }
        return new NumericTable(["a", "b", "c"], data);
    }

    /// <summary>
    /// Two columns: "driver", uniform noise, and "y", an AR(2) on a wandering level (so the window's last value matters
    /// and a linear fit is good but not perfect).
    /// </summary>
    public static NumericTable Ar2(int seed, int rows)
    {
        var rng = new Random(seed);
        var data = new double[rows * 2];
        double y1 = 0, y2 = 0, level = 0;
        for (int t = 0; t < rows; t++)
        {
            level += 0.05 * Normal(rng);
            double y = 1.3 * y1 - 0.5 * y2 + 0.3 * Normal(rng);
            (y2, y1) = (y1, y);
            data[t * 2] = rng.NextDouble();
            data[t * 2 + 1] = level + y;
        }
        return new NumericTable(["driver", "y"], data);
    }

    /// <summary>
    /// Runs a tiny forecasting job (one epoch of 128 windows, no linear baselines) in a temporary folder, hands its outcome
    /// and folder to <paramref name="check"/>, then deletes the folder.
    /// </summary>
    public static void RunTinyJob(ForecastData data, ForecasterShape shape, Action<ForecastOutcome, string> check)
    {
        var dir = Directory.CreateTempSubdirectory("lstmnative-ci-");
        try
        {
            var outcome = ForecastPipeline.Run(data, new ForecastJob(shape,
                new TrainingSettings(Epochs: 1, BatchSize: 64, WindowsPerEpoch: 128, Seed: 3), dir.FullName, LinearBaselines: false));
            check(outcome, dir.FullName);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}

using System.Text.Json;
using LstmNative.Formats;
using LstmNative.Training.Layers;

namespace LstmNative.Forecasting;

/// <summary>
/// Reads back the checkpoint a forecasting run writes (<see cref="ForecastPipeline.ModelFile"/>, format
/// <c>lstmnative.forecaster/1</c>): the shape from its metadata, every parameter by name. The reverse of the pipeline's
/// writer, so a finished run's model can forecast again (e.g. averaged with other seeds' models, <see cref="Ensemble"/>).
/// </summary>
public static class ForecasterCheckpoint
{
    /// <summary>The format tag the pipeline writes into the checkpoint's metadata.</summary>
    public const string Format = "lstmnative.forecaster/1";

    /// <summary>
    /// Loads a forecaster. Throws <see cref="ModelFormatException"/> when the file is not a forecaster checkpoint or a
    /// parameter is missing or has another shape.
    /// </summary>
    public static LstmForecaster<float> Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = SafetensorsReader.Read(path);
        if (!file.Metadata.TryGetValue("format", out string? format) || format != Format)
            throw new ModelFormatException($"{path}: not a forecaster checkpoint (metadata format '{format}', expected '{Format}')");
        var shape = file.Metadata.TryGetValue("shape", out string? json) ? JsonSerializer.Deserialize<ForecasterShape>(json) : null;
        if (shape is null)
            throw new ModelFormatException($"{path}: the checkpoint has no forecaster shape in its metadata");
        // The random initialisation is overwritten parameter by parameter below.
        var model = new LstmForecaster<float>(shape, new Random(0));
        foreach (var p in model.Parameters())
        {
            if (!file.Contains(p.Name))
                throw new ModelFormatException($"{path}: parameter '{p.Name}' is missing");
            var tensor = file.Read(p.Name);
            if (!p.Value.HasShape(tensor.Shape.ToArray()))
                throw new ModelFormatException($"{path}: parameter '{p.Name}' is [{string.Join(", ", tensor.Shape)}], the shape needs {p.Value}");
            tensor.ToFloats().CopyTo(p.Value.Data, 0);
        }
        model.Eval();
        return model;
    }

    /// <summary>
    /// The mean of several forecasters' standardized forecasts for <paramref name="origins"/>, <c>[n, horizon]</c>
    /// row-major (every model must fit the data's window and horizon): an ensemble over seeds.
    /// </summary>
    public static double[] Ensemble(IReadOnlyList<LstmForecaster<float>> models, ForecastData data, int[] origins)
    {
        ArgumentNullException.ThrowIfNull(models);
        if (models.Count == 0)
            throw new ArgumentException("an ensemble needs at least one model");
        double[]? sum = null;
        foreach (var model in models)
        {
            var forecast = ForecastTrainer.Predict(model, data, origins);
            if (sum is null)
                sum = forecast;
            else
                for (int i = 0; i < sum.Length; i++)
                    sum[i] += forecast[i];
        }
        for (int i = 0; i < sum!.Length; i++)
            sum[i] /= models.Count;
        return sum;
    }
}

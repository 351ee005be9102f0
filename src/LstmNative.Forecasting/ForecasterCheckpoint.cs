using System.Text.Json;
using LstmNative.Formats;
using LstmNative.Training.Data;
using LstmNative.Training.Layers;

namespace LstmNative.Forecasting;

/// <summary>
/// Reads back the checkpoint a forecasting run writes (<see cref="ForecastPipeline.ModelFile"/>, format
/// <c>lstmnative.forecaster/1</c>): the shape from its metadata, every parameter by name. The reverse of the pipeline's
/// writer, so a finished run's model can forecast again (e.g. averaged with other seeds' models, <see cref="Ensemble(IReadOnlyList{LstmForecaster{float}}, ForecastData, int[])"/>).
/// </summary>
public static class ForecasterCheckpoint
{
    /// <summary>The format tag the pipeline writes into the checkpoint's metadata.</summary>
    public const string Format = "lstmnative.forecaster/1";

    /// <summary>
    /// The metadata key of a quantile forecaster's CQR correction per lead step (standardized scale; optional: written by
    /// a finished run with validation windows whose correction is finite at every step).
    /// </summary>
    public const string ConformalCorrectionKey = "conformal_correction";

    /// <summary>
    /// Loads a forecaster. Throws <see cref="ModelFormatException"/> when the file is not a forecaster checkpoint or a
    /// parameter is missing or has another shape.
    /// </summary>
    public static LstmForecaster<float> Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = SafetensorsReader.Read(path);
        return ReadModel(file, path, ReadShape(file, path));
    }

    /// <summary>
    /// Loads a forecaster with what it needs to forecast new data (<see cref="SavedForecaster"/>): the columns it reads
    /// and the training split's standardization, from the checkpoint's metadata. Throws
    /// <see cref="ModelFormatException"/> when the file is not a forecaster checkpoint or its metadata or parameters
    /// are missing or inconsistent with each other.
    /// </summary>
    public static SavedForecaster Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = SafetensorsReader.Read(path);
        var shape = ReadShape(file, path);
        string[] columns = Metadata<string[]>(file, path, "columns");
        double[] mean = Metadata<double[]>(file, path, "scaler_mean"), std = Metadata<double[]>(file, path, "scaler_std");
        string target = file.Metadata.TryGetValue("target", out string? t) ? t : throw new ModelFormatException($"{path}: the checkpoint names no target");
        StandardScaler scaler;
        try
        {
            scaler = StandardScaler.FromStatistics(mean, std);
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException($"{path}: the checkpoint's standardization is unusable: {e.Message}");
        }
        if (columns.Length != mean.Length || columns.Any(string.IsNullOrEmpty) || columns.Distinct(StringComparer.Ordinal).Count() != columns.Length)
            throw new ModelFormatException($"{path}: the checkpoint names {columns.Length} columns (distinct, non-empty names needed) for {mean.Length} standardized ones");
        // Channel-independent runs store one univariate model and every column it forecasts; others the model's inputs.
        bool channelIndependent = shape.Features == 1 && columns.Length > 1;
        if (!channelIndependent && (columns.Length != shape.Features || columns[shape.TargetFeature] != target))
            throw new ModelFormatException($"{path}: the model reads {shape.Features} features with target {shape.TargetFeature}, " +
                $"the metadata names columns [{string.Join(", ", columns)}] and target '{target}'");
        double[]? correction = null;
        if (file.Metadata.ContainsKey(ConformalCorrectionKey))
        {
            correction = Metadata<double[]>(file, path, ConformalCorrectionKey);
            if (shape.Quantiles is null || correction.Length != shape.Horizon || !correction.All(double.IsFinite))
                throw new ModelFormatException($"{path}: the checkpoint's conformal correction ({correction.Length} values) needs quantile heads " +
                    $"and one finite value per lead step ({shape.Horizon})");
        }
        return new SavedForecaster(ReadModel(file, path, shape), columns, scaler, channelIndependent, correction);
    }

    private static ForecasterShape ReadShape(SafetensorsFile file, string path)
    {
        if (!file.Metadata.TryGetValue("format", out string? format) || format != Format)
            throw new ModelFormatException($"{path}: not a forecaster checkpoint (metadata format '{format}', expected '{Format}')");
        var shape = Metadata<ForecasterShape>(file, path, "shape");
        try
        {
            shape.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException($"{path}: the checkpoint's forecaster shape is invalid: {e.Message}");
        }
        // A few bytes of hostile metadata must not make the model allocate gigabytes before its parameters are compared:
        // the recurrent weights and the head alone are this many elements, and the file must hold at least as many.
        Int128 least = (Int128)shape.Layers * 4 * shape.Hidden * shape.Hidden + (Int128)shape.Outputs * shape.Hidden;
        Int128 stored = 0;
        foreach (var tensor in file.Tensors)
            stored += tensor.Shape.Aggregate((Int128)1, (n, d) => n * d);
        if (stored < least)
            throw new ModelFormatException($"{path}: the shape needs at least {least} parameters, the file stores {stored}");
        return shape;
    }

    private static LstmForecaster<float> ReadModel(SafetensorsFile file, string path, ForecasterShape shape)
    {
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

    private static T Metadata<T>(SafetensorsFile file, string path, string key)
    {
        if (!file.Metadata.TryGetValue(key, out string? json))
            throw new ModelFormatException($"{path}: the checkpoint's metadata has no '{key}' (written by every finished forecast run)");
        try
        {
            return JsonSerializer.Deserialize<T>(json) ?? throw new ModelFormatException($"{path}: the checkpoint's '{key}' is null");
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"{path}: the checkpoint's '{key}' is not valid: {e.Message}");
        }
    }

    /// <summary>
    /// The mean of several forecasters' standardized forecasts for <paramref name="origins"/>, <c>[n, horizon]</c>
    /// row-major (every model must fit the data's window and horizon): an ensemble over seeds.
    /// </summary>
    public static double[] Ensemble(IReadOnlyList<LstmForecaster<float>> models, ForecastData data, int[] origins)
    {
        ArgumentNullException.ThrowIfNull(models);
        return Ensemble(models, Enumerable.Repeat(data, models.Count).ToArray(), origins);
    }

    /// <summary>
    /// The mean of several forecasters' standardized forecasts for <paramref name="origins"/>, each model reading its own
    /// <paramref name="data"/> (e.g. the same series cut to each model's look-back; origins are rows, so they name the same
    /// forecast in each): an ensemble over settings as well as seeds. Every data must hold the same target series.
    /// </summary>
    public static double[] Ensemble(IReadOnlyList<LstmForecaster<float>> models, IReadOnlyList<ForecastData> data, int[] origins)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(data);
        if (models.Count == 0)
            throw new ArgumentException("an ensemble needs at least one model");
        if (data.Count != models.Count)
            throw new ArgumentException($"an ensemble of {models.Count} models needs as many data, not {data.Count}");
        // The members' forecasts are averaged element by element, so they must be forecasts of the same thing: the same
        // horizon, and all point forecasts or all quantiles of the same levels.
        var first = models[0].Shape;
        for (int m = 1; m < models.Count; m++)
        {
            var shape = models[m].Shape;
            if (shape.Horizon != first.Horizon)
                throw new ArgumentException($"ensemble member {m} forecasts {shape.Horizon} steps, member 0 {first.Horizon}: members must share the horizon");
            if (!SameLevels(shape.Quantiles, first.Quantiles))
                throw new ArgumentException($"ensemble member {m} gives {Levels(shape.Quantiles)}, member 0 {Levels(first.Quantiles)}: members must forecast the same quantities");
        }
        double[]? sum = null;
        for (int m = 0; m < models.Count; m++)
        {
            var forecast = ForecastTrainer.Predict(models[m], data[m], origins);
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

    private static bool SameLevels(IReadOnlyList<double>? a, IReadOnlyList<double>? b) =>
        a is null ? b is null : b is not null && a.SequenceEqual(b);

    private static string Levels(IReadOnlyList<double>? levels) =>
        levels is null ? "point forecasts" : "quantiles " + string.Join("/", levels.Select(l => l.ToString(System.Globalization.CultureInfo.InvariantCulture)));
}

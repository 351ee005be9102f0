namespace LstmNative.Training.Data;

/// <summary>
/// Standardizes each feature to zero mean and unit variance, as scikit-learn's <c>StandardScaler</c>
/// (population standard deviation; a constant feature is only centered).
/// </summary>
public sealed class StandardScaler : FeatureScaler
{
    /// <summary>Per-feature means of the training data.</summary>
    public IReadOnlyList<double> Mean { get; private set; } = [];

    /// <summary>Per-feature population standard deviations of the training data.</summary>
    public IReadOnlyList<double> StandardDeviation { get; private set; } = [];

    /// <summary>
    /// A fitted one-feature scaler with feature <paramref name="feature"/>'s statistics, exactly as this scaler holds
    /// them: for data that keeps one column of a table scaled with the others' training statistics.
    /// </summary>
    public StandardScaler Select(int feature)
    {
        if ((uint)feature >= (uint)Mean.Count)
            throw new ArgumentOutOfRangeException(nameof(feature), $"feature {feature} is outside [0, {Mean.Count}) (or the scaler is not fitted)");
        return FromStatistics([Mean[feature]], [StandardDeviation[feature]]);
    }

    /// <summary>
    /// A fitted scaler with the given per-feature means and population standard deviations (as a saved model stores
    /// them), scaling exactly as <see cref="FeatureScaler.Fit(NumericTable)"/> would have with those statistics: a zero
    /// deviation only centers. Throws <see cref="ArgumentException"/> for mismatched lengths, no features, or a mean or
    /// deviation that is not finite (or a negative deviation).
    /// </summary>
    public static StandardScaler FromStatistics(IReadOnlyList<double> mean, IReadOnlyList<double> standardDeviation)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(standardDeviation);
        if (mean.Count == 0 || mean.Count != standardDeviation.Count)
            throw new ArgumentException($"{mean.Count} means and {standardDeviation.Count} standard deviations: one of each per feature is needed");
        var scale = new double[mean.Count];
        var shift = new double[mean.Count];
        for (int c = 0; c < mean.Count; c++)
        {
            double m = mean[c], sd = standardDeviation[c];
            if (!double.IsFinite(m) || !double.IsFinite(sd) || sd < 0)
                throw new ArgumentException($"feature {c}: mean {m} and standard deviation {sd} are not a finite mean and a non-negative finite deviation");
            double s = sd > 0 ? sd : 1.0;
            (scale[c], shift[c]) = (1.0 / s, -m / s);
        }
        var scaler = new StandardScaler { Mean = [.. mean], StandardDeviation = [.. standardDeviation] };
        scaler.SetFitted(scale, shift);
        return scaler;
    }

    /// <inheritdoc/>
    protected override void FitFeatures(ReadOnlySpan<double> data, int features, Span<double> scale, Span<double> shift)
    {
        int rows = data.Length / features;
        var mean = new double[features];
        var std = new double[features];
        for (int c = 0; c < features; c++)
        {
            double sum = 0;
            for (int r = 0; r < rows; r++)
                sum += data[r * features + c];
            double m = sum / rows, sq = 0;
            for (int r = 0; r < rows; r++)
                sq += (data[r * features + c] - m) * (data[r * features + c] - m);
            mean[c] = m;
            std[c] = Math.Sqrt(sq / rows);
            double s = std[c] > 0 ? std[c] : 1.0;
            scale[c] = 1.0 / s;
            shift[c] = -m / s;
        }
        Mean = mean;
        StandardDeviation = std;
    }
}

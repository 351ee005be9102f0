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

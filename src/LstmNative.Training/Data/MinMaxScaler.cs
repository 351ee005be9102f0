namespace LstmNative.Training.Data;

/// <summary>
/// Maps each feature's training range [min, max] linearly onto [<see cref="RangeMin"/>, <see cref="RangeMax"/>],
/// as scikit-learn's <c>MinMaxScaler</c> (a constant feature is only shifted). Later data may fall outside the range.
/// </summary>
public sealed class MinMaxScaler : FeatureScaler
{
    /// <summary>Creates the scaler for the target range (default [0, 1]).</summary>
    public MinMaxScaler(double rangeMin = 0, double rangeMax = 1)
    {
        if (!(rangeMin < rangeMax))
            throw new ArgumentException($"the target range must be increasing, got [{rangeMin}, {rangeMax}]");
        RangeMin = rangeMin;
        RangeMax = rangeMax;
    }

    /// <summary>Lower end of the target range.</summary>
    public double RangeMin { get; }

    /// <summary>Upper end of the target range.</summary>
    public double RangeMax { get; }

    /// <summary>Per-feature minima of the training data.</summary>
    public IReadOnlyList<double> DataMin { get; private set; } = [];

    /// <summary>Per-feature maxima of the training data.</summary>
    public IReadOnlyList<double> DataMax { get; private set; } = [];

    /// <inheritdoc/>
    protected override void FitFeatures(ReadOnlySpan<double> data, int features, Span<double> scale, Span<double> shift)
    {
        int rows = data.Length / features;
        var min = new double[features];
        var max = new double[features];
        for (int c = 0; c < features; c++)
        {
            double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
            for (int r = 0; r < rows; r++)
            {
                lo = Math.Min(lo, data[r * features + c]);
                hi = Math.Max(hi, data[r * features + c]);
            }
            min[c] = lo;
            max[c] = hi;
            double range = hi > lo ? hi - lo : 1.0;
            scale[c] = (RangeMax - RangeMin) / range;
            shift[c] = RangeMin - lo * scale[c];
        }
        DataMin = min;
        DataMax = max;
    }
}

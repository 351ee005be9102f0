namespace LstmNative.Training.Data;

/// <summary>
/// A per-feature affine scaler <c>x' = x * scale + shift</c>, fitted on training data only and then applied to
/// every split (fitting on validation or test data would leak their statistics into training).
/// Data are row-major <c>[rows, features]</c>.
/// </summary>
public abstract class FeatureScaler
{
    private double[] _scale = [], _shift = [];

    /// <summary>Number of features seen by <see cref="Fit(ReadOnlySpan{double}, int)"/>, 0 before.</summary>
    public int FeatureCount => _scale.Length;

    /// <summary>Whether <see cref="Fit(ReadOnlySpan{double}, int)"/> has run.</summary>
    public bool IsFitted => _scale.Length > 0;

    /// <summary>Learns per-feature statistics from row-major training data.</summary>
    public void Fit(ReadOnlySpan<double> data, int features)
    {
        if (features < 1 || data.Length == 0 || data.Length % features != 0)
            throw new ArgumentException($"cannot fit on {data.Length} values of {features} features");
        foreach (double v in data)
            if (!double.IsFinite(v))
                throw new ArgumentException("cannot fit a scaler on NaN or infinite values");
        var scale = new double[features];
        var shift = new double[features];
        FitFeatures(data, features, scale, shift);
        _scale = scale;
        _shift = shift;
    }

    /// <summary>Fits on every column of a (training) table.</summary>
    public void Fit(NumericTable train)
    {
        ArgumentNullException.ThrowIfNull(train);
        Fit(train.Data, train.ColumnCount);
    }

    /// <summary>Scales row-major data of <see cref="FeatureCount"/> features.</summary>
    public void Transform(ReadOnlySpan<double> source, Span<double> destination) => Apply(source, destination, inverse: false);

    /// <summary>Undoes <see cref="Transform(ReadOnlySpan{double}, Span{double})"/>.</summary>
    public void InverseTransform(ReadOnlySpan<double> source, Span<double> destination) => Apply(source, destination, inverse: true);

    /// <summary>A scaled copy of a table with the fitted feature count.</summary>
    public NumericTable Transform(NumericTable table)
    {
        CheckColumns(table);
        var data = new double[table.Data.Length];
        Transform(table.Data, data);
        return new NumericTable(table.Columns, data);
    }

    /// <summary>An unscaled copy of a table with the fitted feature count.</summary>
    public NumericTable InverseTransform(NumericTable table)
    {
        CheckColumns(table);
        var data = new double[table.Data.Length];
        InverseTransform(table.Data, data);
        return new NumericTable(table.Columns, data);
    }

    /// <summary>Scales, in place, values that all belong to feature <paramref name="feature"/>.</summary>
    public void TransformFeature(Span<double> values, int feature)
    {
        CheckFeature(feature);
        for (int i = 0; i < values.Length; i++)
            values[i] = values[i] * _scale[feature] + _shift[feature];
    }

    /// <summary>
    /// Unscales, in place, values that all belong to feature <paramref name="feature"/>: how a forecaster turns its
    /// scaled predictions of the target column back into the data's units.
    /// </summary>
    public void InverseTransformFeature(Span<double> values, int feature)
    {
        CheckFeature(feature);
        for (int i = 0; i < values.Length; i++)
            values[i] = (values[i] - _shift[feature]) / _scale[feature];
    }

    /// <summary>
    /// Takes fitted parameters a subclass already holds (e.g. one feature of another fitted scaler), instead of fitting.
    /// </summary>
    protected void SetFitted(double[] scale, double[] shift)
    {
        ArgumentNullException.ThrowIfNull(scale);
        ArgumentNullException.ThrowIfNull(shift);
        if (scale.Length == 0 || scale.Length != shift.Length)
            throw new ArgumentException($"expected matching, non-empty scale and shift, got {scale.Length} and {shift.Length} values");
        _scale = scale;
        _shift = shift;
    }

    /// <summary>
    /// Computes, for each feature, <c>scale</c> and <c>shift</c> such that <c>x * scale + shift</c> is the scaled value;
    /// <c>scale</c> must be non-zero (constant features get a neutral scale).
    /// </summary>
    protected abstract void FitFeatures(ReadOnlySpan<double> data, int features, Span<double> scale, Span<double> shift);

    private void Apply(ReadOnlySpan<double> source, Span<double> destination, bool inverse)
    {
        if (!IsFitted)
            throw new InvalidOperationException("the scaler is not fitted; call Fit on the training data first");
        int f = FeatureCount;
        if (source.Length % f != 0 || destination.Length != source.Length)
            throw new ArgumentException($"expected matching row-major spans of {f} features, got {source.Length} and {destination.Length} values");
        for (int i = 0; i < source.Length; i++)
        {
            int c = i % f;
            destination[i] = inverse ? (source[i] - _shift[c]) / _scale[c] : source[i] * _scale[c] + _shift[c];
        }
    }

    private void CheckColumns(NumericTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (IsFitted && table.ColumnCount != FeatureCount)
            throw new ArgumentException($"the scaler was fitted on {FeatureCount} features but the table has {table.ColumnCount} columns");
    }

    private void CheckFeature(int feature)
    {
        if (!IsFitted)
            throw new InvalidOperationException("the scaler is not fitted; call Fit on the training data first");
        if ((uint)feature >= (uint)FeatureCount)
            throw new ArgumentOutOfRangeException(nameof(feature), $"feature {feature} is outside [0, {FeatureCount})");
    }
}

using LstmNative.Training;
using LstmNative.Training.Losses;

namespace LstmNative.Forecasting;

/// <summary>
/// A quantile forecaster's output for a set of windows, <c>[windows, horizon, Q]</c> (levels innermost, as the heads
/// give them), made monotone: heads trained separately can cross, so each lead step's values are sorted ("rearrangement",
/// Chernozhukov, Fernández-Val and Galichon, 2010, which never makes the pinball loss worse). The interval is the band
/// between the lowest and the highest level; the point forecast is the median head.
/// </summary>
public sealed class QuantileForecasts
{
    private readonly double[] _values;

    /// <summary>Takes the heads' raw output <paramref name="raw"/> <c>[windows, horizon · Q]</c> for <paramref name="levels"/> (increasing, with 0.5).</summary>
    public QuantileForecasts(IReadOnlyList<double> levels, ReadOnlySpan<double> raw, int horizon)
    {
        ArgumentNullException.ThrowIfNull(levels);
        int q = levels.Count;
        if (q < 2 || horizon < 1 || raw.IsEmpty || raw.Length % (horizon * q) != 0)
            throw new ArgumentException($"raw quantile forecasts ({raw.Length} values) must be [windows, {horizon} * {q}]");
        Median = IndexOf(levels, 0.5);
        Levels = [.. levels];
        Horizon = horizon;
        Windows = raw.Length / (horizon * q);
        _values = raw.ToArray();
        int crossed = 0;
        for (int i = 0; i < _values.Length; i += q)
        {
            var group = _values.AsSpan(i, q);
            for (int k = 1; k < q; k++)
                if (group[k] < group[k - 1])
                {
                    crossed++;
                    break;
                }
            group.Sort(); // NaN sorts first: a NaN forecast stays NaN and is never inside an interval
        }
        CrossedShare = (double)crossed / (Windows * horizon);
    }

    /// <summary>The quantile levels, increasing.</summary>
    public IReadOnlyList<double> Levels { get; }

    /// <summary>Lead steps per window.</summary>
    public int Horizon { get; }

    /// <summary>Windows forecast.</summary>
    public int Windows { get; }

    /// <summary>Index of the median among <see cref="Levels"/>.</summary>
    public int Median { get; }

    /// <summary>Share of (window, lead step) pairs whose heads were out of order before sorting.</summary>
    public double CrossedShare { get; }

    /// <summary>The nominal coverage of the band between the lowest and the highest level (0.8 for 0.1 and 0.9).</summary>
    public double Nominal => Levels[^1] - Levels[0];

    /// <summary>The forecasts of level <paramref name="index"/> (after sorting), <c>[windows, horizon]</c>.</summary>
    public double[] Level(int index)
    {
        if ((uint)index >= (uint)Levels.Count)
            throw new ArgumentOutOfRangeException(nameof(index));
        int q = Levels.Count;
        var result = new double[Windows * Horizon];
        for (int i = 0; i < result.Length; i++)
            result[i] = _values[i * q + index];
        return result;
    }

    /// <summary>The point forecast: the median head, <c>[windows, horizon]</c>.</summary>
    public double[] PointForecast() => Level(Median);

    /// <summary>The band's lower edge (lowest level), <c>[windows, horizon]</c>.</summary>
    public double[] Lower() => Level(0);

    /// <summary>The band's upper edge (highest level), <c>[windows, horizon]</c>.</summary>
    public double[] Upper() => Level(Levels.Count - 1);

    /// <summary>
    /// Split-conformal widening of the band (conformalized quantile regression, Romano, Patterson and Candès, 2019) from
    /// forecasts and <paramref name="actuals"/> <c>[windows, horizon]</c> of held-out windows (the validation split): for
    /// each lead step the scores <c>max(lower − y, y − upper)</c>, and the correction is their
    /// <c>⌈(n + 1)·nominal⌉</c>-th smallest (infinite when that exceeds n). Negative corrections narrow a band that was
    /// too wide. Exchangeable windows would make the widened band's coverage at least nominal; overlapping windows of one
    /// series are not exchangeable, so it is a calibration, not a guarantee.
    /// </summary>
    public double[] ConformalCorrection(ReadOnlySpan<double> actuals)
    {
        if (actuals.Length != Windows * Horizon)
            throw new ArgumentException($"actuals ({actuals.Length}) must be [{Windows}, {Horizon}]");
        var lower = Lower();
        var upper = Upper();
        int n = Windows, rank = (int)Math.Ceiling((n + 1) * Nominal);
        var correction = new double[Horizon];
        var scores = new double[n];
        for (int h = 0; h < Horizon; h++)
        {
            for (int i = 0; i < n; i++)
            {
                int j = i * Horizon + h;
                scores[i] = Math.Max(lower[j] - actuals[j], actuals[j] - upper[j]);
            }
            if (rank > n)
            {
                correction[h] = double.PositiveInfinity;
                continue;
            }
            Array.Sort(scores); // NaN scores sort first and are never chosen unless most scores are NaN
            correction[h] = scores[rank - 1];
        }
        return correction;
    }

    /// <summary>
    /// Scores the band on <paramref name="actuals"/> <c>[windows, horizon]</c> (standardized scale), widened by
    /// <paramref name="correction"/> per lead step when given (<see cref="ConformalCorrection"/>);
    /// <paramref name="scale"/> converts widths to the data's units (the target's standard deviation).
    /// </summary>
    public IntervalReport Score(string method, ReadOnlySpan<double> actuals, double scale, double[]? correction = null)
    {
        ArgumentNullException.ThrowIfNull(method);
        int n = Windows, horizon = Horizon, q = Levels.Count;
        if (actuals.Length != n * horizon)
            throw new ArgumentException($"actuals ({actuals.Length}) must be [{n}, {horizon}]");
        if (correction is not null && correction.Length != horizon)
            throw new ArgumentException($"the correction must have one value per lead step ({horizon})");
        var lower = Lower();
        var upper = Upper();
        if (correction is not null)
            for (int i = 0; i < lower.Length; i++)
            {
                lower[i] -= correction[i % horizon];
                upper[i] += correction[i % horizon];
            }
        var coverage = new double[horizon];
        var width = new double[horizon];
        var lo = new double[n];
        var hi = new double[n];
        var y = new double[n];
        for (int h = 0; h < horizon; h++)
        {
            for (int i = 0; i < n; i++)
            {
                lo[i] = lower[i * horizon + h];
                hi[i] = upper[i * horizon + h];
                y[i] = actuals[i * horizon + h];
            }
            (coverage[h], width[h]) = QuantileLoss<double>.Interval(lo, hi, y);
        }
        var (all, meanWidth) = QuantileLoss<double>.Interval(lower, upper, actuals);
        var below = new double[q];
        for (int k = 0; k < q; k++)
        {
            var level = Level(k);
            int count = 0;
            for (int i = 0; i < level.Length; i++)
                if (actuals[i] < level[i])
                    count++;
            below[k] = (double)count / level.Length;
        }
        double pinball = new QuantileLoss<double>(Levels).Forward(Tensor<double>.FromDoubles(_values, n, horizon * q),
            Tensor<double>.FromDoubles(actuals, n, horizon));
        return new IntervalReport(method, [.. Levels], Levels[0], Levels[^1], Nominal, n, all, meanWidth, meanWidth * scale,
            coverage, width, below, pinball, CrossedShare, correction);
    }

    private static int IndexOf(IReadOnlyList<double> levels, double level)
    {
        for (int i = 0; i < levels.Count; i++)
            if (levels[i] == level)
                return i;
        throw new ArgumentException($"the levels ({string.Join(", ", levels)}) must include {level}");
    }
}

/// <summary>How a prediction interval did on the test split (the report's <c>intervals</c>).</summary>
/// <param name="Method">How the band was made: the quantile heads, or the heads conformalized on the validation split.</param>
/// <param name="Quantiles">The heads' levels.</param>
/// <param name="Lower">The level of the band's lower edge.</param>
/// <param name="Upper">The level of the band's upper edge.</param>
/// <param name="Nominal">Nominal coverage, <c>upper − lower</c>.</param>
/// <param name="Windows">Test windows scored.</param>
/// <param name="Coverage">Share of actual values inside the band, over every window and lead step.</param>
/// <param name="MeanWidth">Mean band width, standardized scale.</param>
/// <param name="MeanWidthUnits">Mean band width in the data's units.</param>
/// <param name="CoveragePerStep">Coverage at each lead step 1 … horizon.</param>
/// <param name="MeanWidthPerStep">Mean width at each lead step (standardized scale).</param>
/// <param name="ShareBelow">For each level, the share of actual values below its head's forecast (calibration: ideally the
/// level); the heads' own, before any conformal correction.</param>
/// <param name="PinballLoss">Mean pinball loss of the (sorted) heads, standardized scale, before any conformal correction.</param>
/// <param name="CrossedShare">Share of (window, step) pairs whose heads crossed before sorting.</param>
/// <param name="CorrectionPerStep">The conformal widening per lead step (standardized scale), or null for the heads' own band.</param>
public sealed record IntervalReport(string Method, double[] Quantiles, double Lower, double Upper, double Nominal, int Windows, double Coverage,
    double MeanWidth, double MeanWidthUnits, double[] CoveragePerStep, double[] MeanWidthPerStep, double[] ShareBelow, double PinballLoss,
    double CrossedShare, double[]? CorrectionPerStep);

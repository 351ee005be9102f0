using LstmNative.Training;
using System.Numerics;

namespace LstmNative.Forecasting;

/// <summary>What <see cref="HighwayRidge.Fit"/> chose.</summary>
/// <param name="Penalty">The ridge penalty, relative to the mean diagonal of the normal equations.</param>
/// <param name="ValidationMse">The forecaster's validation MSE with the fitted highway and a zero head (standardized scale).</param>
/// <param name="TrainingWindows">Training windows the normal equations were built from.</param>
/// <param name="Seconds">Wall time of the fit.</param>
/// <param name="Weight">The fitted highway weights <c>[outputs, window]</c> as written into the model (a copy; not in the report).</param>
/// <param name="Bias">The fitted highway bias <c>[outputs]</c> (a copy; not in the report).</param>
public sealed record HighwayFit(double Penalty, double ValidationMse, int TrainingWindows, double Seconds,
    [property: System.Text.Json.Serialization.JsonIgnore] float[] Weight, [property: System.Text.Json.Serialization.JsonIgnore] float[] Bias)
{
    /// <summary>
    /// The fitted linear model alone: a forecaster of <paramref name="shape"/> whose highway holds this fit and whose
    /// head is zero, so its forecast is exactly the closed-form fit's (the baseline the trained LSTM is measured against).
    /// </summary>
    public LstmForecaster<float> LinearModel(ForecasterShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var model = new LstmForecaster<float>(shape, new Random(0)); // head and highway start at zero
        if (model.Highway is null || model.Highway.Weight.Value.Length != Weight.Length || model.Highway.Bias!.Value.Length != Bias.Length)
            throw new ArgumentException($"the fit is for a highway of {Weight.Length} weights; shape {shape} has another");
        Weight.CopyTo(model.Highway.Weight.Value.Data, 0);
        Bias.CopyTo(model.Highway.Bias.Value.Data, 0);
        return model;
    }
}

/// <summary>
/// Fits an <see cref="LstmForecaster{T}"/>'s highway in closed form before the LSTM trains: ridge least squares of the
/// change from the last value on the window made relative to it (the forecaster's own coordinates, so with the head at
/// zero the model <em>is</em> that linear forecaster), over every training window, the penalty chosen on the
/// validation windows. That linear model is shift-equivariant (adding a constant to the window adds it to the
/// forecast), which NLinear and RLinear showed to be a strong forecaster on distribution-shifted data such as ETTh2; the
/// LSTM then only has to learn what it misses, starting from its forecast rather than from persistence.
/// </summary>
/// <remarks>
/// With <see cref="ForecasterShape.InstanceScale"/> the highway sees the window divided by its scale and its output is
/// multiplied back by it, so each window's equations are weighted by its scale squared: the fit minimises exactly the
/// squared error the trainer's MSE measures. Quantile heads all start from the same (mean) fit; the pinball loss then
/// moves them apart.
/// </remarks>
public static class HighwayRidge
{
    /// <summary>Penalties tried, relative to the mean diagonal of the training normal equations.</summary>
    public static IReadOnlyList<double> Grid { get; } = [1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1, 3, 10, 30, 100];

    // Windows per accumulation block: the block's transposed design matrix stays in cache while every dot product reads it.
    private const int Block = 512;

    /// <summary>
    /// Fits <paramref name="model"/>'s highway (weights and bias, replaced) on <paramref name="data"/>'s training windows,
    /// choosing the penalty from <see cref="Grid"/> on its validation windows. The LSTM and head are not touched.
    /// </summary>
    public static HighwayFit Fit(LstmForecaster<float> model, ForecastData data, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        var shape = model.Shape;
        if (model.Highway is null)
            throw new ArgumentException("the forecaster has no highway to fit (--highway false)");
        shape.RequireMatches(data);
        if (data.TrainOrigins.Length <= shape.Window)
            throw new ArgumentException($"fitting the highway on a window of {shape.Window} needs more than {shape.Window} training windows, got {data.TrainOrigins.Length}");
        if (data.ValidationOrigins.Length == 0)
            throw new ArgumentException("choosing the highway's penalty needs validation windows; the split has none");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var train = Equations.Build(shape, data, data.TrainOrigins, cancel);
        var validation = Equations.Build(shape, data, data.ValidationOrigins, cancel);
        int p = train.P, horizon = shape.Horizon;
        double meanDiagonal = 0;
        for (int i = 0; i < p; i++)
            meanDiagonal += train.Gram[i * p + i];
        meanDiagonal /= p;

        double[]? best = null;
        double bestMse = double.PositiveInfinity, bestPenalty = double.NaN;
        foreach (double penalty in Grid)
        {
            cancel.ThrowIfCancellationRequested();
            var a = (double[])train.Gram.Clone();
            for (int i = 0; i < p - 1; i++)
                a[i * p + i] += penalty * meanDiagonal;
            a[(p - 1) * p + p - 1] += 1e-9 * meanDiagonal; // the bias is not penalised; conditioning only
            double[] factor;
            try
            {
                factor = RidgeSolver.Cholesky(a, p);
            }
            catch (InvalidOperationException)
            {
                continue; // too small a penalty for these windows: the next one is larger
            }
            var coefficients = new double[horizon * p];
            for (int h = 0; h < horizon; h++)
                RidgeSolver.Solve(factor, p, train.Rhs.AsSpan(h * p, p), coefficients.AsSpan(h * p, p));
            double mse = validation.MeanSquaredError(coefficients);
            if (mse < bestMse)
                (best, bestMse, bestPenalty) = (coefficients, mse, penalty);
        }
        if (best is null)
            throw new InvalidOperationException("the highway's normal equations are singular for every penalty (is the series constant?)");

        var weight = model.Highway.Weight.Value.Data;
        var bias = model.Highway.Bias!.Value.Data;
        int levels = shape.OutputsPerStep, w = shape.Window;
        for (int h = 0; h < horizon; h++)
            for (int q = 0; q < levels; q++)
            {
                int row = h * levels + q;
                for (int t = 0; t < w; t++)
                    weight[row * w + t] = (float)best[h * p + t];
                bias[row] = (float)best[h * p + w];
            }
        return new HighwayFit(bestPenalty, bestMse, data.TrainOrigins.Length, clock.Elapsed.TotalSeconds, (float[])weight.Clone(), (float[])bias.Clone());
    }

    /// <summary>
    /// Weighted normal equations over a set of windows: <c>G = Σ ω a aᵀ</c> and <c>R_h = Σ ω z_h a</c> with
    /// <c>a</c> the relative target window and a 1 (the bias), <c>z</c> the change to predict in the window's scale,
    /// <c>ω</c> that scale squared; and <c>Σ ω |z|²</c>, so a fit's mean squared error follows from them alone.
    /// </summary>
    private sealed class Equations(int p, int horizon, long count, double[] gram, double[] rhs, double targetEnergy)
    {
        public int P => p;

        public double[] Gram => gram;

        public double[] Rhs => rhs;

        public static Equations Build(ForecasterShape shape, ForecastData data, int[] origins, CancellationToken cancel)
        {
            int w = shape.Window, f = shape.Features, horizon = shape.Horizon, p = w + 1;
            var gram = new double[p * p];
            var rhs = new double[horizon * p];
            double energy = 0;
            int block = Math.Min(Block, origins.Length);
            var x = new Tensor<float>(block, w, f);
            var y = new Tensor<float>(block, horizon);
            var relative = new float[w * f];
            var targetWindow = new float[w];
            var scales = new float[f];
            var a = new double[p * block]; // [feature, window]: each feature's values over the block are contiguous
            var z = new double[horizon * block];
            for (int start = 0; start < origins.Length; start += block)
            {
                cancel.ThrowIfCancellationRequested();
                int n = Math.Min(block, origins.Length - start);
                if (n != x.Dim(0))
                {
                    x = new Tensor<float>(n, w, f);
                    y = new Tensor<float>(n, horizon);
                }
                data.Fill<float>(origins.AsSpan(start, n), x, y);
                for (int j = 0; j < n; j++)
                {
                    float last = shape.MakeRelative<float>(x.Data.AsSpan(j * w * f, w * f), relative, targetWindow, scales);
                    double scale = scales[shape.TargetFeature];
                    // Weighting by scale² (rows by scale) makes the fit's squared error the one on the data's scale.
                    for (int t = 0; t < w; t++)
                        a[t * n + j] = targetWindow[t] * scale;
                    a[w * n + j] = scale;
                    for (int h = 0; h < horizon; h++)
                    {
                        double change = y.Data[j * horizon + h] - last; // = scale · z
                        z[h * n + j] = change;
                        energy += change * change;
                    }
                }
                Accumulate(a, z, n, p, horizon, gram, rhs);
            }
            for (int i = 0; i < p; i++)
                for (int j = i + 1; j < p; j++)
                    gram[i * p + j] = gram[j * p + i];
            return new Equations(p, horizon, origins.Length, gram, rhs, energy);
        }

        /// <summary>Mean squared error per value of the forecasts <c>coefficients [horizon, p]</c> over these windows.</summary>
        public double MeanSquaredError(double[] coefficients)
        {
            double sum = targetEnergy;
            for (int h = 0; h < horizon; h++)
            {
                var c = coefficients.AsSpan(h * p, p);
                var r = rhs.AsSpan(h * p, p);
                double quadratic = 0;
                for (int i = 0; i < p; i++)
                    quadratic += c[i] * Dot(gram.AsSpan(i * p, p), c);
                sum += quadratic - 2 * Dot(c, r);
            }
            return Math.Max(0, sum) / ((double)count * horizon);
        }

        // gram's lower triangle += A Aᵀ and rhs += Z Aᵀ over one block, rows spread over the cores.
        private static void Accumulate(double[] a, double[] z, int n, int p, int horizon, double[] gram, double[] rhs)
        {
            Parallel.For(0, p + horizon, row =>
            {
                if (row < p)
                {
                    var ai = a.AsSpan(row * n, n);
                    var g = gram.AsSpan(row * p, p);
                    for (int j = 0; j <= row; j++)
                        g[j] += Dot(ai, a.AsSpan(j * n, n));
                }
                else
                {
                    int h = row - p;
                    var zh = z.AsSpan(h * n, n);
                    var r = rhs.AsSpan(h * p, p);
                    for (int i = 0; i < p; i++)
                        r[i] += Dot(zh, a.AsSpan(i * n, n));
                }
            });
        }
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var sum = Vector<double>.Zero;
        int i = 0, lanes = Vector<double>.Count;
        for (; i <= a.Length - lanes; i += lanes)
            sum += new Vector<double>(a[i..]) * new Vector<double>(b[i..]);
        double total = Vector.Sum(sum);
        for (; i < a.Length; i++)
            total += a[i] * b[i];
        return total;
    }
}

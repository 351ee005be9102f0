using LstmNative.Training;
using System.Numerics;
using LstmNative.Engines;
using LstmNative.Training.Layers;

namespace LstmNative.Forecasting;

/// <summary>Shape of an <see cref="LstmForecaster{T}"/>.</summary>
/// <param name="Features">Input features per time step.</param>
/// <param name="TargetFeature">Index of the target among the features.</param>
/// <param name="Window">Input time steps.</param>
/// <param name="Horizon">Predicted steps.</param>
/// <param name="Hidden">LSTM hidden size.</param>
/// <param name="Layers">Stacked LSTM layers.</param>
/// <param name="Patch">Consecutive time steps fed to the LSTM as one step (1: every step; 24 on hourly data: one step per day).</param>
/// <param name="Dropout">Dropout between LSTM layers.</param>
/// <param name="Highway">Whether a linear path from the window to the forecast is added (LSTNet's autoregressive highway).</param>
/// <param name="Quantiles">Null for a point forecaster (trained with MSE); else the quantile levels of its heads, strictly
/// increasing in (0, 1) (e.g. 0.1, 0.5, 0.9; see <see cref="ParseQuantiles"/>), trained with the pinball loss: the model
/// then gives one value per level for every lead step.</param>
/// <param name="InstanceScale">Whether each window is also divided, feature by feature, by its own standard deviation
/// before the LSTM sees it, and the forecast multiplied back by the target's (RevIN's scaling, Kim et al., ICLR 2022, on top
/// of the centring on the last value that every forecaster does): windows of very different amplitude then look alike to
/// the network.</param>
public sealed record ForecasterShape(int Features, int TargetFeature, int Window, int Horizon, int Hidden = 64, int Layers = 2,
    int Patch = 1, double Dropout = 0, bool Highway = true, IReadOnlyList<double>? Quantiles = null, bool InstanceScale = false)
{
    /// <summary>Added to a window's variance before its square root is taken (RevIN's epsilon), so a constant window
    /// divides by a small number, not by zero.</summary>
    public const double InstanceScaleEpsilon = 1e-5;

    /// <summary>LSTM time steps per window.</summary>
    public int Steps => Window / Patch;

    /// <summary>Values per lead step: the number of quantile heads, or 1 for a point forecaster.</summary>
    public int OutputsPerStep => Quantiles?.Count ?? 1;

    /// <summary>Values per window, <c>horizon · outputs per step</c> (quantiles innermost, as <c>QuantileLoss</c> expects).</summary>
    public int Outputs => Horizon * OutputsPerStep;

    /// <summary>
    /// Quantile levels from a comma-separated list (<c>0.1,0.9</c>): each in (0, 1), sorted, duplicates dropped, and the
    /// median 0.5 added when missing, because the median head is the quantile forecaster's point forecast. At least two
    /// levels are needed (one interval). Throws <see cref="FormatException"/> naming the bad value.
    /// </summary>
    public static double[] ParseQuantiles(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var levels = new SortedSet<double> { 0.5 };
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double q))
                throw new FormatException($"'{part}' is not a number (expected levels such as 0.1,0.5,0.9)");
            if (!(q > 0 && q < 1))
                throw new FormatException($"quantile levels must lie strictly between 0 and 1, got {part}");
            levels.Add(q);
        }
        if (levels.Count < 2)
            throw new FormatException("at least one level besides the median is needed for an interval (e.g. 0.1,0.5,0.9)");
        return [.. levels];
    }

    /// <summary>
    /// The forecaster's input transform for one window <c>[window, F]</c>: every feature made relative to its last
    /// observed value (into <paramref name="relative"/>, same layout) and, with <see cref="InstanceScale"/>, divided by
    /// that feature's standard deviation over the window (written to <paramref name="scales"/> <c>[F]</c>; 1 without
    /// it); the target column of that into <paramref name="targetWindow"/> <c>[window]</c> (the highway's input).
    /// Returns the last observed target, which the forecast (times the target's scale) is added to. Shared by the CPU
    /// module and the GPU accelerator, so both see the same inputs.
    /// </summary>
    public T MakeRelative<T>(ReadOnlySpan<T> window, Span<T> relative, Span<T> targetWindow, Span<T> scales) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Window, f = Features, k = TargetFeature;
        if (window.Length != w * f || relative.Length != w * f || targetWindow.Length != w || scales.Length != f)
            throw new ArgumentException($"a window is [{w}, {f}], its target column [{w}] and its scales [{f}]");
        var last = window.Slice((w - 1) * f, f);
        for (int c = 0; c < f; c++)
            scales[c] = InstanceScale ? WindowStd(window, c) : T.One;
        for (int t = 0; t < w; t++)
            for (int c = 0; c < f; c++)
                relative[t * f + c] = (window[t * f + c] - last[c]) / scales[c];
        for (int t = 0; t < w; t++)
            targetWindow[t] = relative[t * f + k];
        return last[k];
    }

    /// <summary>Column <paramref name="c"/>'s population standard deviation over the window, with
    /// <see cref="InstanceScaleEpsilon"/> added to the variance.</summary>
    private T WindowStd<T>(ReadOnlySpan<T> window, int c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Window, f = Features;
        T mean = T.Zero;
        for (int t = 0; t < w; t++)
            mean += window[t * f + c];
        mean /= T.CreateChecked(w);
        T variance = T.Zero;
        for (int t = 0; t < w; t++)
        {
            T d = window[t * f + c] - mean;
            variance += d * d;
        }
        return T.Sqrt(variance / T.CreateChecked(w) + T.CreateChecked(InstanceScaleEpsilon));
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="data"/>'s windows are this shape's (features,
    /// target, window and horizon).</summary>
    public void RequireMatches(ForecastData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (Features != data.Features || TargetFeature != data.TargetColumn || Window != data.Window || Horizon != data.Horizon)
            throw new ArgumentException($"the forecaster shape does not match the data (features, target, window or horizon): " +
                $"model {Features}/{TargetFeature}/{Window}/{Horizon}, data {data.Features}/{data.TargetColumn}/{data.Window}/{data.Horizon}");
    }

    /// <summary>Throws when the shape is inconsistent.</summary>
    public void Validate()
    {
        if (Features < 1 || Window < 1 || Horizon < 1 || Hidden < 1 || Layers < 1 || Patch < 1)
            throw new ArgumentException("features, window, horizon, hidden size, layers and patch must be positive");
        if ((uint)TargetFeature >= (uint)Features)
            throw new ArgumentException($"target feature {TargetFeature} is outside [0, {Features})");
        if (Window % Patch != 0)
            throw new ArgumentException($"the window ({Window}) must be a multiple of the patch ({Patch})");
        if (Quantiles is { } q)
        {
            if (q.Count < 2)
                throw new ArgumentException("a quantile forecaster needs at least two levels (an interval)");
            for (int i = 0; i < q.Count; i++)
                if (!(q[i] > 0 && q[i] < 1) || (i > 0 && !(q[i] > q[i - 1])))
                    throw new ArgumentException($"quantile levels must increase strictly within (0, 1), got {string.Join(", ", q)}");
            if (!q.Contains(0.5))
                throw new ArgumentException("the quantile levels must include the median 0.5 (the point forecast)");
        }
        // 64-bit size arithmetic: each LSTM weight matrix [4·hidden, max(input, hidden)] must fit a .NET array.
        long input = (long)Patch * Features;
        long columns = Math.Max(input, Hidden);
        Int128 elements = (Int128)4 * Hidden * columns;
        if (elements > Array.MaxLength)
            throw new ArgumentException($"hidden size {Hidden}: the LSTM's weights [4*{Hidden}, {columns}] would hold {elements} elements, " +
                $"more than a .NET array allows ({Array.MaxLength}); use a smaller hidden size");
    }
}

/// <summary>
/// The forecaster: a multi-layer LSTM over the input window that predicts the change from the last observed value.
/// Inputs <c>[B, window, F]</c> (standardized) are made relative to each feature's last value (and, with
/// <see cref="ForecasterShape.InstanceScale"/>, divided by each feature's standard deviation over the window), cut into
/// patches of <see cref="ForecasterShape.Patch"/> steps, run through the LSTM; its last hidden state goes through a
/// linear head to <c>horizon</c> outputs, plus, when <see cref="ForecasterShape.Highway"/> is on, a linear map of the
/// relative target window; that sum (times the target's window scale, when scaling) is added to the last observed
/// target value (a skip connection from persistence). Output:
/// <c>[B, horizon]</c>, or with <see cref="ForecasterShape.Quantiles"/> <c>[B, horizon · Q]</c>, one value per quantile
/// level for every lead step (levels innermost): the quantile heads share the LSTM, and each has its own row of the head
/// and of the highway. The head and highway start at zero, so training starts from exactly the persistence forecast
/// (every quantile head included; the pinball loss then pulls them apart).
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class LstmForecaster<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly LastTimeStep<T> _last = new();
    private Tensor<T>? _input, _relative, _targetWindow, _scales, _output, _gradHead, _gradInput;

    /// <summary>Creates the network, initialised from <paramref name="random"/>.</summary>
    public LstmForecaster(ForecasterShape shape, Random random, IRnnLayerEngine<T>? engine = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(random);
        shape.Validate();
        Shape = shape;
        Lstm = RegisterModule("lstm", new Lstm<T>(shape.Patch * shape.Features, shape.Hidden, random, shape.Layers, shape.Dropout, engine: engine));
        Head = RegisterModule("head", new Linear<T>(shape.Hidden, shape.Outputs, random));
        Head.Weight.Value.Clear();
        Head.Bias!.Value.Clear();
        if (shape.Highway)
        {
            Highway = RegisterModule("highway", new Linear<T>(shape.Window, shape.Outputs, random));
            Highway.Weight.Value.Clear();
            Highway.Bias!.Value.Clear();
        }
    }

    /// <summary>The network's shape.</summary>
    public ForecasterShape Shape { get; }

    /// <summary>The recurrent part.</summary>
    public Lstm<T> Lstm { get; }

    /// <summary>Hidden state to forecast (<see cref="ForecasterShape.Outputs"/> values).</summary>
    public Linear<T> Head { get; }

    /// <summary>The linear path from the relative target window, or null.</summary>
    public Linear<T>? Highway { get; }

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var s = Shape;
        if (!input.HasShape([input.Dim(0), s.Window, s.Features]) || input.Dim(0) < 1)
            throw new ArgumentException($"the forecaster expects [B, {s.Window}, {s.Features}], got {input}");
        int b = input.Dim(0), w = s.Window, f = s.Features, k = s.TargetFeature;
        _input = input;
        var relative = _relative = Tensor<T>.Reuse(_relative, [b, w, f]);
        var targetWindow = _targetWindow = Tensor<T>.Reuse(_targetWindow, [b, w]);
        var scales = _scales = Tensor<T>.Reuse(_scales, [b, f]);
        for (int n = 0; n < b; n++)
            s.MakeRelative<T>(input.Data.AsSpan(n * w * f, w * f), relative.Data.AsSpan(n * w * f, w * f), targetWindow.Data.AsSpan(n * w, w),
                scales.Data.AsSpan(n * f, f));
        var hidden = _last.Forward(Lstm.Forward(relative.Reshape(b, s.Steps, s.Patch * f)));
        var head = Head.Forward(hidden);
        int outputs = s.Outputs;
        var output = _output = Tensor<T>.Reuse(_output, [b, outputs]);
        head.Data.CopyTo(output.Data, 0);
        if (Highway is not null)
        {
            var linear = Highway.Forward(targetWindow);
            for (int i = 0; i < output.Length; i++)
                output.Data[i] += linear.Data[i];
        }
        // Back to the data's scale: the network forecasts the change from the last value in units of the window's scale.
        for (int n = 0; n < b; n++)
        {
            T last = input.Data[(n * w + w - 1) * f + k], scale = scales.Data[n * f + k];
            for (int o = 0; o < outputs; o++)
                output.Data[n * outputs + o] = last + scale * output.Data[n * outputs + o];
        }
        return output;
    }

    /// <inheritdoc/>
    public override Tensor<T> Backward(Tensor<T> gradOutput)
    {
        var input = RequireForward(_input);
        RequireSameShape(gradOutput, _output!);
        var s = Shape;
        int b = input.Dim(0), w = s.Window, f = s.Features, k = s.TargetFeature, outputs = s.Outputs;
        var scales = _scales!.Data;
        // The head and highway produce z, and output = last + scale_k · z.
        var gradHead = _gradHead = Tensor<T>.Reuse(_gradHead, gradOutput.Shape);
        for (int n = 0; n < b; n++)
            for (int o = 0; o < outputs; o++)
                gradHead.Data[n * outputs + o] = gradOutput.Data[n * outputs + o] * scales[n * f + k];
        var dRelative = Lstm.Backward(_last.Backward(Head.Backward(gradHead))).Reshape(b, w, f);
        var gradInput = _gradInput = Tensor<T>.Reuse(_gradInput, input.Shape);
        dRelative.Data.CopyTo(gradInput.Data, 0);
        if (Highway is not null)
        {
            var dWindow = Highway.Backward(gradHead);
            for (int n = 0; n < b; n++)
                for (int t = 0; t < w; t++)
                    gradInput.Data[(n * w + t) * f + k] += dWindow.Data[n * w + t];
        }
        // gradInput now holds dL/dr for r = (x − x_last) / scale. Map it back to x, column by column.
        for (int n = 0; n < b; n++)
        {
            var g = gradInput.Data.AsSpan(n * w * f, w * f);
            var x = input.Data.AsSpan(n * w * f, w * f);
            for (int c = 0; c < f; c++)
            {
                T scale = scales[n * f + c], sum = T.Zero;
                for (int t = 0; t < w; t++)
                    sum += g[t * f + c];
                if (s.InstanceScale)
                {
                    // dL/dscale: through every r (−r/scale each) and, for the target, through output = last + scale · z.
                    T dScale = T.Zero, mean = T.Zero;
                    for (int t = 0; t < w; t++)
                    {
                        dScale -= g[t * f + c] * _relative!.Data[(n * w + t) * f + c];
                        mean += x[t * f + c];
                    }
                    dScale /= scale;
                    mean /= T.CreateChecked(w);
                    if (c == k)
                        for (int o = 0; o < outputs; o++)
                        {
                            T last = x[(w - 1) * f + k];
                            dScale += gradOutput.Data[n * outputs + o] * (_output!.Data[n * outputs + o] - last) / scale;
                        }
                    // scale = sqrt(var + eps): dscale/dx_t = (x_t − mean) / (w · scale).
                    T perStep = dScale / (T.CreateChecked(w) * scale);
                    for (int t = 0; t < w; t++)
                        g[t * f + c] = g[t * f + c] / scale + perStep * (x[t * f + c] - mean);
                }
                // r = (x − x_last) / scale: every relative gradient also flows, negated, into the last step; the skip adds dOut there.
                sum /= scale;
                if (c == k)
                    for (int o = 0; o < outputs; o++)
                        sum -= gradOutput.Data[n * outputs + o];
                g[(w - 1) * f + c] -= sum;
            }
        }
        return gradInput;
    }

    /// <summary>
    /// The cell state of every LSTM layer at every step over one window <c>[1, window, F]</c>, for plotting:
    /// <c>[layer][step][unit]</c>. Recorded with a <see cref="StateRecorder{T}"/> over an evaluation-mode forward pass,
    /// so it works on any engine.
    /// </summary>
    public double[][][] CellStates(Tensor<T> window)
    {
        ArgumentNullException.ThrowIfNull(window);
        var s = Shape;
        if (!window.HasShape([1, s.Window, s.Features]))
            throw new ArgumentException($"expected one window [1, {s.Window}, {s.Features}], got {window}");
        bool training = IsTraining, stateful = Lstm.Stateful;
        IsTraining = false;
        Lstm.Stateful = false; // from zero state, leaving a stateful layer's carried state alone
        try
        {
            using var recorder = Lstm.RecordStates();
            Forward(window);
            return recorder.Last!.CellStatesOf(0);
        }
        finally
        {
            Lstm.Stateful = stateful;
            IsTraining = training;
        }
    }
}

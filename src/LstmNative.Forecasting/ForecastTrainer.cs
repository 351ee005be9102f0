using LstmNative.Training;
using System.Diagnostics;
using LstmNative.Training.Diagnostics;
using LstmNative.Training.Layers;
using LstmNative.Training.Losses;
using LstmNative.Training.Optimizers;
using LstmNative.Training.Schedulers;

namespace LstmNative.Forecasting;

/// <summary>What training produced.</summary>
/// <param name="Epochs">Every finished epoch.</param>
/// <param name="BestEpoch">1-based epoch whose weights the model holds at the end; 0 when the model before training
/// (<see cref="Initial"/>: the fitted highway alone, or the saved weights it started from) scored best on validation.</param>
/// <param name="BestValidationLoss">Its validation loss (MSE, or the pinball loss of quantile heads).</param>
/// <param name="GradientFlow">Per-layer gradient norms at every step.</param>
/// <param name="StoppedEarly">Whether early stopping ended training before the epoch limit.</param>
/// <param name="Seconds">Training wall time (the highway's fit included).</param>
/// <param name="Highway">The closed-form highway fit, with <see cref="TrainingSettings.HighwayInit"/> <c>ridge</c>; else null.</param>
/// <param name="Initial">With a fitted highway or saved starting weights (<see cref="TrainingSettings.StartsFromWeights"/>),
/// the model before the first epoch scored on validation ("epoch 0", no training loss); else null.</param>
/// <param name="EpochChoice">What the one-standard-error rule compared, when it ran (<c>--epoch-choice one-se</c> and a
/// trained epoch beat the fit on validation); else null.</param>
/// <param name="SetAside">The trained epoch's weights when the rule kept the fit instead (so a report can show what it
/// gave up); else null.</param>
public sealed record TrainingResult(IReadOnlyList<EpochRecord> Epochs, int BestEpoch, double BestValidationLoss, GradientFlowLog GradientFlow,
    bool StoppedEarly, double Seconds, HighwayFit? Highway = null, EpochRecord? Initial = null, EpochChoiceCheck? EpochChoice = null,
    LstmForecaster<float>? SetAside = null)
{
    /// <summary>The record of <see cref="BestEpoch"/>: an epoch, or <see cref="Initial"/> when that is 0.</summary>
    public EpochRecord Best => BestEpoch == 0 ? Initial! : Epochs[BestEpoch - 1];
}

/// <summary>Training stopped because the loss became NaN or infinite (the model keeps its best finite epoch, if any).</summary>
public sealed class TrainingDivergedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public TrainingDivergedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public TrainingDivergedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Trains an <see cref="LstmForecaster{T}"/> on the standardized scale with MSE, or with the pinball loss
/// (<see cref="QuantileLoss{T}"/>) when the shape has quantile heads: shuffled mini-batches, global-norm clipping, a
/// learning-rate schedule, and early stopping on the same loss over the validation windows that restores the best weights.
/// Deterministic for a given seed (the engine's parallel shards are fixed, not per-core).
/// </summary>
public static class ForecastTrainer
{
    /// <summary>Windows per prediction batch (and the largest batch an accelerator is sized for, with the training batch).</summary>
    public const int PredictionBatch = 256;

    // Batches between loss reads on an accelerator when a progress display wants a running loss.
    private const int AcceleratorLossEvery = 16;

    /// <summary>
    /// Trains in place. <paramref name="onImproved"/> runs whenever the validation loss reaches a new best (write the
    /// checkpoint there, so an interrupted run keeps its best weights); <paramref name="cancel"/> stops after the
    /// current batch with <see cref="OperationCanceledException"/>, leaving the model at its best weights so far.
    /// With an <paramref name="accelerator"/> the steps and the validation forecasts run there (the gradient-flow log
    /// then stays empty: the gradients never leave the device); the model is updated from it after every epoch.
    /// Quantile heads train on the CPU only (the device step computes MSE).
    /// </summary>
    public static TrainingResult Train(LstmForecaster<float> model, ForecastData data, TrainingSettings settings,
        IProgress<TrainingProgress>? progress = null, Action<EpochRecord>? onImproved = null, IForecastAccelerator? accelerator = null,
        CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        if (accelerator is not null && model.Shape.Quantiles is not null)
            throw new ArgumentException("quantile heads train on the CPU only: the accelerator's step computes MSE");
        if ((settings.HighwayInit == "ridge" || settings.FreezeHighway) && model.Highway is null)
            throw new ArgumentException("--highway-init ridge and --freeze-highway need the highway (--highway true)");
        if (settings.EpochChoice == "one-se" && model.Shape.Quantiles is not null)
            throw new ArgumentException("the one-standard-error epoch choice compares point forecasts (MSE); it cannot be combined with quantile heads");
        if (settings.FreezeHighway && accelerator is not null)
            throw new ArgumentException("--freeze-highway trains on the CPU only: the accelerator's optimizer updates every parameter");
        var clock = Stopwatch.StartNew();
        HighwayFit? highwayFit = settings.HighwayInit == "ridge" ? HighwayRidge.Fit(model, data, cancel) : null;
        // By tensor: Parameters() wraps a child's parameters in new, prefixed objects on every call.
        var frozen = settings.FreezeHighway ? model.Highway!.Parameters().Select(p => p.Value).ToHashSet() : [];
        var parameters = model.Parameters().Where(p => !frozen.Contains(p.Value)).ToArray();
        var optimizer = CreateOptimizer(parameters, settings);
        LearningRateScheduler? scheduler = settings.Scheduler switch
        {
            "plateau" => new ReduceLROnPlateau(optimizer, factor: 0.5, patience: 1, threshold: 1e-3),
            "cosine" => new CosineAnnealingLR(optimizer, settings.Epochs, settings.LearningRate * 0.01),
            _ => null,
        };
        var stopping = new EarlyStopping<float>(model, settings.Patience);
        var loss = Loss<float>(model.Shape);
        var flow = new GradientFlowLog();
        var shuffle = new Random(settings.Seed ^ 0x5EED);
        int perEpoch = settings.WindowsPerEpoch > 0 ? Math.Min(settings.WindowsPerEpoch, data.TrainOrigins.Length) : data.TrainOrigins.Length;
        int batches = (perEpoch + settings.BatchSize - 1) / settings.BatchSize;
        var epochs = new List<EpochRecord>();
        EpochRecord? last = null, initial = null;

        accelerator?.Upload(model);
        try
        {
            if (highwayFit is not null || settings.StartsFromWeights)
            {
                // "Epoch 0": the fitted linear model alone (the head is zero), or the saved weights the model starts from;
                // kept unless an epoch beats it on validation.
                double validation = Evaluate(model, data, data.ValidationOrigins, accelerator);
                stopping.Step(validation);
                initial = new EpochRecord(0, double.NaN, validation, optimizer.LearningRate, clock.Elapsed.TotalSeconds, true);
                onImproved?.Invoke(initial);
            }
            for (int epoch = 1; epoch <= settings.Epochs; epoch++)
            {
                model.Train();
                if (accelerator is not null)
                    accelerator.LearningRate = optimizer.LearningRate;
                var order = (int[])data.TrainOrigins.Clone();
                shuffle.Shuffle(order);
                double sum = 0, shownLoss = double.NaN;
                for (int batch = 0; batch < batches; batch++)
                {
                    cancel.ThrowIfCancellationRequested();
                    int start = batch * settings.BatchSize, count = Math.Min(settings.BatchSize, perEpoch - start);
                    var origins = order.AsSpan(start, count);
                    var x = new Tensor<float>(count, data.Window, data.Features);
                    var y = new Tensor<float>(count, data.Horizon);
                    data.Fill(origins, x, y);
                    double running;
                    if (accelerator is not null)
                    {
                        accelerator.TrainStep(x, y);
                        // Reading the loss waits for the device: only every few batches, for the progress display.
                        if (progress is not null && (batch + 1 == batches || (batch + 1) % AcceleratorLossEvery == 0))
                        {
                            var (lossSum, steps) = accelerator.ReadLoss(reset: false);
                            shownLoss = steps > 0 ? lossSum / steps : double.NaN;
                        }
                        running = shownLoss;
                    }
                    else
                    {
                        optimizer.ZeroGrad();
                        sum += loss.Forward(model.Forward(x), y);
                        model.Backward(loss.Backward());
                        flow.Record(parameters);
                        if (settings.ClipNorm > 0)
                            GradientClipping.ClipByGlobalNorm(parameters, settings.ClipNorm);
                        optimizer.Step();
                        running = sum / (batch + 1);
                    }
                    progress?.Report(new TrainingProgress(epoch, settings.Epochs, batch + 1, batches, running, last, optimizer.LearningRate));
                }
                if (accelerator is not null)
                {
                    sum = accelerator.ReadLoss(reset: true).Sum;
                    accelerator.Download(model);
                }
                double validation = Evaluate(model, data, data.ValidationOrigins, accelerator);
                if (!double.IsFinite(sum) || !double.IsFinite(validation))
                    throw new TrainingDivergedException(
                        $"training diverged in epoch {epoch}: the {(double.IsFinite(sum) ? "validation" : "training")} loss is " +
                        $"{(double.IsFinite(sum) ? validation : sum / batches)} (learning rate {optimizer.LearningRate:G3}; try a lower --lr)");
                bool improved = validation < stopping.BestMetric;
                bool stop = stopping.Step(validation);
                last = new EpochRecord(epoch, sum / batches, validation, optimizer.LearningRate, clock.Elapsed.TotalSeconds, improved);
                epochs.Add(last);
                if (improved)
                    onImproved?.Invoke(last);
                progress?.Report(new TrainingProgress(epoch, settings.Epochs, batches, batches, sum / batches, last, optimizer.LearningRate));
                if (stop)
                    break;
                scheduler?.Step(validation); // sets the optimizer's rate
            }
        }
        finally
        {
            // Interrupted or not, the model leaves with the best weights seen (if any epoch finished).
            if (stopping.BestEpoch >= 0)
                stopping.RestoreBest();
            model.Eval();
        }
        if (stopping.BestEpoch < 0)
            throw new TrainingDivergedException("training diverged: the validation loss was never finite (try a lower --lr)");
        // With an epoch 0 the stopper's step index is the epoch number; without, it is one less.
        int bestEpoch = stopping.BestEpoch + (initial is null ? 1 : 0);
        double bestLoss = stopping.BestMetric;
        EpochChoiceCheck? check = null;
        LstmForecaster<float>? setAside = null;
        if (settings.EpochChoice == "one-se" && initial is not null && bestEpoch > 0)
        {
            var fit = highwayFit!.LinearModel(model.Shape);
            check = OneStandardErrorRule.Compare(fit, model, bestEpoch, data);
            if (check.KeptFit)
            {
                setAside = new LstmForecaster<float>(model.Shape, new Random(0));
                ModelSnapshot<float>.Capture(model).RestoreTo(setAside);
                // Back to epoch 0: the fit's model is the pre-training one up to the LSTM weights its zero head ignores.
                ModelSnapshot<float>.Capture(fit).RestoreTo(model);
                setAside.Eval();
                accelerator?.Upload(model);
                bestEpoch = 0;
                bestLoss = initial.ValidationLoss;
                onImproved?.Invoke(initial);
            }
        }
        return new TrainingResult(epochs, bestEpoch, bestLoss, flow, stopping.ShouldStop, clock.Elapsed.TotalSeconds, highwayFit, initial, check,
            setAside);
    }

    /// <summary>
    /// The loss the model trains with, on <paramref name="origins"/> (evaluation mode; on the accelerator when given): mean
    /// squared error, or for quantile heads the mean pinball loss over every head.
    /// </summary>
    public static double Evaluate(LstmForecaster<float> model, ForecastData data, int[] origins, IForecastAccelerator? accelerator = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(origins);
        var predictions = Predict(model, data, origins, accelerator: accelerator);
        var actuals = data.Actuals(origins);
        if (model.Shape.Quantiles is not null)
            return Loss<double>(model.Shape).Forward(Tensor<double>.FromDoubles(predictions, origins.Length, model.Shape.Outputs),
                Tensor<double>.FromDoubles(actuals, origins.Length, data.Horizon));
        double sum = 0;
        for (int i = 0; i < predictions.Length; i++)
            sum += (predictions[i] - actuals[i]) * (predictions[i] - actuals[i]);
        return sum / predictions.Length;
    }

    /// <summary>
    /// The model's standardized forecasts for <paramref name="origins"/>, <c>[n, horizon]</c> row-major, or
    /// <c>[n, horizon · Q]</c> for quantile heads (levels innermost, as the heads gave them) (evaluation mode;
    /// on the accelerator when given, whose batches are at most <see cref="PredictionBatch"/>).
    /// </summary>
    public static double[] Predict(LstmForecaster<float> model, ForecastData data, int[] origins, int batchSize = PredictionBatch,
        IForecastAccelerator? accelerator = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(origins);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        // A model of another horizon or window reads the wrong rows and writes past its rows of the result.
        model.Shape.RequireMatches(data);
        bool training = model.IsTraining;
        model.Eval();
        int outputs = model.Shape.Outputs;
        var result = new double[origins.Length * outputs];
        for (int start = 0; start < origins.Length; start += batchSize)
        {
            int count = Math.Min(batchSize, origins.Length - start);
            var x = new Tensor<float>(count, data.Window, data.Features);
            data.Fill<float>(origins.AsSpan(start, count), x, null);
            if (accelerator is not null)
            {
                var forecasts = new float[count * outputs];
                accelerator.Predict(x, forecasts);
                for (int i = 0; i < forecasts.Length; i++)
                    result[start * outputs + i] = forecasts[i];
                continue;
            }
            var y = model.Forward(x);
            for (int i = 0; i < y.Length; i++)
                result[start * outputs + i] = y.Data[i];
        }
        model.IsTraining = training;
        return result;
    }

    private static ILoss<T> Loss<T>(ForecasterShape shape) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        shape.Quantiles is { } levels ? new QuantileLoss<T>(levels) : new MseLoss<T>();

    private static Optimizer<float> CreateOptimizer(Parameter<float>[] parameters, TrainingSettings s) => s.Optimizer switch
    {
        "adamw" => new AdamW<float>(parameters, s.LearningRate, weightDecay: s.WeightDecay),
        "sgd" => new Sgd<float>(parameters, s.LearningRate, momentum: 0.9, weightDecay: s.WeightDecay),
        _ => new Adam<float>(parameters, s.LearningRate, weightDecay: s.WeightDecay),
    };
}

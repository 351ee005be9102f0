namespace LstmNative.Forecasting;

/// <summary>How a forecaster is trained.</summary>
/// <param name="Epochs">Maximum passes over the training windows.</param>
/// <param name="BatchSize">Windows per optimizer step.</param>
/// <param name="LearningRate">Initial learning rate.</param>
/// <param name="Optimizer"><c>adam</c>, <c>adamw</c> or <c>sgd</c> (with momentum 0.9).</param>
/// <param name="WeightDecay">L2 (Adam, SGD) or decoupled (AdamW) weight decay.</param>
/// <param name="ClipNorm">Global gradient-norm clipping threshold (0: off).</param>
/// <param name="Patience">Epochs without a better validation loss before stopping early.</param>
/// <param name="Scheduler"><c>plateau</c> (halve the rate after 2 flat epochs), <c>cosine</c> or <c>none</c>.</param>
/// <param name="WindowsPerEpoch">Training windows drawn (without replacement) per epoch; 0 uses them all.</param>
/// <param name="Seed">Seeds initialisation, shuffling and dropout: the same seed gives the same run.</param>
/// <param name="HighwayInit"><c>zero</c> (training starts from persistence) or <c>ridge</c>: the highway is first fitted in
/// closed form (<see cref="HighwayRidge"/>), the fitted linear model is scored on validation as "epoch 0" and kept if no
/// epoch beats it, and the LSTM learns what it misses.</param>
/// <param name="FreezeHighway">Whether the optimizer leaves the highway as initialised (with <c>ridge</c>: the LSTM
/// trains on the linear model's residual).</param>
/// <param name="EpochChoice"><c>best</c>: the epoch with the lowest validation loss (the fitted linear model, "epoch 0",
/// included); <c>one-se</c> (needs <c>ridge</c>): the best trained epoch replaces the fitted linear model only if its
/// validation MSE is lower by more than one standard error (<see cref="OneStandardErrorRule"/>).</param>
/// <param name="StartsFromWeights">Whether the model arrives holding weights to start from (a saved run's: <see
/// cref="ForecastJob.InitFrom"/>, which sets this): they are scored on validation as "epoch 0" and kept unless an epoch
/// beats them, so fine-tuning never leaves a model worse on validation than it started. Not with <c>ridge</c>, whose fit
/// would replace the saved highway.</param>
public sealed record TrainingSettings(int Epochs = 30, int BatchSize = 64, double LearningRate = 1e-3, string Optimizer = "adam",
    double WeightDecay = 0, double ClipNorm = 1.0, int Patience = 5, string Scheduler = "plateau", int WindowsPerEpoch = 0, int Seed = 1,
    string HighwayInit = "zero", bool FreezeHighway = false, string EpochChoice = "best", bool StartsFromWeights = false)
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (Epochs < 1)
            throw new ArgumentException($"epochs must be at least 1, got {Epochs}");
        if (BatchSize < 1)
            throw new ArgumentException($"batch size must be at least 1, got {BatchSize}");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate))
            throw new ArgumentException($"learning rate must be positive, got {LearningRate}");
        if (Optimizer is not ("adam" or "adamw" or "sgd"))
            throw new ArgumentException($"optimizer must be adam, adamw or sgd, got '{Optimizer}'");
        if (!(WeightDecay >= 0) || !(ClipNorm >= 0))
            throw new ArgumentException("weight decay and clip norm must be non-negative");
        if (Patience < 1)
            throw new ArgumentException($"patience must be at least 1, got {Patience}");
        if (Scheduler is not ("plateau" or "cosine" or "none"))
            throw new ArgumentException($"scheduler must be plateau, cosine or none, got '{Scheduler}'");
        if (WindowsPerEpoch < 0)
            throw new ArgumentException($"windows per epoch must be non-negative, got {WindowsPerEpoch}");
        if (HighwayInit is not ("zero" or "ridge"))
            throw new ArgumentException($"highway initialisation must be zero or ridge, got '{HighwayInit}'");
        if (EpochChoice is not ("best" or "one-se"))
            throw new ArgumentException($"epoch choice must be best or one-se, got '{EpochChoice}'");
        if (EpochChoice == "one-se" && HighwayInit != "ridge")
            throw new ArgumentException("the one-standard-error epoch choice weighs the trained LSTM against the fitted highway: it needs highway initialisation ridge");
        if (StartsFromWeights && HighwayInit == "ridge")
            throw new ArgumentException("starting from saved weights keeps their highway: the ridge fit would replace it (use highway initialisation zero)");
    }
}

/// <summary>One finished epoch.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="TrainLoss">Mean training loss over the epoch's batches (MSE, or the pinball loss of quantile heads; standardized scale, dropout on).</param>
/// <param name="ValidationLoss">Validation loss after the epoch (the same loss; standardized scale, evaluation mode).</param>
/// <param name="LearningRate">Rate used during the epoch.</param>
/// <param name="Seconds">Wall time since training started.</param>
/// <param name="Improved">Whether the validation loss was the best so far (the checkpoint was saved).</param>
public sealed record EpochRecord(int Epoch, double TrainLoss, double ValidationLoss, double LearningRate, double Seconds, bool Improved);

/// <summary>Where training is, for progress displays.</summary>
/// <param name="Epoch">1-based epoch in progress.</param>
/// <param name="Epochs">Maximum epochs.</param>
/// <param name="Batch">Batches done in this epoch.</param>
/// <param name="Batches">Batches per epoch.</param>
/// <param name="RunningLoss">Mean training loss of this epoch so far.</param>
/// <param name="LastEpoch">The last finished epoch, or null.</param>
/// <param name="LearningRate">The current learning rate.</param>
public sealed record TrainingProgress(int Epoch, int Epochs, int Batch, int Batches, double RunningLoss, EpochRecord? LastEpoch, double LearningRate);

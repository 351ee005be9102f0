using System.Diagnostics;
using System.Globalization;
using LstmNative.Training.Optimizers;
using LstmNative.Training.Schedulers;

namespace LstmNative.Translation;

/// <summary>One validation point of a training run.</summary>
/// <param name="Epoch">Fractional epoch at the check.</param>
/// <param name="TrainLoss">Mean training loss since the previous check.</param>
/// <param name="ValidationLoss">Validation cross-entropy (no dropout; label-smoothed, as trained).</param>
/// <param name="LearningRate">Learning rate after the scheduler step.</param>
/// <param name="Minutes">Wall-clock minutes since the start.</param>
/// <param name="TokensPerSecond">Target tokens per second of training since the previous check.</param>
public sealed record TrainingCheck(double Epoch, double TrainLoss, double ValidationLoss, double LearningRate, double Minutes, double TokensPerSecond);

/// <summary>The outcome of <see cref="TranslationTrainer.Train"/>.</summary>
/// <param name="Checks">Every validation point.</param>
/// <param name="BestValidationLoss">Best validation loss (the saved checkpoint's).</param>
/// <param name="Minutes">Training wall-clock minutes.</param>
/// <param name="Epochs">Fractional epochs run.</param>
/// <param name="TokensPerSecond">Mean training target tokens per second.</param>
/// <param name="StopReason">Why it stopped.</param>
public sealed record TrainingSummary(IReadOnlyList<TrainingCheck> Checks, double BestValidationLoss, double Minutes, double Epochs, double TokensPerSecond, string StopReason);

/// <summary>Where a training run stands, reported once after every batch (the CLI draws its progress bar from it).</summary>
/// <param name="Batch">Batches done.</param>
/// <param name="Batches">Batches planned: epochs × batches per epoch (early stopping or the time budget may end the run sooner).</param>
/// <param name="Epoch">The current epoch, from 1.</param>
/// <param name="Loss">Mean training loss since the previous check (this batch included).</param>
/// <param name="TokensPerSecond">Target tokens per second of training since the previous check (validation excluded).</param>
/// <param name="Elapsed">Wall-clock time since the start.</param>
/// <param name="Remaining">Estimated time to the end: the planned batches left at the mean pace so far, capped by what is left
/// of the time budget; zero when this is the last batch.</param>
/// <param name="Check">The validation check made after this batch, or null.</param>
/// <param name="Saved">Whether that check was the best so far (and saved the checkpoint).</param>
public sealed record TranslationProgress(int Batch, int Batches, int Epoch, double Loss, double TokensPerSecond, TimeSpan Elapsed,
    TimeSpan Remaining, TrainingCheck? Check, bool Saved)
{
    /// <summary>The batch's log text: epoch, running loss and speed.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"epoch {Epoch} loss {Loss:F3} {TokensPerSecond:F0} tok/s");

    /// <summary>The check's log text (null without one): losses, learning rate, speed, minutes, and whether it was saved.</summary>
    public string? CheckText => Check is { } c
        ? string.Create(CultureInfo.InvariantCulture,
            $"check: epoch {c.Epoch:F2} train {c.TrainLoss:F3} val {c.ValidationLoss:F3} lr {c.LearningRate:G3} {c.TokensPerSecond:F0} tok/s {c.Minutes:F1} min{(Saved ? " (best, saved)" : "")}")
        : null;
}

/// <summary>
/// Trains a <see cref="Seq2SeqModel{T}"/>: teacher forcing, Adam, global-norm clipping, ReduceLROnPlateau on the
/// validation loss (bound to the optimizer), early stopping, the best checkpoint saved atomically on every
/// improvement, and a wall-clock budget that stops after the batch crossing it (the best checkpoint stays).
/// Seeded: the same settings and data give the same run on the same engine and core count.
/// </summary>
public static class TranslationTrainer
{
    /// <summary>
    /// Runs training; <paramref name="progress"/> hears after every batch, on the training thread (a report for a batch
    /// that ends with a validation check carries it).
    /// </summary>
    public static TrainingSummary Train(Seq2SeqModel<float> model, ParallelCorpus train, ParallelCorpus validation,
        Vocabulary source, Vocabulary target, string checkpointPath, IProgress<TranslationProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        // With no batches nothing would ever be saved, yet the run would look finished.
        if (train.Count == 0 || validation.Count == 0)
            throw new ArgumentException($"training needs sentence pairs: the training corpus has {train.Count}, the validation corpus {validation.Count}");
        var st = model.Settings;
        var random = new Random(st.Seed + 1);
        var parameters = model.Parameters();
        var adam = new Adam<float>(parameters, st.LearningRate);
        var plateau = new ReduceLROnPlateau(adam, MetricMode.Min, factor: 0.5, patience: 1, minLearningRate: 1e-5);
        var valBatches = TranslationBatch.Bucketed(validation, st.BatchSize, null);
        var checks = new List<TrainingCheck>();
        var clock = Stopwatch.StartNew();
        double best = double.PositiveInfinity;
        int bad = 0, batchesPerEpoch = (train.Count + st.BatchSize - 1) / st.BatchSize;
        int planned = batchesPerEpoch * st.Epochs, done = 0;
        long totalTokens = 0;
        string reason = "epoch limit";
        double sinceLoss = 0;
        int sinceBatches = 0;
        long sinceTokens = 0;
        var sinceClock = Stopwatch.StartNew();
        int checkEvery = Math.Max(1, batchesPerEpoch / st.ValidationsPerEpoch);
        bool stop = false;
        for (int epoch = 0; epoch < st.Epochs && !stop; epoch++)
        {
            var batches = TranslationBatch.Bucketed(train, st.BatchSize, random);
            for (int i = 0; i < batches.Count && !stop; i++)
            {
                model.IsTraining = true;
                foreach (var p in parameters)
                    p.Grad.Clear();
                var (loss, tokens) = Seq2SeqTrainingPass.Run(model, batches[i], random);
                GradientClipping.ClipByGlobalNorm(parameters, st.ClipNorm);
                adam.Step();
                done++;
                totalTokens += tokens;
                sinceLoss += loss;
                sinceBatches++;
                sinceTokens += tokens;
                double minutes = clock.Elapsed.TotalMinutes;
                double runningLoss = sinceLoss / sinceBatches, runningSpeed = sinceTokens / sinceClock.Elapsed.TotalSeconds;
                TrainingCheck? check = null;
                bool overTime = st.MaxMinutes > 0 && minutes >= st.MaxMinutes;
                bool endOfEpoch = i == batches.Count - 1;
                if ((i + 1) % checkEvery == 0 && (batches.Count - i - 1) >= checkEvery / 2 || endOfEpoch || overTime)
                {
                    double val = ValidationLoss(model, valBatches, random);
                    double tps = sinceTokens / sinceClock.Elapsed.TotalSeconds;
                    if (val < best)
                    {
                        best = val;
                        bad = 0;
                        TranslationCheckpoint.Save(checkpointPath, model, source, target);
                    }
                    else
                    {
                        bad++;
                    }
                    plateau.Step(val);
                    check = new TrainingCheck(epoch + (i + 1.0) / batches.Count, sinceLoss / sinceBatches, val, adam.LearningRate, clock.Elapsed.TotalMinutes, tps);
                    checks.Add(check);
                    sinceLoss = 0;
                    sinceBatches = 0;
                    sinceTokens = 0;
                    sinceClock.Restart();
                    if (overTime)
                    {
                        reason = $"time budget of {st.MaxMinutes} min";
                        stop = true;
                    }
                    else if (bad >= st.Patience * st.ValidationsPerEpoch)
                    {
                        reason = $"early stopping (no improvement in {bad} checks)";
                        stop = true;
                    }
                }
                progress?.Report(new TranslationProgress(done, planned, epoch + 1, runningLoss, runningSpeed, clock.Elapsed,
                    stop ? TimeSpan.Zero : Remaining(clock.Elapsed, done, planned, st.MaxMinutes), check, check is not null && bad == 0));
            }
        }
        model.IsTraining = false;
        double epochs = checks.Count > 0 ? checks[^1].Epoch : 0;
        return new TrainingSummary(checks, best, clock.Elapsed.TotalMinutes, epochs, totalTokens / clock.Elapsed.TotalSeconds, reason);
    }

    // The planned batches left at the mean pace so far, no more than what is left of the time budget.
    private static TimeSpan Remaining(TimeSpan elapsed, int done, int planned, double maxMinutes)
    {
        var pace = elapsed * ((double)(planned - done) / done);
        return maxMinutes > 0 ? TimeSpan.FromTicks(Math.Min(pace.Ticks, Math.Max(0, (TimeSpan.FromMinutes(maxMinutes) - elapsed).Ticks))) : pace;
    }

    /// <summary>Mean label-smoothed validation loss per target token, without dropout.</summary>
    public static double ValidationLoss(Seq2SeqModel<float> model, IReadOnlyList<TranslationBatch> batches, Random random)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batches);
        bool was = model.IsTraining;
        model.IsTraining = false;
        double sum = 0;
        long count = 0;
        foreach (var b in batches)
        {
            var (loss, tokens) = Seq2SeqTrainingPass.Run(model, b, random, backward: false);
            sum += loss * tokens;
            count += tokens;
        }
        model.IsTraining = was;
        return count == 0 ? double.NaN : sum / count;
    }
}

using LstmNative.Training;

namespace LstmNative.Forecasting;

/// <summary>
/// Runs an <see cref="LstmForecaster{T}"/>'s training steps and predictions on an accelerator (the GPU trainer of
/// LstmNative.Gpu implements it), so that <see cref="ForecastTrainer"/> keeps one loop for every device. The weights
/// and the optimizer state live on the accelerator during training; the host model is brought up to date at the end
/// of every epoch (<see cref="Download"/>), which is where early stopping, checkpoints and plots read it.
/// </summary>
/// <remarks>
/// A training step queues its work and returns: the loss stays on the device until <see cref="ReadLoss"/> asks for it,
/// so the loop does not wait for the device on every batch.
/// </remarks>
public interface IForecastAccelerator : IDisposable
{
    /// <summary>What runs the steps, for reports (e.g. the GPU's name).</summary>
    string Name { get; }

    /// <summary>The learning rate of the next steps.</summary>
    double LearningRate { get; set; }

    /// <summary>Copies the model's weights to the accelerator (optimizer state is kept).</summary>
    void Upload(LstmForecaster<float> model);

    /// <summary>Copies the accelerator's weights into the model (waits for the queued steps).</summary>
    void Download(LstmForecaster<float> model);

    /// <summary>Queues one optimizer step (MSE, dropout on, clipping and the optimizer of the settings) on a batch.</summary>
    /// <param name="inputs">Standardized windows <c>[B, window, F]</c>.</param>
    /// <param name="targets">Standardized targets <c>[B, horizon]</c>.</param>
    void TrainStep(Tensor<float> inputs, Tensor<float> targets);

    /// <summary>The sum of the queued steps' losses and their count since the last reset (waits for them).</summary>
    (double Sum, int Count) ReadLoss(bool reset);

    /// <summary>The model's forecasts (evaluation mode) for windows <c>[B, window, F]</c> into <c>[B * horizon]</c>.</summary>
    void Predict(Tensor<float> inputs, Span<float> forecasts);
}

/// <summary>Makes an accelerator for a model about to be trained, or null to train on the CPU.</summary>
/// <param name="model">The model (its shape and initial weights).</param>
/// <param name="settings">How it will be trained.</param>
/// <param name="maxBatch">The largest batch the accelerator will see (training or prediction).</param>
public delegate IForecastAccelerator? ForecastAcceleratorFactory(LstmForecaster<float> model, TrainingSettings settings, int maxBatch);

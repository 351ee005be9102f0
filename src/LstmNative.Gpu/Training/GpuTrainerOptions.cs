using LstmNative.Layers;
using LstmNative.Model;

namespace LstmNative.Gpu.Training;

/// <summary>
/// What a <see cref="GpuRnnTrainer"/> trains and how: the recurrent layers, an optional dense head, the loss, the
/// optimizer and clipping, and the largest batch the buffers are sized for.
/// </summary>
/// <param name="Layers">The recurrent layers, bottom first (layer l+1's input size is layer l's directions × hidden).</param>
/// <param name="MaxSteps">Largest sequence length.</param>
/// <param name="MaxBatch">Largest batch.</param>
public sealed record GpuTrainerOptions(IReadOnlyList<RnnLayerOptions> Layers, int MaxSteps, int MaxBatch)
{
    /// <summary>Outputs of a dense head on the recurrent output (0: no head, the loss compares the recurrent output itself).</summary>
    public int HeadOutputs { get; init; }

    /// <summary>With a head: true applies it to the last time step only (<c>[B, O]</c> predictions), false to every step (<c>[T, B, O]</c>).</summary>
    public bool HeadOnLastStep { get; init; } = true;

    /// <summary>
    /// Extra per-row features the head reads beside the recurrent output (head on the last step only): the head computes
    /// <c>W · [h_T ; side] + b</c> with a <c>[O, D*H + HeadSideInputs]</c> weight. A linear skip path from the inputs
    /// (LSTNet's autoregressive highway) is such a side input; the rows are given to each step with the batch.
    /// </summary>
    public int HeadSideInputs { get; init; }

    /// <summary>The loss.</summary>
    public DeviceLossKind Loss { get; init; } = DeviceLossKind.Mse;

    /// <summary>Mean (true) or sum reduction of the loss.</summary>
    public bool MeanLoss { get; init; } = true;

    /// <summary>Huber threshold.</summary>
    public double HuberDelta { get; init; } = 1.0;

    /// <summary>The optimizer.</summary>
    public DeviceOptimizerSettings Optimizer { get; init; } = DeviceOptimizerSettings.Adam();

    /// <summary>Gradient clipping before each step.</summary>
    public DeviceGradientClip Clip { get; init; } = DeviceGradientClip.None;

    /// <summary>FP32 or TF32 GEMMs.</summary>
    public GpuMathMode MathMode { get; init; } = GpuMathMode.Fp32;

    /// <summary>Dropout between layers in training.</summary>
    public double Dropout { get; init; }

    /// <summary>Whether the recurrent biases are trained (false: a network without biases; they stay zero).</summary>
    public bool TrainBiases { get; init; } = true;

    /// <summary>Inputs (and per-step targets) are batch-first <c>[B, T, F]</c> on the host (converted while staging).</summary>
    public bool BatchFirst { get; init; }

    /// <summary>
    /// Captures a training step into a CUDA graph after its first run and replays it (one launch per step) while the
    /// batch shape stays the same. Ignored with dropout (its seed changes every step).
    /// </summary>
    public bool UseCudaGraph { get; init; }

    /// <summary>The options of a PyTorch-style network (<c>nn.LSTM</c>/<c>nn.GRU</c>): its layers, dropout, bias and layout.</summary>
    public static GpuTrainerOptions FromRnn(RnnOptions rnn, int maxSteps, int maxBatch)
    {
        ArgumentNullException.ThrowIfNull(rnn);
        rnn.Validate();
        return new GpuTrainerOptions(Enumerable.Range(0, rnn.NumLayers).Select(rnn.LayerOptions).ToArray(), maxSteps, maxBatch)
        {
            Dropout = rnn.Dropout,
            TrainBiases = rnn.Bias,
            BatchFirst = rnn.BatchFirst,
        };
    }

    /// <summary>Features the dense head reads (the top layer's directions × hidden).</summary>
    public int RecurrentOutputs => Layers[^1].DirectionCount * Layers[^1].HiddenSize;

    /// <summary>Features the head weight multiplies: the recurrent outputs, then the side inputs.</summary>
    public int HeadInputs => RecurrentOutputs + HeadSideInputs;

    /// <summary>Rows of predictions for a batch: <c>B</c> (head on the last step) or <c>T*B</c>.</summary>
    public int PredictionRows(int steps, int batch) => HeadOutputs > 0 && HeadOnLastStep ? batch : steps * batch;

    /// <summary>Values per prediction row: the head's outputs, or the recurrent outputs without a head.</summary>
    public int PredictionWidth => HeadOutputs > 0 ? HeadOutputs : RecurrentOutputs;

    /// <summary>Throws <see cref="ArgumentException"/> when the options are inconsistent.</summary>
    public void Validate()
    {
        ParameterLayout.ValidateStack(Layers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxSteps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxBatch);
        ArgumentOutOfRangeException.ThrowIfNegative(HeadOutputs);
        ArgumentOutOfRangeException.ThrowIfNegative(HeadSideInputs);
        if (HeadSideInputs > 0 && !(HeadOutputs > 0 && HeadOnLastStep))
            throw new ArgumentException("side inputs to the head need a head on the last step (HeadOutputs > 0, HeadOnLastStep)");
        if (!(HuberDelta > 0))
            throw new ArgumentException($"Huber delta must be positive, got {HuberDelta}");
        if (!(Dropout >= 0 && Dropout <= 1))
            throw new ArgumentException("dropout should be a number in range [0, 1] representing the probability of an element being zeroed");
        ArgumentNullException.ThrowIfNull(Optimizer);
        ArgumentNullException.ThrowIfNull(Clip);
        Optimizer.Validate();
        Clip.Validate();
    }
}

using LstmNative.Training;
using LstmNative.Cuda;
using LstmNative.Gpu.Training;

namespace LstmNative.Forecasting;

/// <summary>
/// Trains an <see cref="LstmForecaster{T}"/> on the GPU through a <see cref="GpuRnnTrainer"/>: the LSTM stack, the head
/// and the highway, the MSE, clipping and the optimizer all run on the device; a step uploads one batch and reads
/// nothing back.
/// </summary>
/// <remarks>
/// The forecaster's parameter-free parts run on the host while staging a batch: inputs made relative to the last
/// observed values (the patches are the same memory, reshaped), the target made relative to the last observed target
/// (the persistence skip), and the relative target window fed to the head as side inputs. The head and the highway
/// are one dense layer on <c>[h_T ; window]</c> with one bias (their sum): the same functions; their biases' sum moves
/// at half the CPU's rate under Adam, which sees one gradient where the CPU sees two equal ones.
/// </remarks>
public sealed class GpuForecastAccelerator : IForecastAccelerator
{
    private readonly GpuRnnTrainer _trainer;
    private readonly ForecasterShape _shape;
    private readonly float[] _relative, _side, _target, _last, _scales;
    private readonly float[] _headWeight, _headBias;

    /// <summary>Makes the accelerator on the first usable GPU, or null with the probe's reason.</summary>
    public static GpuForecastAccelerator? TryCreate(LstmForecaster<float> model, TrainingSettings settings, int maxBatch, out string? reason)
    {
        var options = OptionsFor(model, settings, maxBatch);
        var trainer = GpuRnnTrainer.TryCreate(options, out reason);
        if (trainer is null)
            return null;
        string name = GpuRuntime.Current.Devices.Count > 0 ? $"CUDA: {GpuRuntime.Current.Devices[0].Name}" : "CUDA";
        return new GpuForecastAccelerator(trainer, model.Shape, maxBatch, name);
    }

    /// <summary>The factory <see cref="ForecastJob.Accelerator"/> takes: the GPU, or an exception with the probe's reason.</summary>
    public static IForecastAccelerator CreateOrThrow(LstmForecaster<float> model, TrainingSettings settings, int maxBatch) =>
        TryCreate(model, settings, maxBatch, out var reason) ?? throw new InvalidOperationException($"no usable GPU: {reason}");

    internal GpuForecastAccelerator(GpuRnnTrainer trainer, ForecasterShape shape, int maxBatch, string name)
    {
        _trainer = trainer;
        _shape = shape;
        Name = name;
        _relative = new float[(long)maxBatch * shape.Window * shape.Features];
        _side = new float[(long)maxBatch * shape.Window];
        _target = new float[(long)maxBatch * shape.Horizon];
        _last = new float[maxBatch];
        _scales = new float[shape.Features];
        _headWeight = new float[(long)shape.Horizon * (shape.Hidden + (shape.Highway ? shape.Window : 0))];
        _headBias = new float[shape.Horizon];
    }

    /// <summary>The trainer options for <paramref name="model"/> trained with <paramref name="settings"/>.</summary>
    public static GpuTrainerOptions OptionsFor(LstmForecaster<float> model, TrainingSettings settings, int maxBatch)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var shape = model.Shape;
        if (shape.Quantiles is not null)
            throw new ArgumentException("quantile heads train on the CPU only: the device step computes MSE over one output per lead step");
        if (shape.InstanceScale)
            throw new ArgumentException("per-window scaling (instance scale) trains on the CPU only: the device step's loss has no per-window scale");
        double lr = settings.LearningRate, decay = settings.WeightDecay;
        return GpuTrainerOptions.FromRnn(model.Lstm.Options, shape.Steps, maxBatch) with
        {
            HeadOutputs = shape.Horizon,
            HeadOnLastStep = true,
            HeadSideInputs = shape.Highway ? shape.Window : 0,
            Loss = DeviceLossKind.Mse,
            MeanLoss = true,
            // The CPU trainer's optimizers (ForecastTrainer): Adam, AdamW, SGD with momentum 0.9.
            Optimizer = settings.Optimizer switch
            {
                "adamw" => DeviceOptimizerSettings.AdamW(lr, weightDecay: decay),
                "sgd" => DeviceOptimizerSettings.Sgd(lr, momentum: 0.9, weightDecay: decay),
                _ => DeviceOptimizerSettings.Adam(lr, weightDecay: decay),
            },
            Clip = settings.ClipNorm > 0 ? DeviceGradientClip.ByGlobalNorm(settings.ClipNorm) : DeviceGradientClip.None,
            UseCudaGraph = true,
        };
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public double LearningRate
    {
        get => _trainer.LearningRate;
        set => _trainer.LearningRate = value;
    }

    /// <inheritdoc/>
    public void Upload(LstmForecaster<float> model)
    {
        CheckModel(model);
        int h = _shape.Hidden, w = _shape.Window, o = _shape.Horizon, width = HeadWidth;
        var head = model.Head.Weight.Value.Data;
        var headBias = model.Head.Bias!.Value.Data;
        for (int r = 0; r < o; r++)
        {
            head.AsSpan(r * h, h).CopyTo(_headWeight.AsSpan(r * width, h));
            _headBias[r] = headBias[r];
        }
        if (model.Highway is { } highway)
        {
            var hw = highway.Weight.Value.Data;
            var hb = highway.Bias!.Value.Data;
            for (int r = 0; r < o; r++)
            {
                hw.AsSpan(r * w, w).CopyTo(_headWeight.AsSpan(r * width + h, w));
                _headBias[r] += hb[r];
            }
        }
        _trainer.LoadWeights(model.Lstm.Weights.Layers, _headWeight, _headBias);
    }

    /// <inheritdoc/>
    public void Download(LstmForecaster<float> model)
    {
        CheckModel(model);
        _trainer.ReadWeights(model.Lstm.Weights.Layers, _headWeight, _headBias);
        int h = _shape.Hidden, w = _shape.Window, o = _shape.Horizon, width = HeadWidth;
        var head = model.Head.Weight.Value.Data;
        for (int r = 0; r < o; r++)
            _headWeight.AsSpan(r * width, h).CopyTo(head.AsSpan(r * h, h));
        _headBias.CopyTo(model.Head.Bias!.Value.Data, 0);
        if (model.Highway is { } highway)
        {
            var hw = highway.Weight.Value.Data;
            for (int r = 0; r < o; r++)
                _headWeight.AsSpan(r * width + h, w).CopyTo(hw.AsSpan(r * w, w));
            highway.Bias!.Value.Data.AsSpan().Clear(); // the sum lives in the head's bias
        }
    }

    /// <inheritdoc/>
    public void TrainStep(Tensor<float> inputs, Tensor<float> targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        int b = Stage(inputs);
        if (!targets.HasShape([b, _shape.Horizon]))
            throw new ArgumentException($"targets must be [{b}, {_shape.Horizon}], got {targets}");
        var y = targets.Data;
        for (int n = 0; n < b; n++)
            for (int t = 0; t < _shape.Horizon; t++)
                _target[n * _shape.Horizon + t] = y[n * _shape.Horizon + t] - _last[n];
        _trainer.TrainStep(Relative(b), _target.AsSpan(0, b * _shape.Horizon), _shape.Steps, b, side: Side(b));
    }

    /// <inheritdoc/>
    public (double Sum, int Count) ReadLoss(bool reset) => _trainer.ReadLossSum(reset);

    /// <inheritdoc/>
    public void Predict(Tensor<float> inputs, Span<float> forecasts)
    {
        int b = Stage(inputs);
        int count = b * _shape.Horizon;
        if (forecasts.Length != count)
            throw new ArgumentException($"the forecast buffer must hold {count} values, got {forecasts.Length}");
        _trainer.Predict(Relative(b), _shape.Steps, b, forecasts, side: Side(b));
        for (int n = 0; n < b; n++)
            for (int t = 0; t < _shape.Horizon; t++)
                forecasts[n * _shape.Horizon + t] += _last[n];
    }

    private int HeadWidth => _shape.Hidden + (_shape.Highway ? _shape.Window : 0);

    private ReadOnlySpan<float> Relative(int batch) => _relative.AsSpan(0, batch * _shape.Window * _shape.Features);

    private ReadOnlySpan<float> Side(int batch) => _shape.Highway ? _side.AsSpan(0, batch * _shape.Window) : default;

    /// <summary>The forecaster's input transform (see <see cref="LstmForecaster{T}.Forward"/>) into the staging buffers; returns B.</summary>
    private int Stage(Tensor<float> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        int w = _shape.Window, f = _shape.Features;
        int b = inputs.Rank == 3 ? inputs.Dim(0) : 0;
        if (!inputs.HasShape([b, w, f]) || b < 1)
            throw new ArgumentException($"the forecaster expects [B, {w}, {f}], got {inputs}");
        if (b > _last.Length)
            throw new ArgumentException($"a batch of {b} exceeds the {_last.Length} windows this accelerator was sized for");
        for (int n = 0; n < b; n++)
            _last[n] = _shape.MakeRelative<float>(inputs.Data.AsSpan(n * w * f, w * f), _relative.AsSpan(n * w * f, w * f), _side.AsSpan(n * w, w), _scales);
        return b;
    }

    private void CheckModel(LstmForecaster<float> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Shape != _shape)
            throw new ArgumentException("the model's shape differs from the one this accelerator was made for");
    }

    /// <inheritdoc/>
    public void Dispose() => _trainer.Dispose();
}

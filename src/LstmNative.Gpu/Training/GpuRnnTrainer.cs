using LstmNative.Cuda;
using LstmNative.Gpu.Device;
using LstmNative.Model;

namespace LstmNative.Gpu.Training;

/// <summary>
/// Trains a recurrent network on the GPU end to end: forward in training mode, an optional dense head, the loss and
/// its gradient, back-propagation through time, gradient clipping and a fused SGD/Adam/AdamW step, all queued on one
/// stream. A training step copies the batch in and nothing out; the loss value stays on the device until asked for
/// (<see cref="TrainStep"/> with <c>readLoss</c>, <see cref="ReadLastLoss"/>, <see cref="ReadLossSum"/>).
/// </summary>
/// <remarks>
/// Every buffer is allocated in the constructor, for <see cref="GpuTrainerOptions.MaxSteps"/> and
/// <see cref="GpuTrainerOptions.MaxBatch"/>; a step allocates nothing. With <see cref="GpuTrainerOptions.UseCudaGraph"/>
/// the whole step is captured once per batch shape and replayed as one graph launch.
/// A training loop chooses this trainer when <see cref="GpuRuntime.Current"/> reports a usable GPU and keeps the CPU
/// modules of LstmNative.Training otherwise; LstmNative.Training's <c>Optimizer&lt;float&gt;.ToDeviceSettings()</c> carries a CPU optimizer's settings over.
/// </remarks>
public sealed class GpuRnnTrainer : IDisposable
{
    private readonly DeviceArena _memory;
    private readonly IDeviceQueue _queue;
    private readonly bool _ownsDevice;
    private CudaModule? _ownedModule;
    private CudaContext? _ownedContext;
    private readonly DeviceOptimizer _optimizer;
    private readonly ulong _scalars, _partials, _target, _prediction, _dPrediction, _side;
    private readonly float[] _inputStage, _targetStage;
    private readonly int _predictionElements;
    private IDeviceGraph? _graph;
    private (int Steps, int Batch, bool Lengths) _graphShape;
    private Action? _captureStep;
    private (int Steps, int Batch, bool Lengths) _pendingShape;
    private (int Steps, int Batch, bool Lengths)? _directShape;
    private ulong _seed;
    private double _learningRate;

    /// <summary>Creates the trainer on <paramref name="context"/> with the embedded kernels <paramref name="kernels"/>.</summary>
    /// <param name="context">The GPU context (current on the calling thread).</param>
    /// <param name="kernels">The module from <see cref="CudaContext.LoadEmbeddedKernels"/>.</param>
    /// <param name="options">What to train and how.</param>
    public GpuRnnTrainer(CudaContext context, CudaModule kernels, GpuTrainerOptions options)
        : this(CudaTrainingArena.Create(context, kernels, (options ?? throw new ArgumentNullException(nameof(options))).MathMode), options, ownsDevice: true)
    {
    }

    /// <summary>
    /// The trainer on the first GPU when one is usable (it then owns the context and the kernels), or null with the
    /// probe's reason: what a training loop calls to use the GPU when present and keep the CPU otherwise.
    /// </summary>
    public static GpuRnnTrainer? TryCreate(GpuTrainerOptions options, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(options);
        var probe = GpuRuntime.Current;
        if (!probe.IsAvailable)
        {
            reason = probe.Reason;
            return null;
        }
        var context = CudaContext.Create();
        CudaModule? module = null;
        try
        {
            module = context.LoadEmbeddedKernels();
            var trainer = new GpuRnnTrainer(context, module, options) { _ownedModule = module, _ownedContext = context };
            reason = null;
            return trainer;
        }
        catch
        {
            module?.Dispose();
            context.Dispose();
            throw;
        }
    }

    internal GpuRnnTrainer(DeviceArena memory, GpuTrainerOptions options, bool ownsDevice)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _memory = memory;
        _queue = memory.Queue;
        _ownsDevice = ownsDevice;
        Options = options;
        var layout = new ParameterLayout(options.Layers, options.HeadOutputs > 0 ? options.HeadInputs : 0, options.HeadOutputs);
        Weights = new DeviceTrainingWeights(memory, layout);
        Stack = new GpuRnnStack(memory, options.Layers, layout, Weights.Parameters, Weights.Gradients,
            options.MaxSteps, options.MaxBatch, options.Dropout, options.TrainBiases);
        _scalars = memory.Allocate(DeviceScalars.Size);
        _partials = memory.Allocate(TrainingLaunch.MaxReduceBlocks * sizeof(double));
        _predictionElements = options.PredictionRows(options.MaxSteps, options.MaxBatch) * options.PredictionWidth;
        _target = memory.Allocate((long)_predictionElements * sizeof(float));
        _prediction = options.HeadOutputs > 0 ? memory.Allocate((long)_predictionElements * sizeof(float)) : Stack.Output;
        _dPrediction = options.HeadOutputs > 0 ? memory.Allocate((long)_predictionElements * sizeof(float)) : Stack.DOutput;
        _side = options.HeadSideInputs > 0 ? memory.Allocate((long)options.MaxBatch * options.HeadSideInputs * sizeof(float)) : 0;
        _optimizer = new DeviceOptimizer(memory, Weights, options.Optimizer, options.Clip, _scalars, _partials);
        _inputStage = new float[(long)options.MaxSteps * options.MaxBatch * options.Layers[0].InputSize];
        _targetStage = new float[_predictionElements];
        LearningRate = options.Optimizer.LearningRate;
    }

    /// <summary>The options.</summary>
    public GpuTrainerOptions Options { get; }

    /// <summary>The parameters and gradients on the device.</summary>
    public DeviceTrainingWeights Weights { get; }

    /// <summary>The recurrent layers' engine (forward, BPTT, reserve).</summary>
    public GpuRnnStack Stack { get; }

    /// <summary>Optimizer steps queued so far.</summary>
    public int StepCount { get; private set; }

    /// <summary>Device memory the trainer allocated, in bytes.</summary>
    public long AllocatedBytes => _memory.AllocatedBytes;

    /// <summary>The learning rate of the next steps (a scheduler may set it between steps; it is copied to the device).</summary>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value >= 0 && double.IsFinite(value)))
                throw new ArgumentException($"learning rate must be finite and non-negative, got {value}");
            _learningRate = value;
            Span<double> one = [value];
            _queue.Upload<double>(_scalars + 32, one);
        }
    }

    /// <summary>
    /// Uploads the weights of every layer (and of the head: <c>[O, D*H + side inputs]</c> and <c>[O]</c>, PyTorch's
    /// Linear layout).
    /// </summary>
    public void LoadWeights(IReadOnlyList<LayerWeights<float>> layers, ReadOnlySpan<float> headWeight = default, ReadOnlySpan<float> headBias = default) =>
        Weights.Upload(layers, headWeight, headBias);

    /// <summary>Downloads the current weights (waits for the queued steps).</summary>
    public void ReadWeights(IReadOnlyList<LayerWeights<float>> layers, Span<float> headWeight = default, Span<float> headBias = default) =>
        Weights.Download(layers, headWeight, headBias);

    /// <summary>
    /// Queues one training step on a batch: <paramref name="x"/> <c>[T, B, I]</c> (or <c>[B, T, I]</c> batch-first),
    /// <paramref name="target"/> shaped like the predictions (<see cref="GpuTrainerOptions.PredictionRows"/> ×
    /// <see cref="GpuTrainerOptions.PredictionWidth"/>, batch-first when the inputs are and there is one row per step).
    /// Returns the step's loss when <paramref name="readLoss"/> (which waits for the step), null otherwise.
    /// <paramref name="side"/> holds the head's side inputs <c>[B, HeadSideInputs]</c> when the options have them.
    /// </summary>
    public double? TrainStep(ReadOnlySpan<float> x, ReadOnlySpan<float> target, int steps, int batch, bool readLoss = false, ReadOnlySpan<int> lengths = default,
        ReadOnlySpan<float> side = default)
    {
        Stage(x, target, steps, batch, lengths, side);
        bool graph = Options.UseCudaGraph && GraphFailure is null && !(Options.Dropout > 0 && Options.Layers.Count > 1);
        var shape = (steps, batch, !lengths.IsEmpty);
        if (graph && (_graph is null || _graphShape != shape))
        {
            _graph?.Dispose();
            _graph = null;
            // The first step of a shape runs directly: cuBLAS and the kernels do their lazy first-use set-up
            // (workspaces, module loading) outside any capture, where it would invalidate the graph. The second
            // step of the same shape is captured.
            if (_directShape == shape)
                TryCapture(shape);
            _directShape = shape;
        }
        if (graph && _graph is not null && _graphShape == shape)
            _graph.Launch();
        else
            QueueStep(steps, batch, !lengths.IsEmpty);
        StepCount++;
        return readLoss ? ReadLastLoss() : null;
    }

    /// <summary>
    /// Why steps run as direct launches although <see cref="GpuTrainerOptions.UseCudaGraph"/> asked for a graph: the
    /// capture's error (the trainer then stops trying); null while graphs work or were not asked for.
    /// </summary>
    public string? GraphFailure { get; private set; }

    private void TryCapture((int Steps, int Batch, bool Lengths) shape)
    {
        _pendingShape = shape;
        _captureStep ??= () => QueueStep(_pendingShape.Steps, _pendingShape.Batch, _pendingShape.Lengths);
        try
        {
            _graph = _queue.Capture(_captureStep);
        }
        catch (Exception e) when (e is CudaException or CublasException)
        {
            // A capture that fails ran nothing (captured work is only recorded): the caller queues the step directly.
            _graph = null;
            GraphFailure = $"CUDA graph capture failed, training steps run as direct launches: {e.Message}";
        }
        _graphShape = shape;
    }

    /// <summary>The loss of a batch without training (no dropout); waits for it.</summary>
    public double Evaluate(ReadOnlySpan<float> x, ReadOnlySpan<float> target, int steps, int batch, ReadOnlySpan<int> lengths = default,
        ReadOnlySpan<float> side = default)
    {
        Stage(x, target, steps, batch, lengths, side);
        Stack.ForwardOnDevice(steps, batch, !lengths.IsEmpty, false, false, training: false, _seed);
        QueueHeadForward(steps, batch);
        QueueLoss(steps, batch, accumulate: false);
        return ReadScalars().Loss;
    }

    /// <summary>Runs the network (no dropout) and copies its predictions (<see cref="GpuTrainerOptions.PredictionRows"/> × width, time-major rows).</summary>
    public void Predict(ReadOnlySpan<float> x, int steps, int batch, Span<float> prediction, ReadOnlySpan<int> lengths = default,
        ReadOnlySpan<float> side = default)
    {
        int count = Options.PredictionRows(steps, batch) * Options.PredictionWidth;
        if (prediction.Length != count)
            throw new ArgumentException($"the prediction buffer must hold {count} values, got {prediction.Length}");
        Stage(x, default, steps, batch, lengths, side);
        Stack.ForwardOnDevice(steps, batch, !lengths.IsEmpty, false, false, training: false, _seed);
        QueueHeadForward(steps, batch);
        _queue.Download(_prediction, prediction);
    }

    /// <summary>The loss of the last step (waits for it).</summary>
    public double ReadLastLoss() => ReadScalars().Loss;

    /// <summary>The sum of the step losses and their count since the last reset (waits); resets when asked.</summary>
    public (double Sum, int Count) ReadLossSum(bool reset = true)
    {
        var s = ReadScalars();
        if (reset)
        {
            Span<double> zero = [0.0];
            Span<int> none = [0];
            _queue.Upload<double>(_scalars + 24, zero);
            _queue.Upload<int>(_scalars + 60, none);
        }
        return (s.LossSum, s.LossCount);
    }

    /// <summary>The global gradient norm before clipping of the last step (clipping by norm only; waits).</summary>
    public double ReadGradientNorm() => ReadScalars().GradNorm;

    private DeviceScalars ReadScalars()
    {
        Span<DeviceScalars> s = stackalloc DeviceScalars[1];
        _queue.Download(_scalars, s);
        return s[0];
    }

    /// <summary>Everything of a step after the inputs are on the device.</summary>
    private void QueueStep(int steps, int batch, bool hasLengths)
    {
        Weights.ZeroGradients();
        Stack.ForwardOnDevice(steps, batch, hasLengths, false, false, training: true, _seed++);
        QueueHeadForward(steps, batch);
        QueueLoss(steps, batch, accumulate: true);
        QueueHeadBackward(steps, batch);
        Stack.BackwardOnDevice(hasDOutput: true, hasDHn: false, hasDCn: false, inputGradient: false);
        _optimizer.Step();
    }

    private void Stage(ReadOnlySpan<float> x, ReadOnlySpan<float> target, int steps, int batch, ReadOnlySpan<int> lengths, ReadOnlySpan<float> side)
    {
        if (steps < 1 || steps > Options.MaxSteps || batch < 1 || batch > Options.MaxBatch)
            throw new ArgumentOutOfRangeException(nameof(steps), $"a batch of T={steps}, B={batch} exceeds the planned T <= {Options.MaxSteps}, B <= {Options.MaxBatch}");
        int inputs = Options.Layers[0].InputSize;
        int count = steps * batch * inputs;
        if (x.Length != count)
            throw new ArgumentException($"x must hold {steps * batch} x {inputs} = {count} values, got {x.Length}");
        if (!lengths.IsEmpty)
        {
            if (lengths.Length != batch)
                throw new ArgumentException($"sequence lengths: one per batch row ({batch}), got {lengths.Length}");
            foreach (int len in lengths)
                if (len < 0 || len > steps)
                    throw new ArgumentException($"sequence lengths must be in [0, {steps}], got {len}");
        }
        if (Options.BatchFirst)
        {
            SwapFirstTwo(x, batch, steps, inputs, _inputStage);
            _queue.Upload<float>(Stack.Input, _inputStage.AsSpan(0, count));
        }
        else
        {
            _queue.Upload(Stack.Input, x);
        }
        _queue.Upload(Stack.Lengths, lengths);
        int sideCount = batch * Options.HeadSideInputs;
        if (side.Length != sideCount)
            throw new ArgumentException(Options.HeadSideInputs > 0
                ? $"the head's side inputs must hold {batch} x {Options.HeadSideInputs} = {sideCount} values, got {side.Length}"
                : $"this network's head has no side inputs, got {side.Length} values");
        if (sideCount > 0)
            _queue.Upload(_side, side);
        if (target.IsEmpty)
            return;
        int rows = Options.PredictionRows(steps, batch), width = Options.PredictionWidth;
        if (target.Length != rows * width)
            throw new ArgumentException($"the target must hold {rows} x {width} = {rows * width} values, got {target.Length}");
        if (Options.BatchFirst && rows == steps * batch && steps > 1)
        {
            SwapFirstTwo(target, batch, steps, width, _targetStage);
            _queue.Upload<float>(_target, _targetStage.AsSpan(0, rows * width));
        }
        else
        {
            _queue.Upload(_target, target);
        }
    }

    private (ulong Features, int Rows) HeadInput(int steps, int batch)
    {
        int f = Options.RecurrentOutputs;
        return Options.HeadOnLastStep
            ? (Stack.Output + (ulong)((long)(steps - 1) * batch * f * sizeof(float)), batch)
            : (Stack.Output, steps * batch);
    }

    private void QueueHeadForward(int steps, int batch)
    {
        if (Options.HeadOutputs == 0)
            return;
        var layout = Weights.Layout;
        int f = Options.RecurrentOutputs, o = Options.HeadOutputs, e = Options.HeadSideInputs, ld = f + e;
        var (features, rows) = HeadInput(steps, batch);
        // The weight's first f columns multiply the recurrent output, the last e the side inputs: two GEMMs into one result.
        _queue.Gemm(new GemmOp(false, true, rows, o, f, 1f, features, f, Param(layout.HeadWeight), ld, 0f, _prediction, o));
        if (e > 0)
            _queue.Gemm(new GemmOp(false, true, rows, o, e, 1f, _side, e, Param(layout.HeadWeight + f), ld, 1f, _prediction, o));
        var bias = new AddBiasParams { X = _prediction, Bias = Param(layout.HeadBias), Rows = rows, Cols = o };
        _queue.Launch(TrainingKernel.AddBiasRows, TrainingLaunch.GridStride((long)rows * o), bias);
    }

    private void QueueLoss(int steps, int batch, bool accumulate)
    {
        long count = (long)Options.PredictionRows(steps, batch) * Options.PredictionWidth;
        var loss = new LossParams
        {
            Pred = _prediction, Target = _target, Grad = _dPrediction, Partials = _partials, Scalars = _scalars, Count = count,
            Kind = Options.Loss, Mean = Options.MeanLoss ? 1 : 0, Delta = (float)Options.HuberDelta,
            GradScale = Options.MeanLoss ? 1f / count : 1f, Blocks = TrainingLaunch.ReduceBlocks(count), Accumulate = accumulate ? 1 : 0,
        };
        _queue.Launch(TrainingKernel.LossPointwise, TrainingLaunch.Reduce(count), loss);
        _queue.Launch(TrainingKernel.LossFinish, TrainingLaunch.OneBlock, loss);
    }

    private void QueueHeadBackward(int steps, int batch)
    {
        if (Options.HeadOutputs == 0)
            return;
        var layout = Weights.Layout;
        int f = Options.RecurrentOutputs, o = Options.HeadOutputs, e = Options.HeadSideInputs, ld = f + e;
        var (features, rows) = HeadInput(steps, batch);
        _queue.Gemm(new GemmOp(true, false, o, f, rows, 1f, _dPrediction, o, features, f, 1f, Grad(layout.HeadWeight), ld));
        if (e > 0)
            _queue.Gemm(new GemmOp(true, false, o, e, rows, 1f, _dPrediction, o, _side, e, 1f, Grad(layout.HeadWeight + f), ld));
        var bias = new BiasGradParams { Src = _dPrediction, Dbw = Grad(layout.HeadBias), Rows = rows, RowStride = o, Width = o };
        _queue.Launch(TrainingKernel.BiasGradColumns, TrainingLaunch.Columns(o), bias);
        ulong dFeatures = Options.HeadOnLastStep
            ? Stack.DOutput + (ulong)((long)(steps - 1) * batch * f * sizeof(float))
            : Stack.DOutput;
        if (Options.HeadOnLastStep && steps > 1)
            _queue.Zero(Stack.DOutput, (long)(steps - 1) * batch * f * sizeof(float));
        _queue.Gemm(new GemmOp(false, false, rows, f, o, 1f, _dPrediction, o, Param(layout.HeadWeight), ld, 0f, dFeatures, f));
    }

    private ulong Param(long offset) => Weights.Parameters + (ulong)(offset * sizeof(float));

    private ulong Grad(long offset) => Weights.Gradients + (ulong)(offset * sizeof(float));

    /// <summary>[A, B, C] -> [B, A, C] into <paramref name="destination"/>.</summary>
    private static void SwapFirstTwo(ReadOnlySpan<float> source, int a, int b, int c, Span<float> destination)
    {
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++)
                source.Slice((i * b + j) * c, c).CopyTo(destination.Slice((j * a + i) * c, c));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _graph?.Dispose();
        _graph = null;
        if (_ownsDevice)
            _memory.Dispose();
        _ownedModule?.Dispose();
        _ownedModule = null;
        _ownedContext?.Dispose();
        _ownedContext = null;
    }
}

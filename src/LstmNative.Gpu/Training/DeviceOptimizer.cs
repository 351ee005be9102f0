using LstmNative.Gpu.Device;
namespace LstmNative.Gpu.Training;

/// <summary>
/// The optimizer step on the device: its state (moments or momentum), the global-norm reduction when clipping by
/// norm, then lntr_optimizer_prepare and lntr_optimizer_update over the whole flat parameter buffer. The step
/// count, learning rate and clipping factor live in the device scalars, so a step needs nothing from the host and
/// can be replayed from a CUDA graph.
/// </summary>
internal sealed class DeviceOptimizer
{
    private readonly DeviceArena _memory;
    private readonly IDeviceQueue _queue;
    private readonly OptimizerParams _update;
    private readonly SquaredNormParams _norm;

    public DeviceOptimizer(DeviceArena memory, DeviceTrainingWeights weights, DeviceOptimizerSettings settings, DeviceGradientClip clip, ulong scalars, ulong partials)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(clip);
        settings.Validate();
        clip.Validate();
        _memory = memory;
        _queue = memory.Queue;
        Settings = settings;
        Clip = clip;
        long bytes = weights.Count * sizeof(float);
        bool firstMoment = settings.Kind != DeviceOptimizerKind.Sgd || settings.Momentum > 0;
        _update = FusedOptimizerMath.Parameters(settings, clip, weights.Count);
        _update.Param = weights.Parameters;
        _update.Grad = weights.Gradients;
        _update.M = firstMoment ? memory.Allocate(bytes) : 0;
        _update.V = settings.Kind != DeviceOptimizerKind.Sgd ? memory.Allocate(bytes) : 0;
        _update.Scalars = scalars;
        _norm = new SquaredNormParams
        {
            X = weights.Gradients, Partials = partials, Scalars = scalars, Count = weights.Count,
            Blocks = TrainingLaunch.ReduceBlocks(weights.Count),
        };
        StateBytes = (_update.M != 0 ? bytes : 0) + (_update.V != 0 ? bytes : 0);
    }

    public DeviceOptimizerSettings Settings { get; }

    public DeviceGradientClip Clip { get; }

    /// <summary>Bytes of optimizer state on the device.</summary>
    public long StateBytes { get; }

    /// <summary>Queues clipping and the update of every parameter from its gradient.</summary>
    public void Step()
    {
        if (Clip.Mode == GradientClipMode.GlobalNorm)
        {
            _queue.Launch(TrainingKernel.SquaredNormPartials, TrainingLaunch.Reduce(_norm.Count), _norm);
            _queue.Launch(TrainingKernel.SquaredNormFinish, TrainingLaunch.OneBlock, _norm);
        }
        _queue.Launch(TrainingKernel.OptimizerPrepare, TrainingLaunch.Single, _update);
        _queue.Launch(TrainingKernel.OptimizerUpdate, TrainingLaunch.GridStride(_update.Count), _update);
    }
}

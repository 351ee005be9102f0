using LstmNative.Cuda;
using LstmNative.Gpu.Inference;
using LstmNative.Gpu.Training;

namespace LstmNative.Gpu.Device;

/// <summary>
/// The kernels of the embedded module as the queues launch them: the inference step kernels, the persistent kernels
/// (opted into their dynamic shared memory once per size increase, shared by every queue of a backend) and the
/// training kernels' function handles, looked up once so a launch allocates nothing.
/// </summary>
internal sealed class CudaKernelTable(CudaModule module)
{
    private readonly Dictionary<string, int> _sharedOptIn = new(StringComparer.Ordinal);
    private nint[]? _training;

    /// <summary>The plan's kernel, opted into the plan's dynamic shared memory (once per size increase).</summary>
    public CudaKernel PersistentKernel(PersistentPlan plan)
    {
        var kernel = module.GetKernel(plan.KernelName);
        lock (_sharedOptIn)
        {
            int current = _sharedOptIn.GetValueOrDefault(plan.KernelName);
            if (plan.SharedMemoryBytes > DeviceLimits.DefaultSharedMemoryPerBlock && plan.SharedMemoryBytes > current)
            {
                kernel.SetMaxDynamicSharedMemory(plan.SharedMemoryBytes);
                _sharedOptIn[plan.KernelName] = plan.SharedMemoryBytes;
            }
        }
        return kernel;
    }

    public CudaKernel StepKernelFor(StepKernel kernel) => module.GetKernel(kernel switch
    {
        StepKernel.Lstm => InferenceKernelNames.LstmStep,
        StepKernel.Gru => InferenceKernelNames.GruStep,
        StepKernel.GruReset => InferenceKernelNames.GruStepReset,
        _ => InferenceKernelNames.GruStepUpdate,
    });

    /// <summary>
    /// The training kernels' function handles in <see cref="TrainingKernel"/> order, looked up (in that order) on the
    /// first call; a queue that launches training kernels calls this when it is created.
    /// </summary>
    public nint[] TrainingFunctions()
    {
        if (_training is null)
        {
            var functions = new nint[TrainingKernelNames.All.Count];
            for (int i = 0; i < functions.Length; i++)
                functions[i] = module.GetKernel(TrainingKernelNames.All[i]).Function;
            _training = functions;
        }
        return _training;
    }
}

using LstmNative.Cuda;
using LstmNative.Gpu.Inference;
using LstmNative.Gpu.Tests.Emulation;

namespace LstmNative.Gpu.Tests.KernelsOnCpu;

/// <summary>
/// The inference launches of <see cref="CudaInferenceBackend"/> (same kernel names, grids, blocks, shared memory and
/// barrier modes) on the real kernels compiled for the CPU: what <see cref="EmulatedBackend"/> runs with realKernels.
/// </summary>
internal static class RealInferenceKernels
{
    /// <summary>Threads per block of the step kernels, as CudaInferenceBackend launches them.</summary>
    public const int StepBlock = 128;

    public static void Step(StepKernel kernel, StepKernelArgs args)
    {
        var name = kernel switch
        {
            StepKernel.Lstm => InferenceKernelNames.LstmStep,
            StepKernel.Gru => InferenceKernelNames.GruStep,
            StepKernel.GruReset => InferenceKernelNames.GruStepReset,
            _ => InferenceKernelNames.GruStepUpdate,
        };
        var config = new LaunchConfig(new Dim3((uint)((args.Hidden + StepBlock - 1) / StepBlock), (uint)args.Batch), new Dim3(StepBlock));
        CpuKernels.Launch(name, config, args);
    }

    public static void Persistent(EmulatedBackend backend, PersistentPlan plan, PersistentKernelArgs args, PersistentBarrier barrier)
    {
        EmulatedKernels.CheckPersistentLaunch(backend, plan, args, barrier);
        var config = new LaunchConfig(new Dim3((uint)plan.GridBlocks), new Dim3((uint)plan.ThreadsPerBlock), (uint)plan.SharedMemoryBytes);
        // The whole grid runs at once (the host checked it is resident); the cooperative mode allows grid.sync().
        CpuKernels.Launch(plan.KernelName, config, args, concurrent: true, cooperative: barrier == PersistentBarrier.Cooperative);
    }
}

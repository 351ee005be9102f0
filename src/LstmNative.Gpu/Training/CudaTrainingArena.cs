using LstmNative.Cuda;
using LstmNative.Gpu.Device;
using LstmNative.Gpu.Inference;

namespace LstmNative.Gpu.Training;

/// <summary>
/// The training engine's device on a GPU: one <see cref="CudaDeviceQueue"/> with the training kernels, its cuBLAS
/// handle in the trainer's math mode with a fixed workspace (so a step can be captured into a CUDA graph), and an
/// arena of device memory freed with it.
/// </summary>
internal static class CudaTrainingArena
{
    private const long CublasWorkspaceBytes = 32L * 1024 * 1024; // NVIDIA's recommendation for Hopper

    /// <summary>Creates the arena and its queue on <paramref name="context"/> with the kernels of <paramref name="kernels"/>.</summary>
    /// <param name="context">The context (current on the calling thread).</param>
    /// <param name="kernels">The embedded kernels module (<see cref="CudaContext.LoadEmbeddedKernels"/>).</param>
    /// <param name="mathMode">FP32 or TF32 tensor cores for the GEMMs.</param>
    /// <param name="stream">The stream to queue on; null creates one (owned by the queue).</param>
    public static DeviceArena Create(CudaContext context, CudaModule kernels, GpuMathMode mathMode, CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(kernels);
        var queue = new CudaDeviceQueue(context, new CudaKernelTable(kernels), stream, training: true,
            mathMode == GpuMathMode.Tf32 ? CublasMathMode.Tf32TensorOp : CublasMathMode.Default, CublasWorkspaceBytes);
        return new DeviceArena(queue, bytes => CudaInferenceBackend.Allocate(context, bytes));
    }
}

using LstmNative.Cuda;
using LstmNative.Gpu.Training;
using LstmNative.Model;

namespace LstmNative.Cli.Commands;

/// <summary>
/// <c>lstmnative backward ... --device cuda</c>: the node's backward pass on the GPU (GPU training engine,
/// <see cref="GpuOnnxBackward"/>), same files as the CPU path. Without a usable GPU it is a one-line error with the
/// probe's reason; it never falls back to the CPU silently.
/// </summary>
internal static class GpuBackward
{
    /// <summary>Returns "cuda" when the GPU can run, else throws the probe's reason.</summary>
    public static string RequireGpu()
    {
        var probe = GpuRuntime.Current;
        if (!probe.IsAvailable)
            throw new CliException($"--device cuda: no usable GPU: {probe.Reason}");
        return "cuda";
    }

    /// <summary>Runs the bound node's backward pass on the GPU.</summary>
    public static IReadOnlyDictionary<string, NdArray> Run(BoundModel bound, IReadOnlyDictionary<string, NdArray> upstream)
    {
        using var context = CudaContext.Create();
        using var kernels = context.LoadEmbeddedKernels();
        return GpuOnnxBackward.Run(context, kernels, bound.Operator, bound.InputsByRole, upstream);
    }
}

using LstmNative.Cuda;

namespace LstmNative.Cli.Commands;

/// <summary>
/// Resolves <c>--device</c>. For a command the GPU engine runs (<paramref name="gpu"/>): cuda without a usable GPU is an
/// error carrying the probe's reason; auto is cuda when the probe finds a usable GPU and the GPU path has been validated
/// on a real GPU (<see cref="AutoMayChooseGpu"/>), else cpu. Other commands run on the CPU: auto is
/// cpu and cuda is an error. Whatever auto chose, a GPU failure during an auto run falls back to the CPU
/// (<see cref="RunWithCpuFallback{T}"/>).
/// </summary>
internal static class DeviceSelection
{
    /// <summary>
    /// Whether the GPU code as built has passed the whole GPU suite on a real GPU. Until it has, <c>--device auto</c>
    /// keeps the main jobs on the CPU: a user's run must not be the first to exercise the GPU path. The suite passed on
    /// an H200 on 2026-12-04 (docs/gpu.md), but the device layer was rewritten on 2026-12-05 (one device queue and arena
    /// for inference and training, the session split) and that code has run only on the emulators, so this is false
    /// again. The next session with a GPU sets it back to true once <c>gpu-bundle/run.sh --stages 1,2,3</c> passes.
    /// </summary>
    internal const bool GpuPathValidated = false;

    /// <summary>Set to 1 to let <c>--device auto</c> choose a usable GPU before <see cref="GpuPathValidated"/>.</summary>
    internal const string AutoGpuVariable = "LSTMNATIVE_AUTO_GPU";

    /// <summary>Whether auto may pick the GPU at all (validated, or opted into through <see cref="AutoGpuVariable"/>).</summary>
    internal static bool AutoMayChooseGpu => GpuPathValidated || Environment.GetEnvironmentVariable(AutoGpuVariable) == "1";

    public static string Resolve(string? requested, bool gpu = false) => Resolve(requested, gpu, AutoMayChooseGpu, () => GpuRuntime.Current.IsAvailable);

    /// <summary>The rule itself, with the validation state and the probe given (tests).</summary>
    internal static string Resolve(string? requested, bool gpu, bool autoMayChooseGpu, Func<bool> gpuUsable)
    {
        switch (requested ?? "auto")
        {
            case "cpu":
                return "cpu";
            case "auto":
                return gpu && autoMayChooseGpu && gpuUsable() ? "cuda" : "cpu";
            case "cuda":
                if (!gpu)
                    throw new CliException("--device cuda: the CUDA engine cannot run this command in this build; use --device cpu or auto");
                var probe = GpuRuntime.Current;
                if (!probe.IsAvailable)
                    throw new CliException($"--device cuda: no usable GPU: {probe.Reason}");
                return "cuda";
            default:
                throw new CliException($"--device must be cpu, cuda or auto, got '{requested}'");
        }
    }

    /// <summary>
    /// Runs <paramref name="run"/> on <paramref name="device"/>. When auto chose cuda and the GPU path fails with a CUDA,
    /// cuBLAS or cuDNN error, says so in one line on <paramref name="stderr"/> and runs again on the CPU: auto must never
    /// turn a run the CPU can do into a failure. An explicit <c>--device cuda</c> fails as asked.
    /// </summary>
    public static T RunWithCpuFallback<T>(string? requested, string device, Func<string, T> run, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(stderr);
        if (device != "cuda" || (requested ?? "auto") != "auto")
            return run(device);
        try
        {
            return run("cuda");
        }
        catch (Exception e) when (IsGpuFailure(e))
        {
            stderr.WriteLine($"lstmnative: warning: the GPU run failed ({FirstLine(e.Message)}); running on the CPU instead");
            return run("cpu");
        }
    }

    /// <summary>Whether <paramref name="e"/> (or what it wraps) comes from the GPU stack rather than from the user's input.</summary>
    internal static bool IsGpuFailure(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is CudaException or CublasException or CudnnException or CudaLibraryNotFoundException)
                return true;
        return false;
    }

    private static string FirstLine(string message)
    {
        int end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }
}

using LstmNative.Cuda;

namespace LstmNative.Cli.Commands;

/// <summary>
/// Resolves <c>--device</c>. For a command the GPU engine runs (<paramref name="gpu"/>): auto is cuda when the GPU probe
/// finds a usable GPU, else cpu; cuda without one is an error carrying the probe's reason. Other commands run on the
/// CPU: auto is cpu and cuda is an error.
/// </summary>
internal static class DeviceSelection
{
    public static string Resolve(string? requested, bool gpu = false)
    {
        switch (requested ?? "auto")
        {
            case "cpu":
                return "cpu";
            case "auto":
                return gpu && GpuRuntime.Current.IsAvailable ? "cuda" : "cpu";
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
}

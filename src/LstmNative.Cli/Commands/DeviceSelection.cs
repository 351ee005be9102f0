namespace LstmNative.Cli.Commands;

/// <summary>Resolves <c>--device</c>: auto falls back to the CPU; an explicit cuda without a usable GPU is an error.</summary>
internal static class DeviceSelection
{
    public static string Resolve(string? requested)
    {
        switch (requested ?? "auto")
        {
            case "cpu":
            case "auto":
                return "cpu";
            case "cuda":
                throw new CliException("--device cuda: the CUDA engine cannot run this model in this build; use --device cpu or auto");
            default:
                throw new CliException($"--device must be cpu, cuda or auto, got '{requested}'");
        }
    }
}

using System.Text;

namespace LstmNative.Cuda;

/// <summary>The answer to "is a usable GPU here, and if not, why" (see <see cref="GpuRuntime"/>).</summary>
public sealed class GpuProbeResult
{
    internal GpuProbeResult(
        string? failure, bool kernelsEmbedded, IReadOnlyList<GpuDeviceInfo> devices, int? driverVersion,
        string? driverLibrary, string? cublasVersion, string? cublasLibrary, long? cudnnVersion, string? cudnnLibrary,
        string? cudnnProblem)
    {
        IsAvailable = failure is null;
        Reason = failure ?? $"GPU available: {devices.First(d => d.IsSupported)}";
        KernelsEmbedded = kernelsEmbedded;
        Devices = devices;
        DriverVersion = driverVersion;
        DriverLibrary = driverLibrary;
        CublasVersion = cublasVersion;
        CublasLibrary = cublasLibrary;
        CudnnVersion = cudnnVersion;
        CudnnLibrary = cudnnLibrary;
        CudnnProblem = cudnnProblem;
    }

    /// <summary>True when the GPU engine can run: driver, a device of compute capability 8.0+, the kernels load, cuBLAS.</summary>
    public bool IsAvailable { get; }

    /// <summary>Why the GPU is unavailable (the first obstacle met), or a one-line summary of the device when it is available.</summary>
    public string Reason { get; }

    /// <summary>Whether the build embedded the kernels fatbin (false when it had no nvcc).</summary>
    public bool KernelsEmbedded { get; }

    /// <summary>The CUDA devices the driver reports (empty without driver or device).</summary>
    public IReadOnlyList<GpuDeviceInfo> Devices { get; }

    /// <summary>The driver's CUDA version as an integer (12020 for 12.2), or null when not reached.</summary>
    public int? DriverVersion { get; }

    /// <summary>Where libcuda was loaded from.</summary>
    public string? DriverLibrary { get; }

    /// <summary>cuBLAS major.minor.patch, or null when not found.</summary>
    public string? CublasVersion { get; }

    /// <summary>Where cuBLAS was loaded from.</summary>
    public string? CublasLibrary { get; }

    /// <summary>cuDNN's version integer, or null when not found (cuDNN is optional: baselines only).</summary>
    public long? CudnnVersion { get; }

    /// <summary>Where cuDNN was loaded from.</summary>
    public string? CudnnLibrary { get; }

    /// <summary>Why cuDNN is unusable, or null.</summary>
    public string? CudnnProblem { get; }

    /// <summary>A multi-line human-readable report.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        text.AppendLine(IsAvailable ? "GPU: available" : "GPU: unavailable");
        text.AppendLine($"reason: {Reason}");
        text.AppendLine($"kernels embedded: {(KernelsEmbedded ? "yes" : "no")}");
        text.AppendLine($"driver: {(DriverVersion is { } v ? $"CUDA {v / 1000}.{v % 1000 / 10}" : "not reached")}{(DriverLibrary is null ? "" : $" ({DriverLibrary})")}");
        foreach (var device in Devices)
            text.AppendLine($"device: {device}{(device.IsSupported ? "" : " (unsupported: compute capability below 8.0)")}");
        text.AppendLine($"cuBLAS: {CublasVersion ?? "not found"}{(CublasLibrary is null ? "" : $" ({CublasLibrary})")}");
        text.AppendLine($"cuDNN: {(CudnnVersion is { } c ? c.ToString(System.Globalization.CultureInfo.InvariantCulture) : "not found")}{(CudnnLibrary is null ? "" : $" ({CudnnLibrary})")}{(CudnnProblem is null ? "" : $": {Abbreviate(CudnnProblem)}")}");
        return text.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => Reason;

    // A failed search lists every path tried (dozens with several Pythons); a summary reads better in a report.
    private static string Abbreviate(string text)
    {
        var lines = text.Split('\n');
        return lines.Length <= 6 ? text : string.Join('\n', lines.Take(4)) + $"\n  ... {lines.Length - 5} more candidates\n" + lines[^1];
    }
}

using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using LstmNative.Cpu;

namespace LstmNative.PerfGate.Machine;

/// <summary>
/// Reads <see cref="MachineFacts"/> from the OS without starting processes: <c>/proc/cpuinfo</c> for the CPU and
/// <c>/proc/driver/nvidia</c> for the GPU and driver on Linux; portable fallbacks elsewhere.
/// </summary>
internal static class MachineProbe
{
    /// <summary>The facts of this machine and process.</summary>
    public static MachineFacts Current() => new(
        CpuModel(),
        Environment.ProcessorCount,
        Simd(),
        NvidiaGpus(),
        NvidiaDriver(),
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription);

    private static string CpuModel()
    {
        const string cpuinfo = "/proc/cpuinfo";
        try
        {
            if (File.Exists(cpuinfo))
            {
                var fields = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (string line in File.ReadLines(cpuinfo))
                {
                    if (line.Length == 0)
                        break; // the first processor's block is enough
                    int colon = line.IndexOf(':', StringComparison.Ordinal);
                    if (colon > 0)
                        fields.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim());
                }
                // Virtual machines often show a generic name ("AMD EPYC"): family and model tell the generations apart.
                if (fields.TryGetValue("model name", out string? name))
                    return fields.TryGetValue("cpu family", out string? family) && fields.TryGetValue("model", out string? model)
                        ? $"{name} (family {family}, model {model})"
                        : name;
                if (fields.TryGetValue("CPU part", out string? part))
                    return $"{RuntimeInformation.ProcessArchitecture} (implementer {fields.GetValueOrDefault("CPU implementer", "?")}, part {part})";
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Facts are best effort: an unreadable file yields the generic description below.
        }
        return Environment.GetEnvironmentVariable("PROCESSOR_IDENTIFIER") ?? RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static string Simd()
    {
        var sets = new List<string>();
        if (Avx512F.IsSupported)
            sets.Add("AVX-512F");
        if (Avx2.IsSupported)
            sets.Add("AVX2");
        if (Fma.IsSupported)
            sets.Add("FMA");
        if (AdvSimd.IsSupported)
            sets.Add("AdvSIMD");
        return $"{CpuRnn.ActiveWidth} ({(sets.Count == 0 ? "no SIMD" : string.Join("+", sets))})";
    }

    private static string NvidiaGpus()
    {
        const string gpus = "/proc/driver/nvidia/gpus";
        try
        {
            if (!Directory.Exists(gpus))
                return "none";
            var models = Directory.GetDirectories(gpus).Order(StringComparer.Ordinal)
                .Select(d => Path.Combine(d, "information"))
                .Where(File.Exists)
                .Select(f => File.ReadLines(f).FirstOrDefault(l => l.StartsWith("Model:", StringComparison.Ordinal))?["Model:".Length..].Trim())
                .OfType<string>()
                .ToList();
            return models.Count == 0 ? "none" : string.Join(", ", models);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    private static string NvidiaDriver()
    {
        const string version = "/proc/driver/nvidia/version";
        try
        {
            if (!File.Exists(version))
                return "none";
            // "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar 5 ..." → the dotted number.
            string first = File.ReadLines(version).FirstOrDefault() ?? "";
            return first.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .FirstOrDefault(w => w.Contains('.', StringComparison.Ordinal) && w.All(c => char.IsDigit(c) || c == '.')) ?? first.Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "unknown";
        }
    }
}

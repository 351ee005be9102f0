using System.Reflection;

namespace LstmNative.Cuda;

/// <summary>
/// The GPU kernels compiled by nvcc at build time (kernels/*.cu → one fatbin: SASS for sm_80/86/89/90 and
/// compute_90 PTX), embedded in this assembly. Absent when the build machine had no nvcc.
/// </summary>
public static class EmbeddedKernels
{
    /// <summary>The manifest resource name of the fatbin.</summary>
    public const string ResourceName = "LstmNative.Cuda.kernels.lstmnative.fatbin";

    /// <summary>The manifest resource name of nvcc's -Xptxas -v report (registers, spills per kernel and arch).</summary>
    public const string PtxasReportResourceName = "LstmNative.Cuda.kernels.ptxas-report.txt";

    /// <summary>Why there is no GPU when the kernels are missing: said by the probe, word for word.</summary>
    public const string NotCompiledReason =
        "GPU kernels were not compiled: nvcc was not found at build time, so LstmNative.Cuda has no embedded fatbin " +
        "(install the CUDA toolkit and run 'dotnet cake --target=Kernels', then rebuild; see docs/gpu.md)";

    /// <summary>The first four bytes of every fatbin (0xBA55ED50, little-endian).</summary>
    public static ReadOnlySpan<byte> FatbinMagic => [0x50, 0xED, 0x55, 0xBA];

    private static readonly Lazy<byte[]?> Cached = new(() => Read(ResourceName));
    private static readonly Lazy<string?> CachedReport = new(() => Read(PtxasReportResourceName) is { } bytes ? System.Text.Encoding.UTF8.GetString(bytes) : null);

    /// <summary>Whether the fatbin was embedded at build time.</summary>
    public static bool IsEmbedded => Cached.Value is not null;

    /// <summary>The fatbin image, or null when the build had no nvcc.</summary>
    public static byte[]? Image => Cached.Value;

    /// <summary>nvcc's -Xptxas -v output for the embedded kernels, or null.</summary>
    public static string? PtxasReport => CachedReport.Value;

    /// <summary>The manifest resources of this assembly (for the CI check that the fatbin is really embedded).</summary>
    public static IReadOnlyList<string> ResourceNames => typeof(EmbeddedKernels).Assembly.GetManifestResourceNames();

    private static byte[]? Read(string name)
    {
        using var stream = typeof(EmbeddedKernels).Assembly.GetManifestResourceStream(name);
        if (stream is null)
            return null;
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}

/// <summary>The <c>extern "C"</c> names of the kernels in kernels/*.cu.</summary>
public static class KernelNames
{
    /// <summary>kernels/lstm_pointwise.cu: bias + gates + activations + cell update for one LSTM step.</summary>
    public const string LstmPointwiseForward = "lstm_pointwise_forward";
}

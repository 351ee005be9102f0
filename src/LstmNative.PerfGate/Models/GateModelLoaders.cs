namespace LstmNative.PerfGate.Models;

/// <summary>The model formats user suites may name, by file extension.</summary>
internal static class GateModelLoaders
{
    /// <summary>Every loader, asked in order.</summary>
    public static IReadOnlyList<IGateModelLoader> All { get; } =
    [
        new OnnxGateModelLoader(),
        // SEAM (safetensors): replace this placeholder with a loader built on the safetensors reader when it is merged.
        new SafetensorsGateModelLoader(),
    ];

    /// <summary>The loader for <paramref name="path"/>'s extension; throws <see cref="GateException"/> when none reads it.</summary>
    public static IGateModelLoader For(string path)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        return All.FirstOrDefault(l => l.Handles(extension))
            ?? throw new GateException($"model '{path}': unknown model format '{extension}' (expected .onnx or .safetensors)");
    }
}

using LstmNative.Model;

namespace LstmNative.PerfGate.Models;

/// <summary>
/// Turns a user's model file into the engine's layers for a gate case. One implementation per file format, chosen by
/// <see cref="GateModelLoaders"/> from the file's extension.
/// </summary>
internal interface IGateModelLoader
{
    /// <summary>The format's name in messages ("ONNX").</summary>
    string Format { get; }

    /// <summary>Whether this loader reads files with <paramref name="extension"/> (".onnx", with the dot, lower case).</summary>
    bool Handles(string extension);

    /// <summary>Reads the layers; throws <see cref="GateException"/> saying why a file cannot be used.</summary>
    IReadOnlyList<LayerWeights<float>> Load(string path);
}

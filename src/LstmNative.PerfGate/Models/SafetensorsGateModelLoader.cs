using LstmNative.Model;

namespace LstmNative.PerfGate.Models;

/// <summary>
/// The seam for safetensors models. The safetensors reader is being written on another branch; until it is merged this
/// loader recognises <c>.safetensors</c> files only to say so clearly (exit 2) instead of calling them an unknown format.
/// When it lands: map the file's tensors to <see cref="LayerWeights{T}"/> here (the architecture comes from the file's
/// metadata or from the suite entry) and nothing else in the gate changes.
/// </summary>
internal sealed class SafetensorsGateModelLoader : IGateModelLoader
{
    public string Format => "safetensors";

    public bool Handles(string extension) => extension == ".safetensors";

    public IReadOnlyList<LayerWeights<float>> Load(string path) =>
        throw new GateException($"model '{path}': safetensors models are not supported by this build yet (the safetensors loader is not merged); export the model to ONNX meanwhile");
}

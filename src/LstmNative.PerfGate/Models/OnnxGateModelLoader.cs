using LstmNative.Formats;
using LstmNative.Model;
using LstmNative.Onnx;

namespace LstmNative.PerfGate.Models;

/// <summary>
/// ONNX models holding one LSTM or GRU node (what <see cref="OnnxModelReader"/> reads). The weights must be initializers,
/// since the gate has no data files to bind; X's batch and length come from the suite, and optional inputs
/// (sequence_lens, initial states) are left out: the gate times full-length sequences from zero states.
/// </summary>
internal sealed class OnnxGateModelLoader : IGateModelLoader
{
    public string Format => "ONNX";

    public bool Handles(string extension) => extension == ".onnx";

    public IReadOnlyList<LayerWeights<float>> Load(string path)
    {
        if (!File.Exists(path))
            throw new GateException($"model file not found: {path}");
        try
        {
            var model = OnnxModelReader.Load(path);
            var options = model.ToLayerOptions().Options;
            float[] Required(OnnxRnnInput role) => Tensor(model, role, required: true) ?? [];
            return [GateOrder.FromOnnx<float>(options, Required(OnnxRnnInput.W), Required(OnnxRnnInput.R),
                Tensor(model, OnnxRnnInput.B, required: false) ?? [], Tensor(model, OnnxRnnInput.P, required: false) ?? [])];
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException or NotSupportedException or ArgumentException)
        {
            throw new GateException($"model '{path}' cannot be loaded: {e.Message}", e);
        }
    }

    private static float[]? Tensor(OnnxRnnModel model, OnnxRnnInput role, bool required)
    {
        string name = model.Input(role);
        if (name.Length == 0)
        {
            if (required)
                throw new GateException($"model '{model.Source}': the {model.OpType} node has no {role} input");
            return null;
        }
        if (!model.Initializers.TryGetValue(name, out var tensor))
            throw new GateException($"model '{model.Source}': {role} ('{name}') is a graph input, not an initializer; the gate needs the weights stored in the model");
        return tensor.ToFloats();
    }
}

using LstmNative.Formats;
using Google.Protobuf;
using Onnx;

namespace LstmNative.Onnx;

/// <summary>
/// The parse and the header checks every ONNX reader starts with (single-node and graph readers alike): protobuf
/// accepts many byte strings (a truncated file that ends on a field boundary parses fine), so the fields every real
/// model has are checked before anything else.
/// </summary>
internal static class OnnxModelProtos
{
    /// <summary>Parses model bytes; a protobuf error becomes a <see cref="ModelFormatException"/> naming the source.</summary>
    public static ModelProto Parse(ReadOnlySpan<byte> bytes, string source)
    {
        try
        {
            return ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw ModelFormatException.For(source, $"not a valid ONNX model (protobuf): {ModelFormatException.OneLine(e.Message)}", e);
        }
    }

    /// <summary>Checks the IR version, the graph and the default opset import; returns the graph and that opset.</summary>
    public static (GraphProto Graph, OperatorSetIdProto Opset) CheckHeader(ModelProto model, string source)
    {
        if (model.IrVersion <= 0)
            throw ModelFormatException.For(source, $"ONNX model has ir_version {model.IrVersion}: expected a positive IR version (is this an ONNX model?)");
        var graph = model.Graph ?? throw ModelFormatException.For(source, "ONNX model has no graph");
        var opset = model.OpsetImport.LastOrDefault(o => o.Domain is "" or "ai.onnx")
            ?? throw ModelFormatException.For(source, "ONNX model imports no default (ai.onnx) operator set: expected an opset_import entry for it");
        return (graph, opset);
    }
}

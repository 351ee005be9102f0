using Google.Protobuf;
using LstmNative.Formats;
using LstmNative.Layers;
using LstmNative.Model;
using LstmNative.Onnx;

namespace LstmNative.Fuzz;

/// <summary>Valid inputs to start mutating from, built in code so the repository holds no binary corpus.</summary>
internal static class Seeds
{
    private static readonly int[] TokenIds = [1, 2];

    public static IReadOnlyList<byte[]> For(string target) => target switch
    {
        "npy" =>
        [
            NpyWriter.ToBytes(NdArray.FromFloats([1, 2, 3, 4, 5, 6], 2, 3)),
            NpyWriter.ToBytes(new NdArray(new long[] { 7 }, [])),
            NpyWriter.ToBytes(NdArray.FromDoubles([0.5, -1], 2, 1, 1)),
        ],
        "safetensors" =>
        [
            SafetensorsWriter.ToBytes(PyTorchStateDict.FromModel(new RnnModel<float>(new RnnOptions(RnnCellType.Lstm, 2, 3, 2, Bidirectional: true)).InitializeUniform(1), "encoder.lstm")),
            SafetensorsWriter.ToBytes(PyTorchStateDict.FromModel(new RnnModel<float>(new RnnOptions(RnnCellType.Lstm, 2, 3) { ProjectionSize = 2 }).InitializeUniform(2))),
            SafetensorsWriter.ToBytes(PyTorchStateDict.FromModel(new RnnModel<double>(new RnnOptions(RnnCellType.Gru, 1, 2, Bias: false)).InitializeUniform(3))),
            SafetensorsWriter.ToBytes([new("ids", new NdArray(TokenIds, [2]))], new Dictionary<string, string> { ["format"] = "pt" }),
        ],
        "onnx" =>
        [
            OnnxExporter.ToModelProto(new RnnModel<float>(new RnnOptions(RnnCellType.Lstm, 2, 3, 2, BatchFirst: true, Bidirectional: true)).InitializeUniform(4),
                new OnnxExportOptions { IncludeInitialStates = true }).ToByteArray(),
            OnnxExporter.ToModelProto(new RnnModel<float>(new RnnOptions(RnnCellType.Gru, 2, 2)).InitializeUniform(5)).ToByteArray(),
            OnnxTensors.ToTensorProto("t", NdArray.FromFloats([1, 2], 2)).ToByteArray(),
        ],
        "cli" =>
        [
            [3, .. "--window\n24\n--horizon\n6\n--hidden\n23171\n--season\n0"u8],
            [0, .. "model.onnx\n--input\nX=x.npy\n--output-dir\nout\n--repeat\n2"u8],
            [2, .. "m.safetensors\n--onnx\nm.onnx\n--prefix\nencoder.lstm"u8],
        ],
        "sizes" =>
        [
            [0, 2, 6, 2, 24, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 24, 0, 0, 0],
            [1, 1, 1, 1, 4, 0, 0, 0, 0, 0, 0, 64, 0, 0, 0, 0, 1, 0, 0, 0],
        ],
        _ => throw new ArgumentException($"unknown target '{target}'"),
    };
}

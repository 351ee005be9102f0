using Google.Protobuf;
using LstmNative.Model;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;

namespace LstmNative.Tests.Onnx;

/// <summary>Runs an ONNX model in ONNX Runtime (the independent engine our exports are checked against).</summary>
internal static class OrtRunner
{
    public static Dictionary<string, NdArray> Run(ModelProto model, IReadOnlyDictionary<string, NdArray> inputs)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 1 };
        using var session = new InferenceSession(model.ToByteArray(), options);
        var feeds = inputs.Select(kv => NamedOnnxValue.CreateFromTensor(kv.Key,
            new DenseTensor<float>(kv.Value.ToFloats(), kv.Value.Shape.ToArray()))).ToList();
        using var results = session.Run(feeds);
        return results.ToDictionary(r => r.Name, r =>
        {
            var t = r.AsTensor<float>();
            return new NdArray(t.ToArray(), t.Dimensions.ToArray());
        });
    }
}

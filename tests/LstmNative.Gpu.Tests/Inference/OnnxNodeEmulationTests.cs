using LstmNative.Formats;
using LstmNative.Gpu.Inference;
using LstmNative.Gpu.Tests.Emulation;
using LstmNative.Model;
using LstmNative.Onnx;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Inference;

/// <summary>
/// The path of <c>lstmnative run --device cuda</c>: every ONNX backend node test through
/// <see cref="OnnxRnnOperator"/> on a <see cref="GpuLayerRunner"/> (the engine seam), on the CPU emulation
/// (both algorithms), against the test's expected outputs.
/// </summary>
public class OnnxNodeEmulationTests
{
    public static IEnumerable<TestCaseData> Cases()
    {
        var dir = FindNodeTests();
        if (dir is null)
        {
            yield return new TestCaseData("(shared/conformance/onnx-node not found)", GpuAlgorithm.Auto).SetArgDisplayNames("onnx-node");
            yield break;
        }
        foreach (var caseDir in Directory.GetDirectories(dir).Order(StringComparer.Ordinal))
            foreach (var algorithm in new[] { GpuAlgorithm.Standard, GpuAlgorithm.Persistent })
                yield return new TestCaseData(Path.GetFileName(caseDir), algorithm).SetArgDisplayNames($"{Path.GetFileName(caseDir)} {algorithm}");
    }

    [TestCaseSource(nameof(Cases))]
    public void NodeTestMatchesThroughTheGpuHook(string name, GpuAlgorithm algorithm)
    {
        var root = FindNodeTests();
        if (root is null)
            Assert.Ignore("shared/conformance/onnx-node is not above this test run");
        string dir = Path.Combine(root!, name);
        var model = OnnxModelReader.Load(Path.Combine(dir, "model.onnx"));
        var data = Path.Combine(dir, "test_data_set_0");
        var byName = Directory.GetFiles(data, "input_*.pb").Select(OnnxTensors.ReadTensorProto).ToDictionary(t => t.Name, t => t.Array);
        var byRole = new Dictionary<string, NdArray>(StringComparer.Ordinal);
        for (int i = 0; i < model.NodeInputs.Count && i < OnnxRnnTensors.InputRoles.Count; i++)
            if (model.NodeInputs[i].Length > 0)
                byRole[OnnxRnnTensors.InputRoles[i]] = byName.TryGetValue(model.NodeInputs[i], out var v) ? v : model.Initializers[model.NodeInputs[i]];
        var backend = new EmulatedBackend(seed: name.Length);
        using var runner = new GpuLayerRunner((layers, options) => new GpuRnnModel(backend, layers, options), new GpuInferenceOptions { Algorithm = algorithm });
        var op = new OnnxRnnOperator(model.Attributes, OnnxRnnTensors.FromRoles(byRole), runner);
        var result = op.Forward();
        foreach (var file in Directory.GetFiles(data, "output_*.pb"))
        {
            var (tensor, expected) = OnnxTensors.ReadTensorProto(file);
            int position = model.NodeOutputs.ToList().IndexOf(tensor);
            var actual = result[OnnxRnnOutputRole(position)];
            Assert.That(actual.Shape, Is.EqualTo(expected.Shape), tensor);
            var (worst, at) = InferenceReference.WorstError(actual.ToFloats(), expected.ToFloats());
            Assert.That(worst, Is.LessThan(1e-5), $"{name}/{tensor}: worst at {at}");
        }
        Assert.That(runner.Session!.AlgorithmFor(0, op.Batch).Algorithm, Is.EqualTo(algorithm));
    }

    private static string OnnxRnnOutputRole(int position) => OnnxRnnTensors.OutputRoles[position];

    private static string? FindNodeTests()
    {
        string? shared = Environment.GetEnvironmentVariable("LSTMNATIVE_SHARED");
        if (shared is not null && Directory.Exists(Path.Combine(shared, "conformance", "onnx-node")))
            return Path.Combine(shared, "conformance", "onnx-node");
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            foreach (var candidate in new[] { Path.Combine(dir.FullName, "shared", "conformance", "onnx-node"), Path.Combine(dir.FullName, "conformance", "onnx-node") })
                if (Directory.Exists(candidate))
                    return candidate;
        return null;
    }
}

using System.Text.Json;
using LstmNative.Formats;
using LstmNative.Model;
using LstmNative.Onnx;
using NUnit.Framework;

namespace LstmNative.Tests.Formats;

/// <summary>
/// Loads the ONNX backend node tests in <c>shared/conformance/onnx-node</c> and cross-checks them against their JSON twins
/// in <c>onnx-generated</c> (written by the same generators, so names, attributes, shapes and values must agree).
/// </summary>
public class OnnxConformanceTests
{
    private const string Absent = "(shared conformance folder not found)";

    private static IEnumerable<TestCaseData> Cases()
    {
        string? root = TestPaths.ConformanceDirectory;
        string? dir = root is null ? null : Path.Combine(root, "onnx-node");
        if (dir is null || !Directory.Exists(dir))
        {
            yield return new TestCaseData(Absent).SetName("{m}(shared folder absent)");
            yield break;
        }
        foreach (string caseDir in Directory.GetDirectories(dir).Order(StringComparer.Ordinal))
            if (File.Exists(Path.Combine(caseDir, "model.onnx")))
                yield return new TestCaseData(Path.GetFileName(caseDir)).SetName("{m}(" + Path.GetFileName(caseDir) + ")");
    }

    private static string CaseDirectory(string name)
    {
        string conformance = TestPaths.RequireConformance();
        if (name == Absent)
            Assert.Ignore($"no onnx-node folder in {conformance}");
        return Path.Combine(conformance, "onnx-node", name);
    }

    private static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();

    private static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    private static string[] Pad(string[] names, int count) => names.Concat(Enumerable.Repeat("", count - names.Length)).ToArray();

    [TestCaseSource(nameof(Cases))]
    public void LoadsModelAndTestData(string name)
    {
        string dir = CaseDirectory(name);
        var model = OnnxModelReader.Load(Path.Combine(dir, "model.onnx"));
        string expectedOp = name.StartsWith("test_lstm", StringComparison.Ordinal) ? "LSTM" : "GRU";

        using (Assert.EnterMultipleScope())
        {
            Assert.That(model.OpType, Is.EqualTo(expectedOp));
            Assert.That(model.Cell, Is.EqualTo(expectedOp == "LSTM" ? RnnCellType.Lstm : RnnCellType.Gru));
            Assert.That(model.NodeInputs, Has.Count.EqualTo(8));
            Assert.That(model.NodeOutputs, Has.Count.EqualTo(3));
            Assert.That(model.Initializers, Is.Empty, "the backend node tests feed every tensor as an input");
        }

        var (options, layout) = model.ToLayerOptions();
        var inputs = Directory.GetFiles(Path.Combine(dir, "test_data_set_0"), "input_*.pb").Order(StringComparer.Ordinal).ToArray();
        var outputs = Directory.GetFiles(Path.Combine(dir, "test_data_set_0"), "output_*.pb").Order(StringComparer.Ordinal).ToArray();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(inputs, Has.Length.EqualTo(model.GraphInputs.Count));
            Assert.That(outputs, Has.Length.EqualTo(model.GraphOutputs.Count));
            for (int i = 0; i < inputs.Length; i++)
            {
                var (tensorName, array) = OnnxTensors.ReadTensorProto(inputs[i]);
                var graphInput = model.GraphInputs[i];
                Assert.That(tensorName, Is.EqualTo(graphInput.Name), inputs[i]);
                Assert.That(array.DType, Is.EqualTo(graphInput.ElementType), inputs[i]);
                Assert.That(array.Shape.Select(d => (int?)d), Is.EqualTo(graphInput.Dims), inputs[i]);
                if (graphInput.Name == model.Input(OnnxRnnInput.W))
                    Assert.That(array.Shape[2], Is.EqualTo(options.InputSize));
                if (graphInput.Name == model.Input(OnnxRnnInput.X))
                    Assert.That(array.Shape[2], Is.EqualTo(options.InputSize)); // X is [T, B, I] or [B, T, I]
            }
            for (int i = 0; i < outputs.Length; i++)
            {
                var (tensorName, array) = OnnxTensors.ReadTensorProto(outputs[i]);
                Assert.That(tensorName, Is.EqualTo(model.GraphOutputs[i]), outputs[i]);
                Assert.That(array.DType, Is.EqualTo(DType.Float32), outputs[i]);
                Assert.That(array.Shape[^1], Is.EqualTo(options.HiddenSize), outputs[i]);
            }
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void AgreesWithItsJsonTwin(string name)
    {
        string dir = CaseDirectory(name);
        string twinPath = Path.Combine(TestPaths.RequireConformance(), "onnx-generated", name + ".json");
        if (!File.Exists(twinPath))
            Assert.Ignore($"no JSON twin {twinPath}");
        using var twin = JsonDocument.Parse(File.ReadAllText(twinPath));
        var root = twin.RootElement;
        var attrs = root.GetProperty("attrs");
        var model = OnnxModelReader.Load(Path.Combine(dir, "model.onnx"));
        var (options, layout) = model.ToLayerOptions();
        string[] inputNames = Strings(root.GetProperty("input_names"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(model.OpType, Is.EqualTo(root.GetProperty("op").GetString()));
            Assert.That(model.NodeInputs, Is.EqualTo(Pad(inputNames, 8)));
            Assert.That(model.NodeOutputs, Is.EqualTo(Pad(Strings(root.GetProperty("output_names")), 3)));
            Assert.That(model.Attributes.HiddenSize, Is.EqualTo(attrs.GetProperty("hidden_size").GetInt32()));
            Assert.That(options.HiddenSize, Is.EqualTo(attrs.GetProperty("hidden_size").GetInt32()));
            Assert.That(model.Attributes.Layout, Is.EqualTo(attrs.TryGetProperty("layout", out var l) ? l.GetInt32() : 0));
            Assert.That((int)layout, Is.EqualTo(model.Attributes.Layout));
            Assert.That(model.Attributes.Direction, Is.EqualTo(attrs.TryGetProperty("direction", out var d) ? d.GetString() : "forward"));
            Assert.That(options.HasPeepholes, Is.EqualTo(inputNames.Length > 7 && inputNames[7].Length > 0));
            Assert.That(model.GraphInputs.Select(i => i.Name), Is.EqualTo(inputNames.Where(n => n.Length > 0)));

            var twinInputs = root.GetProperty("inputs").EnumerateArray().ToArray();
            var files = Directory.GetFiles(Path.Combine(dir, "test_data_set_0"), "input_*.pb").Order(StringComparer.Ordinal).ToArray();
            Assert.That(files, Has.Length.EqualTo(twinInputs.Length));
            for (int i = 0; i < Math.Min(files.Length, twinInputs.Length); i++)
            {
                var (tensorName, array) = OnnxTensors.ReadTensorProto(files[i]);
                var t = twinInputs[i];
                Assert.That(tensorName, Is.EqualTo(t.GetProperty("name").GetString()));
                Assert.That(array.Shape, Is.EqualTo(Ints(t.GetProperty("shape"))), files[i]);
                Assert.That(model.GraphInputs[i].Dims, Is.EqualTo(Ints(t.GetProperty("shape")).Select(x => (int?)x)), files[i]);
                string dtype = t.TryGetProperty("dtype", out var dt) ? dt.GetString()! : "float32";
                Assert.That(array.DType, Is.EqualTo(dtype == "int32" ? DType.Int32 : DType.Float32), files[i]);
                Assert.That(array.ToDoubles(), Is.EqualTo(t.GetProperty("values").EnumerateArray().Select(v => (double)(float)v.GetDouble())), files[i]);
            }

            var twinOutputs = root.GetProperty("outputs").EnumerateArray().ToArray();
            var outFiles = Directory.GetFiles(Path.Combine(dir, "test_data_set_0"), "output_*.pb").Order(StringComparer.Ordinal).ToArray();
            Assert.That(outFiles, Has.Length.EqualTo(twinOutputs.Length));
            for (int i = 0; i < Math.Min(outFiles.Length, twinOutputs.Length); i++)
            {
                var (tensorName, array) = OnnxTensors.ReadTensorProto(outFiles[i]);
                var t = twinOutputs[i];
                Assert.That(tensorName, Is.EqualTo(t.GetProperty("name").GetString()));
                Assert.That(array.Shape, Is.EqualTo(Ints(t.GetProperty("shape"))), outFiles[i]);
                Assert.That(array.ToDoubles(), Is.EqualTo(t.GetProperty("values").EnumerateArray().Select(v => v.GetDouble())).Within(1e-6), outFiles[i]);
            }
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void EveryTruncationIsRefused(string name)
    {
        string path = Path.Combine(CaseDirectory(name), "model.onnx");
        byte[] bytes = File.ReadAllBytes(path);
        for (int length = 0; length < bytes.Length; length++)
        {
            int n = length;
            Assert.Throws<ModelFormatException>(() => OnnxModelReader.Load(bytes.AsSpan(0, n), path), $"prefix of {n} of {bytes.Length} bytes");
        }
    }
}

using LstmNative.Formats;
using LstmNative.Layers;
using LstmNative.Model;
using LstmNative.Onnx;
using LstmNative.Tests.Formats;
using NUnit.Framework;

namespace LstmNative.Tests.Onnx;

/// <summary>
/// ONNX export of multi-layer models: the exported file runs in ONNX Runtime and in our own graph runner, and both agree
/// with the float64 reference stack (which checks the gate reordering to ONNX's order end to end).
/// </summary>
public class OnnxExportTests
{
    public static IEnumerable<TestCaseData> Configurations()
    {
        foreach (var cell in new[] { RnnCellType.Lstm, RnnCellType.Gru })
        {
            yield return new TestCaseData(cell, 1, false, false, true, false).SetArgDisplayNames($"{cell} 1 layer");
            yield return new TestCaseData(cell, 2, true, false, true, true).SetArgDisplayNames($"{cell} 2 layers bidirectional, initial states");
            yield return new TestCaseData(cell, 3, false, true, false, false).SetArgDisplayNames($"{cell} 3 layers batch-first, no bias");
            yield return new TestCaseData(cell, 2, true, true, true, true).SetArgDisplayNames($"{cell} 2 layers bidirectional batch-first, initial states");
        }
    }

    [TestCaseSource(nameof(Configurations))]
    public void ExportRunsInOnnxRuntimeAndOurGraphRunnerLikeTheReference(RnnCellType cell, int layers, bool bidirectional, bool batchFirst, bool bias, bool states)
    {
        var rng = FormatTestData.Rng();
        const int input = 3, hidden = 4, steps = 5, batch = 2;
        var options = new RnnOptions(cell, input, hidden, layers, bias, batchFirst, Bidirectional: bidirectional);
        var model = new RnnModel<double>(options).InitializeUniform(rng.Next());
        var proto = OnnxExporter.ToModelProto(model, new OnnxExportOptions { IncludeInitialStates = states });

        var x = FormatTestData.UniformFloats(rng, batchFirst ? [batch, steps, input] : [steps, batch, input]);
        int stateCount = layers * options.DirectionCount;
        var feeds = new Dictionary<string, NdArray> { ["input"] = x };
        double[] h0 = [], c0 = [];
        if (states)
        {
            feeds["h0"] = FormatTestData.UniformFloats(rng, [stateCount, batch, hidden]);
            h0 = feeds["h0"].ToDoubles();
            if (cell == RnnCellType.Lstm)
            {
                feeds["c0"] = FormatTestData.UniformFloats(rng, [stateCount, batch, hidden]);
                c0 = feeds["c0"].ToDoubles();
            }
        }
        // The reference runs on the float32-rounded weights the file holds.
        var rounded = PyTorchStateDict.ToModel<double>(PyTorchStateDict.FromModel(model).ToDictionary(kv => kv.Key, kv => new NdArray(kv.Value.ToFloats(), kv.Value.Shape)), batchFirst: batchFirst);
        var expected = ReferenceStack.Forward<double>(rounded, x.ToDoubles(), steps, batch, h0, c0);

        var ort = OrtRunner.Run(proto, feeds);
        var ours = OnnxGraphReader.FromModelProto(proto, "export").Run(feeds);
        foreach (var (engine, result) in new[] { ("ONNX Runtime", ort), ("graph runner", (Dictionary<string, NdArray>)ours.ToDictionary()) })
        {
            Assert.That(result["output"].Shape, Is.EqualTo(batchFirst ? new[] { batch, steps, options.OutputSize } : new[] { steps, batch, options.OutputSize }), engine);
            Assert.That(result["h_n"].Shape, Is.EqualTo(new[] { stateCount, batch, hidden }), engine);
            Assert.That(result["output"].ToDoubles(), Is.EqualTo(expected.Output).Within(1e-5), $"{engine}: output");
            Assert.That(result["h_n"].ToDoubles(), Is.EqualTo(expected.Hn).Within(1e-5), $"{engine}: h_n");
            if (cell == RnnCellType.Lstm)
                Assert.That(result["c_n"].ToDoubles(), Is.EqualTo(expected.Cn).Within(1e-5), $"{engine}: c_n");
            else
                Assert.That(result.ContainsKey("c_n"), Is.False);
        }
    }

    [Test]
    public void ProjectionsCannotBeExported()
    {
        var model = new RnnModel<float>(new RnnOptions(RnnCellType.Lstm, 3, 4) { ProjectionSize = 2 });
        var ex = Assert.Throws<NotSupportedException>(() => OnnxExporter.ToModelProto(model));
        Assert.That(ex!.Message, Does.Contain("ONNX LSTM has no projection"));
    }

    [Test]
    public void SaveWritesALoadableFile()
    {
        var model = new RnnModel<float>(new RnnOptions(RnnCellType.Gru, 2, 3, 2)).InitializeUniform(3);
        string dir = Directory.CreateTempSubdirectory("lstmnative-export-").FullName;
        try
        {
            string path = Path.Combine(dir, "m.onnx");
            OnnxExporter.Save(path, model);
            var graph = OnnxGraphReader.Load(path);
            Assert.That(graph.Operators, Is.EqualTo(new[] { "GRU", "Squeeze", "GRU", "Squeeze", "Concat" }));
            Assert.That(graph.Inputs.Select(i => i.Name), Is.EqualTo(new[] { "input" }));
            Assert.That(graph.Outputs, Is.EqualTo(new[] { "output", "h_n" }));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

using LstmNative.Formats;
using LstmNative.Onnx;
using NUnit.Framework;

namespace LstmNative.Tests.Cli;

/// <summary>
/// The ONNX backend node tests (<c>shared/conformance/onnx-node</c>), run end to end through <c>lstmnative run</c>:
/// every input .pb becomes an .npy file, and every output .npy must match the expected output .pb.
/// </summary>
public class CliConformanceTests
{
    // ONNX's own backend test tolerance is rtol 1e-3 / atol 1e-7; the engine is far closer than that.
    private const double Tolerance = 1e-5;

    public static IEnumerable<TestCaseData> Cases()
    {
        var dir = TestPaths.ConformanceDirectory is { } c ? Path.Combine(c, "onnx-node") : null;
        if (dir is null || !Directory.Exists(dir))
        {
            yield return new TestCaseData("(shared/conformance/onnx-node not found)").SetArgDisplayNames("onnx-node");
            yield break;
        }
        foreach (var caseDir in Directory.GetDirectories(dir).Order(StringComparer.Ordinal))
            if (File.Exists(Path.Combine(caseDir, "model.onnx")))
                yield return new TestCaseData(Path.GetFileName(caseDir)).SetArgDisplayNames(Path.GetFileName(caseDir));
    }

    [TestCaseSource(nameof(Cases))]
    public void NodeTestRunsThroughTheCli(string name)
    {
        string caseDir = Path.Combine(TestPaths.RequireConformance(), "onnx-node", name);
        using var cli = new CliHarness();
        var args = new List<string> { "run", Path.Combine(caseDir, "model.onnx"), "--output-dir", cli.PathOf("out"), "--device", "cpu" };
        var data = Path.Combine(caseDir, "test_data_set_0");
        foreach (var file in Directory.GetFiles(data, "input_*.pb"))
        {
            var (tensor, value) = OnnxTensors.ReadTensorProto(file);
            string npy = cli.PathOf(tensor + ".npy");
            NpyWriter.Write(npy, value);
            args.AddRange(["--input", $"{tensor}={npy}"]);
        }
        var (exit, _, err) = cli.Run([.. args]);
        Assert.That(exit, Is.Zero, err);

        var outputs = Directory.GetFiles(data, "output_*.pb");
        Assert.That(outputs, Is.Not.Empty);
        foreach (var file in outputs)
        {
            var (tensor, expected) = OnnxTensors.ReadTensorProto(file);
            var actual = NpyReader.Read(cli.PathOf(Path.Combine("out", tensor + ".npy")));
            Assert.That(actual.Shape, Is.EqualTo(expected.Shape), tensor);
            Assert.That(actual.DType, Is.EqualTo(Model.DType.Float32), tensor);
            var e = expected.ToDoubles();
            var a = actual.ToDoubles();
            double worst = 0;
            for (int i = 0; i < e.Length; i++)
                worst = Math.Max(worst, Math.Abs(e[i] - a[i]));
            Assert.That(worst, Is.LessThanOrEqualTo(Tolerance), $"{name}/{tensor}: max |error| {worst:E2}");
        }
    }
}

using System.Globalization;
using LstmNative.Formats;
using LstmNative.Model;
using LstmNative.Onnx;

namespace LstmNative.Cli.Commands;

/// <summary>
/// <c>lstmnative run CASE_DIR --device ... --output-dir DIR</c>: runs an ONNX backend node test (CASE_DIR/model.onnx on
/// CASE_DIR/test_data_set_0/input_*.pb), writes the outputs to DIR and checks them against output_*.pb. Exit code 0 when
/// every output matches; otherwise one line naming the worst element. This is the GPU bundle's parity check.
/// </summary>
internal static class NodeTestCase
{
    // ONNX's backend tests use rtol 1e-3, atol 1e-7; float32 arithmetic against float64-made goldens gets a 1e-5 floor.
    private const double RelativeTolerance = 1e-3;
    private const double AbsoluteTolerance = 1e-5;

    public static int Run(DirectoryInfo dir, string device, DirectoryInfo outputDir, bool verbose, TextWriter stdout)
    {
        var modelFile = new FileInfo(Path.Combine(dir.FullName, "model.onnx"));
        string data = Path.Combine(dir.FullName, "test_data_set_0");
        if (!modelFile.Exists || !Directory.Exists(data))
            throw new CliException($"{dir.FullName} is a folder but not an ONNX node test (model.onnx and test_data_set_0/ expected)");
        var temp = Directory.CreateTempSubdirectory("lstmnative-case-");
        try
        {
            var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var file in Directory.GetFiles(data, "input_*.pb").Order(StringComparer.Ordinal))
            {
                var (name, value) = OnnxTensors.ReadTensorProto(file);
                string npy = Path.Combine(temp.FullName, pairs.Count.ToString(CultureInfo.InvariantCulture) + ".npy");
                NpyWriter.Write(npy, value);
                pairs[name] = npy;
            }
            var bound = BoundModel.Load(modelFile, pairs);
            var outputs = RunCommand.GraphOutputs(bound, RunCommand.Forward(bound, device, 1));
            // The case's inputs are .pb files converted into a temporary folder; only the model could be in the way.
            BoundModel.WriteAll(outputDir, outputs, [modelFile.FullName]);
            var expectedFiles = Directory.GetFiles(data, "output_*.pb").Order(StringComparer.Ordinal).ToArray();
            if (expectedFiles.Length == 0)
                throw new CliException($"{data} has no output_*.pb to check against");
            foreach (var file in expectedFiles)
            {
                var (name, expected) = OnnxTensors.ReadTensorProto(file);
                var match = outputs.FirstOrDefault(o => o.Name == name);
                if (match.Value is null)
                    throw new CliException($"{dir.Name}: the model produced no output '{name}' (expected by {Path.GetFileName(file)})");
                var actual = match.Value;
                if (!actual.Shape.SequenceEqual(expected.Shape))
                    throw new CliException($"{dir.Name}/{name}: shape {NdArray.FormatShape(actual.Shape)}, expected {NdArray.FormatShape(expected.Shape)}");
                var a = actual.ToDoubles();
                var e = expected.ToDoubles();
                double worst = 0;
                int at = -1;
                for (int i = 0; i < e.Length; i++)
                {
                    double excess = Math.Abs(a[i] - e[i]) - (AbsoluteTolerance + RelativeTolerance * Math.Abs(e[i]));
                    if (!(excess <= worst))
                    {
                        worst = double.IsNaN(excess) ? double.PositiveInfinity : excess;
                        at = i;
                    }
                }
                if (at >= 0)
                    throw new CliException($"{dir.Name}/{name} on {device}: element {at} is {a[at]:G9}, expected {e[at]:G9} (tolerance {AbsoluteTolerance} + {RelativeTolerance}·|expected|)");
                if (verbose)
                    stdout.WriteLine($"{dir.Name}/{name}: {e.Length} values match on {device}");
            }
            stdout.WriteLine($"{dir.Name}: outputs match ({device})");
            return CliApp.Ok;
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }
}

using LstmNative.Cuda;
using NUnit.Framework;

namespace LstmNative.Tests.Cli;

/// <summary>
/// <c>run --device</c> (cpu, cuda, auto) and <c>run CASE_DIR</c>, the ONNX node-test mode the GPU bundle's parity step
/// uses. On a machine without a GPU, cuda must fail in one line with the probe's reason and auto must run on the CPU.
/// </summary>
public class CliDeviceTests
{
    public static IEnumerable<TestCaseData> Cases() => CliConformanceTests.Cases();

    [TestCaseSource(nameof(Cases))]
    public void NodeTestFolderRunsAndChecksItsOutputs(string name)
    {
        string caseDir = Path.Combine(TestPaths.RequireConformance(), "onnx-node", name);
        using var cli = new CliHarness();
        string device = GpuRuntime.Current.IsAvailable ? "cuda" : "cpu";
        var (exit, stdout, err) = cli.Run("run", caseDir, "--device", device, "--output-dir", cli.PathOf("out"));
        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.Zero, err);
            Assert.That(stdout, Does.Contain($"{name}: outputs match ({device})"));
            Assert.That(Directory.GetFiles(cli.PathOf("out"), "*.npy"), Is.Not.Empty);
        });
    }

    [Test]
    public void ANodeTestFolderWithAWrongGoldenFails()
    {
        string source = Path.Combine(TestPaths.RequireConformance(), "onnx-node", "test_lstm_defaults");
        if (!Directory.Exists(source))
            Assert.Ignore("test_lstm_defaults is not in the shared conformance cases");
        using var cli = new CliHarness();
        string copy = cli.PathOf("case");
        Directory.CreateDirectory(Path.Combine(copy, "test_data_set_0"));
        File.Copy(Path.Combine(source, "model.onnx"), Path.Combine(copy, "model.onnx"));
        foreach (var f in Directory.GetFiles(Path.Combine(source, "test_data_set_0")))
            File.Copy(f, Path.Combine(copy, "test_data_set_0", Path.GetFileName(f)));
        // Expected outputs swapped for inputs of another shape: the check must fail, in one line.
        var outputs = Directory.GetFiles(Path.Combine(copy, "test_data_set_0"), "output_*.pb").Order().ToArray();
        File.Copy(Path.Combine(copy, "test_data_set_0", "input_0.pb"), outputs[0], overwrite: true);
        var (exit, _, err) = cli.Run("run", copy, "--device", "cpu", "--output-dir", cli.PathOf("out"));
        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(1));
            Assert.That(err.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1));
            Assert.That(err, Does.StartWith("lstmnative: error: "));
        });
    }

    [Test]
    public void AFolderThatIsNotANodeTestIsRejected()
    {
        using var cli = new CliHarness();
        Directory.CreateDirectory(cli.PathOf("empty"));
        var (exit, _, err) = cli.Run("run", cli.PathOf("empty"), "--output-dir", cli.PathOf("out"));
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(err, Does.Contain("not an ONNX node test"));
    }

    [Test]
    public void CudaWithoutAGpuSaysWhyAndAutoFallsBackToTheCpu()
    {
        if (GpuRuntime.Current.IsAvailable)
            Assert.Ignore("this machine has a usable GPU");
        string source = Path.Combine(TestPaths.RequireConformance(), "onnx-node", "test_gru_defaults");
        if (!Directory.Exists(source))
            Assert.Ignore("test_gru_defaults is not in the shared conformance cases");
        using var cli = new CliHarness();
        var (exit, _, err) = cli.Run("run", source, "--device", "cuda", "--output-dir", cli.PathOf("out"));
        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(1));
            Assert.That(err, Does.StartWith("lstmnative: error: --device cuda: no usable GPU: ").And.Contain(GpuRuntime.Current.Reason));
        });
        var auto = cli.Run("run", source, "--output-dir", cli.PathOf("auto"), "--verbose");
        Assert.That(auto.Exit, Is.Zero, auto.Err);
        Assert.That(auto.Out, Does.Contain("outputs match (cpu)"));
    }
}

using LstmNative.Cuda;
using NUnit.Framework;

namespace LstmNative.Tests.Cli;

/// <summary><c>backward --device cuda</c>: honoured when a GPU is usable, a one-line error with the probe's reason when not.</summary>
public class CliGpuBackwardTests
{
    [Test]
    public void CudaWithoutAGpuIsOneLineNamingTheReason()
    {
        if (GpuRuntime.Current.IsAvailable)
            Assert.Ignore("a usable GPU is present: the GPU tests check backward --device cuda's results");
        using var cli = new CliHarness();
        var (exit, stdout, err) = cli.Run(["backward", cli.PathOf("model.onnx"), "--device", "cuda", "--output-dir", cli.PathOf("out")]);
        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.Not.Zero);
            Assert.That(stdout, Is.Empty);
            Assert.That(err.TrimEnd().Split('\n'), Has.Length.EqualTo(1), err);
            Assert.That(err, Does.Contain("--device cuda: no usable GPU: ").And.Contain(GpuRuntime.Current.Reason));
            Assert.That(Directory.Exists(cli.PathOf("out")), Is.False, "nothing written");
        });
    }
}

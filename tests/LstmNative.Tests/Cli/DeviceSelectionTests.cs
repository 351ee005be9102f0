using LstmNative.Cli.Commands;
using LstmNative.Cuda;
using NUnit.Framework;

namespace LstmNative.Tests.Cli;

/// <summary>
/// <c>--device auto</c> must never make a run fail that the CPU can do: it keeps the main jobs on the CPU until the
/// GPU path has been validated on a real GPU, and a GPU failure during an auto run falls back to the CPU with a warning.
/// </summary>
public class DeviceSelectionTests
{
    [Test]
    public void AutoChoosesAUsableGpuOnlyOnceTheGpuPathIsValidated()
    {
        Assert.Multiple(() =>
        {
            Assert.That(DeviceSelection.Resolve("auto", gpu: true, autoMayChooseGpu: false, () => true), Is.EqualTo("cpu"), "not validated");
            Assert.That(DeviceSelection.Resolve(null, gpu: true, autoMayChooseGpu: true, () => true), Is.EqualTo("cuda"), "validated, GPU usable");
            Assert.That(DeviceSelection.Resolve("auto", gpu: true, autoMayChooseGpu: true, () => false), Is.EqualTo("cpu"), "no usable GPU");
            Assert.That(DeviceSelection.Resolve("auto", gpu: false, autoMayChooseGpu: true, () => true), Is.EqualTo("cpu"), "a command the GPU cannot run");
            Assert.That(DeviceSelection.Resolve("cpu", gpu: true, autoMayChooseGpu: true, () => true), Is.EqualTo("cpu"));
        });
    }

    [Test]
    public void AGpuFailureDuringAnAutoRunFallsBackToTheCpuWithOneWarningLine()
    {
        var tried = new List<string>();
        var stderr = new StringWriter();
        int result = DeviceSelection.RunWithCpuFallback("auto", "cuda", d =>
        {
            tried.Add(d);
            return d == "cuda" ? throw new CudaException(700, "cuCtxSynchronize", "an illegal memory access\nsecond line") : 42;
        }, stderr);
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(42));
            Assert.That(tried, Is.EqualTo(new[] { "cuda", "cpu" }));
            Assert.That(stderr.ToString().TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1));
            Assert.That(stderr.ToString(), Does.Contain("warning: the GPU run failed").And.Contain("running on the CPU"));
        });
    }

    [Test]
    public void AnExplicitCudaRunFailsAsAskedAndNonGpuErrorsAreNotMasked()
    {
        Assert.Throws<CudaException>(() => DeviceSelection.RunWithCpuFallback<int>("cuda", "cuda", _ => throw new CudaException(700, "cuLaunchKernel"), TextWriter.Null));
        var tried = new List<string>();
        Assert.Throws<ArgumentException>(() => DeviceSelection.RunWithCpuFallback<int>("auto", "cuda", d =>
        {
            tried.Add(d);
            throw new ArgumentException("a wrong input shape is the user's error on any device");
        }, TextWriter.Null));
        Assert.That(tried, Is.EqualTo(new[] { "cuda" }));
    }

    [Test]
    public void AWrappedGpuErrorCountsAsAGpuFailure() =>
        Assert.That(DeviceSelection.IsGpuFailure(new InvalidOperationException("outer", new CublasException(13, "cublasSgemm_v2"))), Is.True);
}

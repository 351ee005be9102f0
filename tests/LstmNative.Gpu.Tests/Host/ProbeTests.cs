using LstmNative.Cuda;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Host;

/// <summary>The probe answers on every machine, GPU or not, and never throws.</summary>
public class ProbeTests
{
    /// <summary>Set by the GPU bundle's run.sh: where to save the probe's report.</summary>
    public const string ReportVariable = "LSTMNATIVE_GPU_PROBE_REPORT";

    [Test]
    public void ProbeAnswersWithAReasonWithoutThrowing()
    {
        GpuProbeResult result = null!;
        Assert.DoesNotThrow(() => result = GpuRuntime.Probe());
        Assert.That(result.Reason, Is.Not.Empty);
        var report = result.Describe();
        TestContext.Out.WriteLine(report);
        if (Environment.GetEnvironmentVariable(ReportVariable) is { Length: > 0 } path)
            File.WriteAllText(path, report);
        if (!result.IsAvailable)
            Assert.That(result.Devices.Any(d => d.IsSupported) && result.KernelsEmbedded && result.CublasVersion is not null, Is.False, "unavailable, yet nothing is missing");
    }

    [Test]
    public void WithoutKernelsTheReasonIsThatNvccWasMissing()
    {
        var result = GpuRuntime.ProbeWith(kernels: null);
        Assert.Multiple(() =>
        {
            Assert.That(result.IsAvailable, Is.False);
            Assert.That(result.KernelsEmbedded, Is.False);
            Assert.That(result.Reason, Is.EqualTo(EmbeddedKernels.NotCompiledReason));
            Assert.That(result.Reason, Does.Contain("nvcc was not found at build time"));
        });
    }

    [Test]
    public void CachedProbeIsComputedOnce()
    {
        var first = GpuRuntime.Current;
        Assert.That(GpuRuntime.Current, Is.SameAs(first));
    }
}

using LstmNative.Cuda;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Host;

/// <summary>The fatbin is embedded whenever the build had nvcc; CI always has it, so there its absence fails.</summary>
public class EmbeddedKernelsTests
{
    private static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    [Test]
    public void FatbinIsEmbedded()
    {
        if (!EmbeddedKernels.IsEmbedded)
        {
            if (InCi)
                Assert.Fail($"CI=true but LstmNative.Cuda.dll has no {EmbeddedKernels.ResourceName}; resources: [{string.Join(", ", EmbeddedKernels.ResourceNames)}]");
            Assert.Ignore(EmbeddedKernels.NotCompiledReason);
        }
        var image = EmbeddedKernels.Image!;
        Assert.Multiple(() =>
        {
            Assert.That(EmbeddedKernels.ResourceNames, Does.Contain(EmbeddedKernels.ResourceName));
            Assert.That(image.AsSpan(0, 4).ToArray(), Is.EqualTo(EmbeddedKernels.FatbinMagic.ToArray()), "fatbin magic 0xBA55ED50");
            Assert.That(image, Has.Length.GreaterThan(1024));
        });
    }

    [Test]
    public void FatbinHoldsTheKernelAndEveryTargetArchitecture()
    {
        if (!EmbeddedKernels.IsEmbedded)
            Assert.Ignore(EmbeddedKernels.NotCompiledReason);
        var report = EmbeddedKernels.PtxasReport;
        Assert.That(report, Is.Not.Null, "the ptxas -v report is embedded beside the fatbin");
        TestContext.Out.WriteLine(report);
        Assert.Multiple(() =>
        {
            Assert.That(ContainsAscii(EmbeddedKernels.Image!, KernelNames.LstmPointwiseForward), "kernel name in the image");
            foreach (var arch in new[] { "sm_80", "sm_86", "sm_89", "sm_90" })
                Assert.That(report, Does.Contain($"'{KernelNames.LstmPointwiseForward}' for '{arch}'"), arch);
            Assert.That(report, Does.Not.Match(@"[1-9]\d* bytes spill"), "no register spills");
        });
    }

    private static bool ContainsAscii(byte[] haystack, string needle) =>
        haystack.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(needle)) >= 0;
}

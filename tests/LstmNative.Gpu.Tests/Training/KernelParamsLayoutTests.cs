using System.Runtime.InteropServices;
using LstmNative.Gpu.Training;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Training;

/// <summary>The host mirrors of the kernel parameter structs have the C structs' sizes and offsets (train_common.cuh).</summary>
public class KernelParamsLayoutTests
{
    [Test]
    public void EveryStructHasItsDeviceSize()
    {
        Assert.Multiple(() =>
        {
            foreach (var (name, host, device) in KernelParamsLayout.Sizes)
                Assert.That(host, Is.EqualTo(device), name);
        });
    }

    [Test]
    public void StepParamsOffsetsMatchTheStaticAsserts()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Marshal.OffsetOf<RnnStepParams>(nameof(RnnStepParams.Batch)).ToInt32(), Is.EqualTo(152));
            Assert.That(Marshal.OffsetOf<RnnStepParams>("ActKind").ToInt32(), Is.EqualTo(188));
            Assert.That(Marshal.OffsetOf<DeviceScalars>(nameof(DeviceScalars.LearningRate)).ToInt32(), Is.EqualTo(32), "GpuRnnTrainer writes the learning rate at +32");
            Assert.That(Marshal.OffsetOf<DeviceScalars>(nameof(DeviceScalars.LossSum)).ToInt32(), Is.EqualTo(24), "loss_sum at +24");
            Assert.That(Marshal.OffsetOf<DeviceScalars>(nameof(DeviceScalars.LossCount)).ToInt32(), Is.EqualTo(60), "loss_count at +60");
        });
    }

    [Test]
    public void KernelNamesAreUniqueAndOnePerKernel()
    {
        Assert.That(TrainingKernelNames.All, Has.Count.EqualTo(Enum.GetValues<TrainingKernel>().Length));
        Assert.That(TrainingKernelNames.All, Is.Unique);
        Assert.That(TrainingKernelNames.All, Has.All.StartsWith("lntr_"));
    }

    [Test]
    public void TheCudaSourcesDefineEveryKernelAndStaticAssertEverySize()
    {
        var kernels = TestFiles.KernelsFolder();
        if (kernels is null)
            Assert.Ignore("kernels/ not found from the test's folder");
        var source = string.Concat(Directory.GetFiles(kernels, "*.cu").Concat(Directory.GetFiles(kernels, "*.cuh")).Select(File.ReadAllText));
        Assert.Multiple(() =>
        {
            foreach (var name in TrainingKernelNames.All)
                Assert.That(source, Does.Match($@"(void {name}\(|LNTR_STEP_KERNEL\({name},)"), name);
            foreach (var (name, _, device) in KernelParamsLayout.Sizes)
                Assert.That(source, Does.Contain($"static_assert(sizeof({name}) == {device},"), name);
        });
    }
}

/// <summary>Finds repository files from the test's output folder.</summary>
internal static class TestFiles
{
    public static string? KernelsFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "kernels");
            if (File.Exists(Path.Combine(candidate, "train_common.cuh")))
                return candidate;
        }
        return null;
    }
}

/// <summary>The training kernels are in the embedded fatbin for every target architecture, without spills.</summary>
public class TrainingKernelsEmbeddedTests
{
    [Test]
    public void EveryTrainingKernelIsCompiledForEveryArchitectureWithoutSpills()
    {
        if (!LstmNative.Cuda.EmbeddedKernels.IsEmbedded)
            Assert.Ignore(LstmNative.Cuda.EmbeddedKernels.NotCompiledReason);
        var report = LstmNative.Cuda.EmbeddedKernels.PtxasReport!;
        var image = LstmNative.Cuda.EmbeddedKernels.Image!;
        Assert.Multiple(() =>
        {
            foreach (var name in TrainingKernelNames.All)
            {
                Assert.That(image.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(name)), Is.GreaterThanOrEqualTo(0), name);
                foreach (var arch in new[] { "sm_80", "sm_86", "sm_89", "sm_90" })
                    Assert.That(report, Does.Contain($"'{name}' for '{arch}'"), $"{name} {arch}");
            }
            Assert.That(report, Does.Not.Match(@"[1-9]\d* bytes spill"));
        });
    }
}

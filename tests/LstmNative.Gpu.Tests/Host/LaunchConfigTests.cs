using LstmNative.Cuda;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Host;

/// <summary>Grid maths of one-thread-per-element launches.</summary>
public class LaunchConfigTests
{
    [TestCase(1L, 256, 1u)]
    [TestCase(256L, 256, 1u)]
    [TestCase(257L, 256, 2u)]
    [TestCase(1000L, 128, 8u)]
    [TestCase(3L * 37, 32, 4u)]
    public void LinearCoversEveryElementWithTheFewestBlocks(long elements, int threads, uint blocks)
    {
        var config = LaunchConfig.Linear(elements, threads);
        Assert.Multiple(() =>
        {
            Assert.That(config.Grid, Is.EqualTo(new Dim3(blocks)));
            Assert.That(config.Block, Is.EqualTo(new Dim3((uint)threads)));
            Assert.That(config.TotalThreads, Is.GreaterThanOrEqualTo(elements));
            Assert.That(config.TotalThreads - elements, Is.LessThan(threads));
        });
    }

    [Test]
    public void LinearRejectsWhatNoDeviceCanLaunch()
    {
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => LaunchConfig.Linear(0));
            Assert.Throws<ArgumentOutOfRangeException>(() => LaunchConfig.Linear(10, 0));
            Assert.Throws<ArgumentOutOfRangeException>(() => LaunchConfig.Linear(10, 2048));
            Assert.Throws<ArgumentOutOfRangeException>(() => LaunchConfig.Linear(long.MaxValue / 2, 1));
        });
    }

    [Test]
    public void LargestGridStillFits() =>
        Assert.That(LaunchConfig.Linear(LaunchConfig.MaxGridX * 1024, 1024).Grid.X, Is.EqualTo((uint)int.MaxValue));

    [Test]
    public void Dim3VolumeAndText()
    {
        var config = new LaunchConfig(new Dim3(4, 2), new Dim3(32, 8), 1024);
        Assert.Multiple(() =>
        {
            Assert.That(config.TotalThreads, Is.EqualTo(4 * 2 * 32 * 8));
            Assert.That(config.ToString(), Is.EqualTo("grid (4, 2, 1) x block (32, 8, 1), 1024 B shared"));
        });
    }

    [Test]
    public void PackedTensorStridesAreRowMajor() =>
        Assert.That(CudnnTensorDescriptor.PackedStrides([2, 3, 4]), Is.EqualTo(new[] { 12, 4, 1 }));
}

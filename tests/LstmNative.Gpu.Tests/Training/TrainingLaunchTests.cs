using LstmNative.Gpu.Training;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Training;

public class TrainingLaunchTests
{
    [TestCase(1, 1, 1, 32u, 1u)]
    [TestCase(6, 3, 2, 32u, 1u)]
    [TestCase(256, 64, 1, 256u, 1u)]
    [TestCase(1000, 16, 2, 256u, 4u)]
    [TestCase(4096, 128, 1, 256u, 16u)]
    public void StepKernelsCoverEveryUnit(int hidden, int batch, int dirs, uint block, uint gridX)
    {
        var c = TrainingLaunch.Step(hidden, batch, dirs);
        Assert.Multiple(() =>
        {
            Assert.That(c.Block.X, Is.EqualTo(block));
            Assert.That(c.Grid.X, Is.EqualTo(gridX));
            Assert.That(c.Grid.Y, Is.EqualTo((uint)batch));
            Assert.That(c.Grid.Z, Is.EqualTo((uint)dirs));
            Assert.That(c.Grid.X * c.Block.X, Is.GreaterThanOrEqualTo((uint)hidden));
            Assert.That((c.Grid.X - 1) * c.Block.X, Is.LessThan((uint)hidden), "no block is entirely idle");
        });
    }

    [Test]
    public void ReductionsUseAFixedGridForACount()
    {
        Assert.Multiple(() =>
        {
            Assert.That(TrainingLaunch.ReduceBlocks(1), Is.EqualTo(1));
            Assert.That(TrainingLaunch.ReduceBlocks(257), Is.EqualTo(2));
            Assert.That(TrainingLaunch.ReduceBlocks(100_000_000), Is.EqualTo(TrainingLaunch.MaxReduceBlocks));
            Assert.That(TrainingLaunch.Reduce(5000).Block.X, Is.EqualTo((uint)TrainingLaunch.ReduceThreads));
            Assert.That(TrainingLaunch.GridStride(10_000_000_000).Grid.X, Is.EqualTo((uint)TrainingLaunch.MaxStrideBlocks));
            Assert.That(TrainingLaunch.Columns(4096).Grid.X, Is.EqualTo(128u));
            Assert.Throws<ArgumentOutOfRangeException>(() => TrainingLaunch.Step(8, 70_000, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => TrainingLaunch.Step(8, 1, 3));
        });
    }
}

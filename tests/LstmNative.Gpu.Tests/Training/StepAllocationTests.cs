using LstmNative.Gpu.Tests.Emulation;
using LstmNative.Gpu.Training;
using LstmNative.Model;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Training;

/// <summary>The host side of a training step allocates no managed memory (the device calls are free here).</summary>
public class StepAllocationTests
{
    [Test]
    public void ATrainingStepAllocatesNothing()
    {
        var options = new GpuTrainerOptions(
            [new RnnLayerOptions(RnnCellType.Lstm, 4, 8, RnnDirection.Bidirectional) { HasPeepholes = true },
             new RnnLayerOptions(RnnCellType.Gru, 16, 8), new RnnLayerOptions(RnnCellType.Gru, 8, 8) { LinearBeforeReset = true }],
            MaxSteps: 12, MaxBatch: 6)
        {
            HeadOutputs = 3,
            Clip = DeviceGradientClip.ByGlobalNorm(1),
            Optimizer = DeviceOptimizerSettings.AdamW(),
        };
        var device = new NullDeviceQueue();
        using var trainer = new GpuRnnTrainer(device.Arena, options, ownsDevice: true);
        var x = new float[10 * 5 * 4];
        var y = new float[5 * 3];
        int[] lengths = [10, 9, 8, 1, 0];
        for (int i = 0; i < 3; i++)
            trainer.TrainStep(x, y, 10, 5, lengths: lengths);
        long calls = device.Calls;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
            trainer.TrainStep(x, y, 10, 5, lengths: lengths);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Multiple(() =>
        {
            Assert.That(allocated, Is.Zero, "bytes allocated by 20 training steps");
            Assert.That((device.Calls - calls) / 20, Is.GreaterThan(100), "a step queues its work");
        });
    }
}

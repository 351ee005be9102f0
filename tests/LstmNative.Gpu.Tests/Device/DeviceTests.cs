using LstmNative.Cuda;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Device;

/// <summary>Device discovery and the context.</summary>
public class DeviceTests : GpuFixture
{
    [Test]
    public void ProbeFindsASupportedDeviceAndTheContextIsOnIt()
    {
        var probe = GpuRuntime.Current;
        TestContext.Out.WriteLine(probe.Describe());
        Assert.Multiple(() =>
        {
            Assert.That(probe.Devices, Is.Not.Empty);
            Assert.That(Context.Device.IsSupported, Context.Device.ToString());
            Assert.That(Context.Device.Name, Is.Not.Empty);
            Assert.That(Context.Device.MultiprocessorCount, Is.GreaterThan(0));
            Assert.That(Context.Device.TotalMemoryBytes, Is.GreaterThan(1L << 30));
            Assert.That(probe.DriverVersion, Is.GreaterThanOrEqualTo(11040), "cuGraphInstantiateWithFlags needs CUDA 11.4+");
        });
    }

    [Test]
    public void MemoryInfoIsConsistent()
    {
        var (free, total) = Context.MemoryInfo();
        Assert.Multiple(() =>
        {
            Assert.That(total, Is.EqualTo(Context.Device.TotalMemoryBytes));
            Assert.That(free, Is.InRange(1L, total));
        });
    }

    [Test]
    public void ContextCanBeBoundOnAnotherThread()
    {
        var length = 0L;
        var thread = new Thread(() =>
        {
            Context.MakeCurrent();
            using var buffer = Context.Allocate<float>(16);
            buffer.Clear();
            length = buffer.ToArray().Length;
        });
        thread.Start();
        thread.Join();
        Assert.That(length, Is.EqualTo(16));
    }
}

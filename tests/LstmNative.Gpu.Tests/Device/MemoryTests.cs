using LstmNative.Cuda;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Device;

/// <summary>Host ↔ device round trips, synchronous and asynchronous, and device-side fills.</summary>
public class MemoryTests : GpuFixture
{
    [TestCase(1)]
    [TestCase(1000)]
    [TestCase(1 << 22)]
    public void SynchronousRoundTripIsExact(int count)
    {
        var data = RandomFloats(count, count);
        using var buffer = Context.Allocate<float>(count);
        buffer.CopyFromHost(data);
        Assert.That(buffer.ToArray(), Is.EqualTo(data));
    }

    [Test]
    public void PinnedAsynchronousRoundTripOnAStreamIsExact()
    {
        const int count = 1 << 20;
        using var stream = Context.CreateStream();
        using var up = Context.AllocatePinned<float>(count);
        using var down = Context.AllocatePinned<float>(count);
        using var device = Context.Allocate<float>(count);
        RandomFloats(count, 7).CopyTo(up.AsSpan());
        device.CopyFromHostAsync(up, stream);
        device.CopyToHostAsync(down, stream);
        stream.Synchronize();
        Assert.That(down.AsSpan().SequenceEqual(up.AsSpan()));
    }

    [Test]
    public void DeviceToDeviceCopyClearAndFill()
    {
        var data = RandomFloats(513, 3);
        using var stream = Context.CreateStream();
        using var a = Context.Allocate<float>(data.Length);
        using var b = Context.Allocate<float>(data.Length);
        a.CopyFromHost(data, stream: stream);
        b.CopyFrom(a, stream);
        Assert.That(b.ToArray(stream), Is.EqualTo(data));
        b.Clear(stream);
        Assert.That(b.ToArray(stream), Is.All.EqualTo(0f));
        b.Fill(2.5f, stream);
        Assert.That(b.ToArray(stream), Is.All.EqualTo(2.5f));
    }

    [Test]
    public void OffsetsAndBoundsAreChecked()
    {
        using var buffer = Context.Allocate<int>(10);
        buffer.CopyFromHost([1, 2, 3], offset: 7);
        var tail = new int[3];
        buffer.CopyToHost(tail, offset: 7);
        Assert.Multiple(() =>
        {
            Assert.That(tail, Is.EqualTo(new[] { 1, 2, 3 }));
            Assert.Throws<ArgumentOutOfRangeException>(() => buffer.CopyFromHost([1, 2, 3, 4], offset: 7));
            Assert.Throws<ArgumentOutOfRangeException>(() => Context.Allocate<float>(0));
        });
    }

    [Test]
    public void DisposedBufferRefusesUse()
    {
        var buffer = Context.Allocate<float>(4);
        buffer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => _ = buffer.Pointer);
    }
}

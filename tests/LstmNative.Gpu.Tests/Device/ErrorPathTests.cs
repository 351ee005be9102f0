using LstmNative.Cuda;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Device;

/// <summary>Failures on a real device come back as our exceptions, and leave the context usable.</summary>
public class ErrorPathTests : GpuFixture
{
    [Test]
    public void OutOfMemoryGivesOurExceptionWithTheRequestedSize()
    {
        var tooMany = Context.Device.TotalMemoryBytes; // floats: four times the device's memory
        var e = Assert.Throws<CudaOutOfMemoryException>(() => Context.Allocate<float>(tooMany));
        TestContext.Out.WriteLine(e!.Message);
        Assert.Multiple(() =>
        {
            Assert.That(e.RequestedBytes, Is.EqualTo(tooMany * sizeof(float)));
            Assert.That(e.ErrorName, Is.EqualTo("CUDA_ERROR_OUT_OF_MEMORY"));
            Assert.That(e.Call, Is.EqualTo("cuMemAlloc_v2"));
            Assert.That(e.Message, Does.Contain((tooMany * sizeof(float)).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        });
        using var small = Context.Allocate<float>(1024);
        small.Fill(1f);
        Assert.That(small.ToArray(), Is.All.EqualTo(1f), "the context survives an allocation failure");
    }

    [Test]
    public void InvalidImageIsRefusedWithTheDriversReason()
    {
        var e = Assert.Throws<CudaException>(() => Context.LoadModule("not a cubin"u8));
        TestContext.Out.WriteLine(e!.Message);
        Assert.That(e.Call, Is.EqualTo("cuModuleLoadData"));
    }

    [Test]
    public void DisposedContextOutlivesItsBuffers()
    {
        // Releasing the context while a buffer lives must not free the buffer under it (ref-counted handles).
        using var context = CudaContext.Create();
        var buffer = context.Allocate<float>(8);
        context.Dispose();
        Context.MakeCurrent();
        buffer.Fill(5f);
        Assert.That(buffer.ToArray(), Is.All.EqualTo(5f));
        buffer.Dispose();
    }
}

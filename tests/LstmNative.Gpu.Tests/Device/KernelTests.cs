using LstmNative.Cuda;
using LstmNative.Cuda.Kernels;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Device;

/// <summary>The fused LSTM pointwise kernel against the CPU, and launch failures that must not crash.</summary>
public class KernelTests : GpuFixture
{
    [TestCase(1, 1)]
    [TestCase(3, 37)]
    [TestCase(64, 512)]
    [TestCase(7, 1000)]
    public void LstmPointwiseMatchesTheCpu(int batch, int hidden)
    {
        var preact = RandomFloats(batch * 4 * hidden, 1, 3f);
        var bw = RandomFloats(4 * hidden, 2);
        var br = RandomFloats(4 * hidden, 3);
        var cPrev = RandomFloats(batch * hidden, 4, 2f);
        float[] h = new float[batch * hidden], c = new float[batch * hidden], gates = new float[batch * 4 * hidden];
        CpuMath.LstmPointwise(preact, bw, br, cPrev, h, c, gates, batch, hidden);

        using var stream = Context.CreateStream();
        using var dPreact = Upload(preact, stream);
        using var dBw = Upload(bw, stream);
        using var dBr = Upload(br, stream);
        using var dCPrev = Upload(cPrev, stream);
        using var dH = Context.Allocate<float>(h.Length);
        using var dC = Context.Allocate<float>(c.Length);
        using var dGates = Context.Allocate<float>(gates.Length);
        new LstmPointwiseKernel(Kernels).Forward(stream, dPreact, dBw, dBr, dCPrev, dH, dC, dGates, batch, hidden);

        AssertClose(dH.ToArray(stream), h, 1e-5f, "h");
        AssertClose(dC.ToArray(stream), c, 1e-5f, "c");
        AssertClose(dGates.ToArray(stream), gates, 1e-5f, "gates");
    }

    [Test]
    public void CellStateMayBeUpdatedInPlace()
    {
        const int batch = 4, hidden = 33;
        var preact = RandomFloats(batch * 4 * hidden, 11, 2f);
        var bias = new float[4 * hidden];
        var cPrev = RandomFloats(batch * hidden, 12);
        float[] h = new float[batch * hidden], c = new float[batch * hidden], gates = new float[batch * 4 * hidden];
        CpuMath.LstmPointwise(preact, bias, bias, cPrev, h, c, gates, batch, hidden);

        using var stream = Context.CreateStream();
        using var dPreact = Upload(preact, stream);
        using var dBias = Upload(bias, stream);
        using var dC = Upload(cPrev, stream);
        using var dH = Context.Allocate<float>(h.Length);
        using var dGates = Context.Allocate<float>(gates.Length);
        new LstmPointwiseKernel(Kernels).Forward(stream, dPreact, dBias, dBias, dC, dH, dC, dGates, batch, hidden);
        AssertClose(dC.ToArray(stream), c, 1e-5f, "c in place");
    }

    [Test]
    public void KernelAttributesAreSane()
    {
        var kernel = Kernels.GetKernel(KernelNames.LstmPointwiseForward);
        TestContext.Out.WriteLine($"{kernel.Name}: {kernel.RegisterCount} registers, {kernel.LocalMemoryBytes} B local, max {kernel.MaxThreadsPerBlock} threads/block, {kernel.MaxActiveBlocksPerMultiprocessor(256)} blocks of 256 per SM");
        Assert.Multiple(() =>
        {
            Assert.That(kernel.RegisterCount, Is.InRange(1, 64));
            Assert.That(kernel.LocalMemoryBytes, Is.Zero, "no spills");
            Assert.That(kernel.MaxThreadsPerBlock, Is.EqualTo(1024));
            Assert.That(kernel.MaxActiveBlocksPerMultiprocessor(256), Is.GreaterThanOrEqualTo(4));
        });
    }

    [TestCase(1u, 4096u)]
    [TestCase(0u, 256u)]
    public void BadLaunchConfigurationIsAnErrorNotACrash(uint grid, uint block)
    {
        var kernel = Kernels.GetKernel(KernelNames.LstmPointwiseForward);
        using var stream = Context.CreateStream();
        using var buffer = Context.Allocate<float>(64);
        var bad = new LaunchConfig(new Dim3(grid), new Dim3(block));
        var p = buffer.Pointer;
        var e = Assert.Throws<CudaException>(() => kernel.Launch(bad, stream, p, p, p, p, p, p, p, 1, 1));
        TestContext.Out.WriteLine(e!.Message);
        Assert.Multiple(() =>
        {
            Assert.That(e.Call, Is.EqualTo("cuLaunchKernel"));
            Assert.That(e.ErrorName, Does.StartWith("CUDA_ERROR_"));
            Assert.That(e.Message, Does.Contain(bad.ToString()));
        });
        // A refused launch is not sticky: the context still works.
        buffer.Fill(1f, stream);
        Assert.That(buffer.ToArray(stream), Is.All.EqualTo(1f));
    }

    [Test]
    public void UnknownKernelNameIsNotFound()
    {
        var e = Assert.Throws<CudaException>(() => Kernels.GetKernel("no_such_kernel"));
        Assert.That(e!.ErrorName, Is.EqualTo("CUDA_ERROR_NOT_FOUND"));
    }

    [Test]
    public void WrongBufferSizesAreRefusedBeforeLaunch()
    {
        using var small = Context.Allocate<float>(3);
        using var big = Context.Allocate<float>(4096);
        Assert.Throws<ArgumentException>(() => new LstmPointwiseKernel(Kernels).Forward(null, small, big, big, big, big, big, big, 2, 8));
    }

    private DeviceBuffer<float> Upload(float[] data, CudaStream stream)
    {
        var buffer = Context.Allocate<float>(data.Length);
        buffer.CopyFromHost(data, stream: stream);
        return buffer;
    }
}

using LstmNative.Cuda;
using LstmNative.Cuda.Kernels;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Device;

/// <summary>CUDA graph capture and replay, and events for ordering and timing.</summary>
public class GraphAndEventTests : GpuFixture
{
    [Test]
    public void CapturedLstmStepReplaysAsManyStepsAsLaunched()
    {
        const int batch = 5, hidden = 64, steps = 6;
        var preact = RandomFloats(batch * 4 * hidden, 21, 2f);
        var bw = RandomFloats(4 * hidden, 22);
        var br = RandomFloats(4 * hidden, 23);

        // CPU: the same cell applied `steps` times, the cell state carried over.
        var c = new float[batch * hidden];
        float[] h = new float[batch * hidden], gates = new float[batch * 4 * hidden];
        for (var s = 0; s < steps; s++)
            CpuMath.LstmPointwise(preact, bw, br, c, h, c, gates, batch, hidden);

        using var stream = Context.CreateStream();
        using var dPreact = Context.Allocate<float>(preact.Length);
        using var dBw = Context.Allocate<float>(bw.Length);
        using var dBr = Context.Allocate<float>(br.Length);
        using var dC = Context.Allocate<float>(c.Length);
        using var dH = Context.Allocate<float>(h.Length);
        using var dGates = Context.Allocate<float>(gates.Length);
        dPreact.CopyFromHost(preact, stream: stream);
        dBw.CopyFromHost(bw, stream: stream);
        dBr.CopyFromHost(br, stream: stream);
        dC.Clear(stream);
        dH.Clear(stream);
        stream.Synchronize();

        var kernel = new LstmPointwiseKernel(Kernels);
        stream.BeginCapture(StreamCaptureMode.ThreadLocal);
        kernel.Forward(stream, dPreact, dBw, dBr, dC, dH, dC, dGates, batch, hidden);
        using var graph = stream.EndCapture();
        Assert.That(graph.NodeCount, Is.EqualTo(1));
        Assert.That(dH.ToArray(stream), Is.All.EqualTo(0f), "capture records the launch, it does not run it");

        using var exec = graph.Instantiate();
        for (var s = 0; s < steps; s++)
            exec.Launch(stream);
        AssertClose(dH.ToArray(stream), h, 1e-5f, "h after replays");
        AssertClose(dC.ToArray(stream), c, 1e-5f, "c after replays");
    }

    [Test]
    public void GraphOfSeveralNodesReplaysInOrder()
    {
        using var stream = Context.CreateStream();
        using var a = Context.Allocate<float>(1000);
        using var b = Context.Allocate<float>(1000);
        stream.BeginCapture(StreamCaptureMode.ThreadLocal);
        a.Fill(3f, stream);
        b.CopyFrom(a, stream);
        a.Fill(4f, stream);
        using var graph = stream.EndCapture();
        using var exec = graph.Instantiate();
        b.Clear(stream);
        exec.Launch(stream);
        Assert.Multiple(() =>
        {
            Assert.That(graph.NodeCount, Is.EqualTo(3));
            Assert.That(b.ToArray(stream), Is.All.EqualTo(3f));
            Assert.That(a.ToArray(stream), Is.All.EqualTo(4f));
        });
    }

    [Test]
    public void EventsTimeGpuWorkAndReportCompletion()
    {
        const int batch = 256, hidden = 1024;
        using var stream = Context.CreateStream();
        using var start = Context.CreateEvent();
        using var end = Context.CreateEvent();
        using var preact = Context.Allocate<float>(batch * 4 * hidden);
        using var bias = Context.Allocate<float>(4 * hidden);
        using var c = Context.Allocate<float>(batch * hidden);
        using var h = Context.Allocate<float>(batch * hidden);
        using var gates = Context.Allocate<float>(batch * 4 * hidden);
        preact.Clear(stream);
        bias.Clear(stream);
        c.Clear(stream);
        var kernel = new LstmPointwiseKernel(Kernels);
        start.Record(stream);
        for (var i = 0; i < 100; i++)
            kernel.Forward(stream, preact, bias, bias, c, h, c, gates, batch, hidden);
        end.Record(stream);
        end.Synchronize();
        var milliseconds = CudaEvent.ElapsedMilliseconds(start, end);
        TestContext.Out.WriteLine($"100 pointwise steps [{batch}x{hidden}]: {milliseconds:F3} ms ({milliseconds * 10:F1} us/step)");
        Assert.Multiple(() =>
        {
            Assert.That(end.IsComplete);
            Assert.That(stream.IsIdle);
            Assert.That(milliseconds, Is.GreaterThan(0f).And.LessThan(10_000f));
        });
    }

    [Test]
    public void EventOrdersWorkAcrossStreams()
    {
        using var producer = Context.CreateStream();
        using var consumer = Context.CreateStream();
        using var ready = Context.CreateEvent(enableTiming: false);
        using var source = Context.Allocate<float>(1 << 20);
        using var copy = Context.Allocate<float>(1 << 20);
        source.Fill(7f, producer);
        ready.Record(producer);
        consumer.Wait(ready);
        copy.CopyFrom(source, consumer);
        Assert.That(copy.ToArray(consumer), Is.All.EqualTo(7f));
    }
}

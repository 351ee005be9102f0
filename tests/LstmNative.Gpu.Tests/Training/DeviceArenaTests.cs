using System.Runtime.InteropServices;
using LstmNative.Cuda;
using LstmNative.Gpu.Device;
using LstmNative.Gpu.Tests.Emulation;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Training;

/// <summary>
/// The training engine's memory (<see cref="DeviceArena"/>) and the span copies it relies on, on the one emulator:
/// what the merged device layer promises the training code that the inference queues never needed.
/// </summary>
public class DeviceArenaTests
{
    [Test]
    public void AllocationsAreZeroedCountedAndFreedWithTheArena()
    {
        var backend = new EmulatedBackend(seed: 7);
        ulong a;
        using (var arena = backend.CreateArena())
        {
            // Emulated memory starts as NaN: zero comes only from the arena's queued clear.
            a = arena.Allocate(12);
            ulong b = arena.Allocate(1);
            var read = new float[3];
            arena.Queue.Download<float>(a, read);
            Assert.Multiple(() =>
            {
                Assert.That(read, Is.All.Zero);
                Assert.That(arena.AllocatedBytes, Is.EqualTo(13));
                Assert.That(b, Is.Not.EqualTo(a));
            });
            Assert.Throws<ArgumentOutOfRangeException>(() => arena.Allocate(0));
        }
        var ex = Assert.Throws<InvalidOperationException>(() => backend.Bytes(a, 4, "after dispose"));
        Assert.That(ex!.Message, Does.Contain("use after free"));
    }

    [Test]
    public void AnUploadCopiesTheSpanAtTheCallAndADownloadWaitsForTheQueue()
    {
        using var arena = new EmulatedBackend(seed: 3).CreateArena();
        ulong x = arena.Allocate(4 * sizeof(float)), y = arena.Allocate(4 * sizeof(float));
        float[] host = [1, 2, 3, 4];
        arena.Queue.Upload<float>(x, host);
        host.AsSpan().Fill(-1); // reused at once, as the training code reuses its staging arrays
        arena.Queue.Copy(y, x + 4, 3 * sizeof(float));
        var back = new float[4];
        arena.Queue.Download<float>(y, back);
        Assert.That(back, Is.EqualTo(new float[] { 2, 3, 4, 0 }));
    }

    [Test]
    public void HostCopiesAreRefusedWhileCapturingAndAFailedCaptureLeavesTheQueueUsable()
    {
        using var arena = new EmulatedBackend().CreateArena();
        ulong x = arena.Allocate(sizeof(float));
        Assert.Throws<InvalidOperationException>(() => arena.Queue.Capture(() => arena.Queue.Upload<float>(x, [1f])));
        using var graph = arena.Queue.Capture(() => arena.Queue.Zero(x, sizeof(float)));
        arena.Queue.Upload<float>(x, [5f]);
        var back = new float[1];
        arena.Queue.Download<float>(x, back);
        Assert.That(back[0], Is.EqualTo(5f), "the capture recorded the clear without running it");
        graph.Launch();
        arena.Queue.Download<float>(x, back);
        Assert.That(back[0], Is.Zero, "the replay ran it");
    }

    [Test]
    public void ABatchedGemmRunsOnATrainingQueueButNotOnAnInferenceQueue()
    {
        var backend = new EmulatedBackend();
        using var arena = backend.CreateArena();
        // Two 1x1x1 products in one strided batch: C[i] = A[i] * B[i].
        ulong a = arena.Allocate(8), b = arena.Allocate(8), c = arena.Allocate(8);
        arena.Queue.Upload<float>(a, [2f, 3f]);
        arena.Queue.Upload<float>(b, [5f, 7f]);
        var op = new GemmOp(false, false, 1, 1, 1, 1f, a, 1, b, 1, 0f, c, 1).Batched(1, 1, 1, 2);
        arena.Queue.Gemm(op);
        var back = new float[2];
        arena.Queue.Download<float>(c, back);
        Assert.That(back, Is.EqualTo(new float[] { 10f, 21f }));

        using var inference = backend.CreateQueue();
        inference.Gemm(op);
        Assert.Throws<InvalidOperationException>(inference.Synchronize, "inference never queues a batched GEMM");
    }
}

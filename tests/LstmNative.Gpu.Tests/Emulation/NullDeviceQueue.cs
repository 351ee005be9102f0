using LstmNative.Cuda;
using LstmNative.Gpu.Device;
using LstmNative.Gpu.Inference;
using LstmNative.Gpu.Training;

namespace LstmNative.Gpu.Tests.Emulation;

/// <summary>
/// A queue that accepts every call and does nothing, with an arena of made-up addresses: isolates the host side of a
/// step (its allocations). A captured graph replays by counting the calls it holds.
/// </summary>
internal sealed class NullDeviceQueue : IDeviceQueue
{
    private ulong _next = 0x100000;
    private long _captureStart = -1;

    public NullDeviceQueue() => Arena = new DeviceArena(this, bytes => new Block(Next(bytes), bytes));

    /// <summary>The memory the training code allocates (it owns this queue).</summary>
    public DeviceArena Arena { get; }

    /// <summary>Calls queued (replays included).</summary>
    public long Calls { get; private set; }

    public CudaStream? Stream => null;

    public bool IsIdle => true;

    private ulong Next(long bytes)
    {
        ulong a = _next;
        _next += (ulong)((bytes + 255) / 256 * 256);
        return a;
    }

    public void CopyToDevice(ulong destination, nint source, long bytes) => Calls++;

    public void CopyToHost(nint destination, ulong source, long bytes) => Calls++;

    public void Zero(ulong destination, long bytes) => Calls++;

    public void Copy(ulong destination, ulong source, long bytes) => Calls++;

    public void Upload<T>(ulong destination, ReadOnlySpan<T> source) where T : unmanaged => Calls++;

    public void Download<T>(ulong source, Span<T> destination) where T : unmanaged => Calls++;

    public void Gemm(in GemmOp op) => Calls++;

    public void Launch(StepKernel kernel, in StepKernelArgs args) => Calls++;

    public void LaunchPersistent(PersistentPlan plan, in PersistentKernelArgs args, PersistentBarrier barrier) => Calls++;

    public void Launch<TParams>(TrainingKernel kernel, in LaunchConfig config, in TParams parameters) where TParams : unmanaged => Calls++;

    public void Record(IDeviceMarker marker) => Calls++;

    public void Wait(IDeviceMarker marker) => Calls++;

    public void BeginCapture() => _captureStart = Calls;

    public IDeviceGraph EndCapture()
    {
        var graph = new Replay(this, Calls - _captureStart);
        _captureStart = -1;
        return graph;
    }

    public void AbandonCapture() => _captureStart = -1;

    public void Synchronize()
    {
    }

    public void Dispose()
    {
    }

    private sealed class Block(ulong pointer, long bytes) : IDeviceMemory
    {
        public ulong Pointer => pointer;

        public long Bytes => bytes;

        public void Dispose()
        {
        }
    }

    private sealed class Replay(NullDeviceQueue queue, long calls) : IDeviceGraph
    {
        public int NodeCount => (int)calls;

        public void Launch() => queue.Calls += calls;

        public void Dispose()
        {
        }
    }
}

using LstmNative.Cuda;
using LstmNative.Gpu.Device;
using LstmNative.Gpu.Training;

namespace LstmNative.Gpu.Tests.Training.Emulation;

/// <summary>A device that accepts every call and does nothing: isolates the host side of a step (its allocations).</summary>
internal sealed class NullTrainingDevice : ITrainingDevice
{
    private ulong _next = 0x100000;

    public long Calls { get; private set; }

    public ulong Allocate(long bytes)
    {
        ulong a = _next;
        _next += (ulong)((bytes + 255) / 256 * 256);
        return a;
    }

    public void Zero(ulong address, long bytes) => Calls++;

    public void Copy(ulong destination, ulong source, long bytes) => Calls++;

    public void Upload<T>(ulong destination, ReadOnlySpan<T> source) where T : unmanaged => Calls++;

    public void Download<T>(ulong source, Span<T> destination) where T : unmanaged => Calls++;

    public void Gemm(in GemmOp op) => Calls++;

    public void Launch<TParams>(TrainingKernel kernel, in LaunchConfig config, in TParams parameters) where TParams : unmanaged => Calls++;

    public void Synchronize()
    {
    }

    public IDeviceGraph? Capture(Action queue) => null;

    public void Dispose()
    {
    }
}

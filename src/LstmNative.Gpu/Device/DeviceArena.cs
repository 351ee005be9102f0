
namespace LstmNative.Gpu.Device;

/// <summary>
/// Device memory for work on one queue that lives as long as the arena (the training engine's buffers): each
/// allocation is zeroed on the queue and counted, and all are freed together, before the queue when the arena owns it.
/// The training orchestration holds one and queues its work on <see cref="Queue"/>.
/// </summary>
internal sealed class DeviceArena : IDisposable
{
    private readonly Func<long, IDeviceMemory> _allocate;
    private readonly bool _ownsQueue;
    private readonly List<IDeviceMemory> _allocations = [];

    /// <summary>An arena allocating with <paramref name="allocate"/> (e.g. a backend's <c>Allocate</c>) for <paramref name="queue"/>.</summary>
    public DeviceArena(IDeviceQueue queue, Func<long, IDeviceMemory> allocate, bool ownsQueue = true)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(allocate);
        Queue = queue;
        _allocate = allocate;
        _ownsQueue = ownsQueue;
    }

    /// <summary>The queue the work runs on.</summary>
    public IDeviceQueue Queue { get; }

    /// <summary>Bytes allocated through <see cref="Allocate"/>.</summary>
    public long AllocatedBytes { get; private set; }

    /// <summary>Allocates <paramref name="bytes"/> of device memory, zeroed on the queue; freed with the arena.</summary>
    public ulong Allocate(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        var memory = _allocate(bytes);
        _allocations.Add(memory);
        AllocatedBytes += bytes;
        Queue.Zero(memory.Pointer, bytes);
        return memory.Pointer;
    }

    /// <summary>Frees the memory, then the queue when owned.</summary>
    public void Dispose()
    {
        foreach (var memory in _allocations)
            memory.Dispose();
        _allocations.Clear();
        if (_ownsQueue)
            Queue.Dispose();
    }
}

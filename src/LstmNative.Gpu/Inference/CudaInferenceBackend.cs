using LstmNative.Cuda;
using LstmNative.Gpu.Device;
using LstmNative.Model;

namespace LstmNative.Gpu.Inference;

/// <summary>The inference backend on a CUDA device: streams with their own cuBLAS handles, events, graphs, the kernels.</summary>
internal sealed class CudaInferenceBackend : IInferenceBackend
{
    private readonly CudaContext _context;
    private readonly CudaKernelTable _kernels;

    public CudaInferenceBackend(CudaContext context, CudaModule module, DeviceLimits limits)
    {
        _context = context;
        _kernels = new CudaKernelTable(module);
        Limits = limits;
        Lane = new PersistentLane(CreateMarker());
    }

    public DeviceLimits Limits { get; }

    public PersistentLane Lane { get; }

    public void MakeCurrent() => _context.MakeCurrent();

    public IDeviceMemory Allocate(long bytes) => Allocate(_context, bytes);

    /// <summary>Device memory on <paramref name="context"/>, not zeroed (what the backend and the training arena allocate).</summary>
    internal static IDeviceMemory Allocate(CudaContext context, long bytes) => new Memory(context.Allocate<byte>(bytes));

    public IHostMemory AllocateHost(long bytes) => new Pinned(_context.AllocatePinned<byte>(bytes));

    public IDeviceQueue CreateQueue() => new CudaDeviceQueue(_context, _kernels);

    public IDeviceMarker CreateMarker() => new CudaMarker(_context.CreateEvent(enableTiming: false));

    public ILayerWeightsOnDevice Upload(LayerWeights<float> weights) => DeviceLayerWeights.Upload(_context, weights);

    public bool CanCapturePersistent(PersistentBarrier barrier) => barrier == PersistentBarrier.Flag;

    public int MaxResidentBlocks(PersistentPlan plan)
    {
        var kernel = _kernels.PersistentKernel(plan);
        return kernel.MaxActiveBlocksPerMultiprocessor(plan.ThreadsPerBlock, plan.SharedMemoryBytes) * Limits.MultiprocessorCount;
    }

    public void Dispose() => Lane.Dispose();

    /// <summary>Reads the limits of the context's device and the persistent kernels' static shared memory in <paramref name="module"/>.</summary>
    public static DeviceLimits ReadLimits(CudaContext context, CudaModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var d = context.Device;
        var occupancy = d.QueryOccupancyLimits();
        int staticShared = PersistentPlan.BatchBuckets.Max(bucket => module.GetKernel(PersistentPlan.KernelNameFor(bucket)).StaticSharedMemoryBytes);
        return new DeviceLimits(
            d.Name,
            d.ComputeCapabilityMajor * 10 + d.ComputeCapabilityMinor,
            d.MultiprocessorCount,
            occupancy.MaxSharedMemoryPerBlockOptIn,
            occupancy.MaxSharedMemoryPerMultiprocessor,
            occupancy.MaxThreadsPerMultiprocessor,
            occupancy.ClockRateKHz,
            occupancy.CooperativeLaunch,
            occupancy.ReservedSharedMemoryPerBlock,
            staticShared);
    }

    private sealed class Memory(DeviceBuffer<byte> buffer) : IDeviceMemory
    {
        public ulong Pointer => buffer.Pointer;

        public long Bytes => buffer.Length;

        public void Dispose() => buffer.Dispose();
    }

    private sealed class Pinned(PinnedHostBuffer<byte> buffer) : IHostMemory
    {
        public nint Pointer => buffer.Pointer;

        public long Bytes => buffer.Length;

        public void Dispose() => buffer.Dispose();
    }
}

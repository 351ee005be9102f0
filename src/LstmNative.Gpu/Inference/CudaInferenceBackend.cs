using LstmNative.Cuda;
using LstmNative.Gpu.Device;
using LstmNative.Model;

namespace LstmNative.Gpu.Inference;

/// <summary>The inference backend on a CUDA device: streams with their own cuBLAS handles, events, graphs, the kernels.</summary>
internal sealed unsafe class CudaInferenceBackend : IInferenceBackend
{
    private readonly CudaContext _context;
    private readonly CudaModule _module;
    private readonly Dictionary<string, int> _sharedOptIn = new(StringComparer.Ordinal);

    public CudaInferenceBackend(CudaContext context, CudaModule module, DeviceLimits limits)
    {
        _context = context;
        _module = module;
        Limits = limits;
        Lane = new PersistentLane(CreateMarker());
    }

    public DeviceLimits Limits { get; }

    public PersistentLane Lane { get; }

    public void MakeCurrent() => _context.MakeCurrent();

    public IDeviceMemory Allocate(long bytes) => new Memory(_context.Allocate<byte>(bytes));

    public IHostMemory AllocateHost(long bytes) => new Pinned(_context.AllocatePinned<byte>(bytes));

    public IDeviceQueue CreateQueue() => new Queue(this, _context);

    public IDeviceMarker CreateMarker() => new Marker(_context.CreateEvent(enableTiming: false));

    public ILayerWeightsOnDevice Upload(LayerWeights<float> weights) => DeviceLayerWeights.Upload(_context, weights);

    public bool CanCapturePersistent(PersistentBarrier barrier) => barrier == PersistentBarrier.Flag;

    public int MaxResidentBlocks(PersistentPlan plan)
    {
        var kernel = PersistentKernel(plan);
        return kernel.MaxActiveBlocksPerMultiprocessor(plan.ThreadsPerBlock, plan.SharedMemoryBytes) * Limits.MultiprocessorCount;
    }

    /// <summary>The plan's kernel, opted into the plan's dynamic shared memory (once per size increase).</summary>
    internal CudaKernel PersistentKernel(PersistentPlan plan)
    {
        var kernel = _module.GetKernel(plan.KernelName);
        lock (_sharedOptIn)
        {
            int current = _sharedOptIn.GetValueOrDefault(plan.KernelName);
            if (plan.SharedMemoryBytes > DeviceLimits.DefaultSharedMemoryPerBlock && plan.SharedMemoryBytes > current)
            {
                kernel.SetMaxDynamicSharedMemory(plan.SharedMemoryBytes);
                _sharedOptIn[plan.KernelName] = plan.SharedMemoryBytes;
            }
        }
        return kernel;
    }

    internal CudaKernel StepKernelFor(StepKernel kernel) => _module.GetKernel(kernel switch
    {
        StepKernel.Lstm => InferenceKernelNames.LstmStep,
        StepKernel.Gru => InferenceKernelNames.GruStep,
        StepKernel.GruReset => InferenceKernelNames.GruStepReset,
        _ => InferenceKernelNames.GruStepUpdate,
    });

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

    private sealed class Marker(CudaEvent cudaEvent) : IDeviceMarker
    {
        public CudaEvent Event => cudaEvent;

        public void Dispose() => cudaEvent.Dispose();
    }

    private sealed class Queue : IDeviceQueue
    {
        private const int StepBlock = 128;
        private readonly CudaInferenceBackend _backend;
        private readonly DeviceBlas _blas;

        public Queue(CudaInferenceBackend backend, CudaContext context)
        {
            _backend = backend;
            Stream = context.CreateStream();
            try
            {
                _blas = new DeviceBlas(context, Stream);
            }
            catch
            {
                Stream.Dispose();
                throw;
            }
        }

        public CudaStream Stream { get; }

        public bool IsIdle => Stream.IsIdle;

        public void CopyToDevice(ulong destination, nint source, long bytes)
        {
            if (bytes > 0)
                Stream.CopyToDevice(destination, source, bytes);
        }

        public void CopyToHost(nint destination, ulong source, long bytes)
        {
            if (bytes > 0)
                Stream.CopyToHost(destination, source, bytes);
        }

        public void Zero(ulong destination, long bytes)
        {
            if (bytes > 0)
                Stream.Zero(destination, bytes);
        }

        public void Gemm(in GemmOp op) => _blas.Gemm(op);

        public void Launch(StepKernel kernel, in StepKernelArgs args)
        {
            var config = new LaunchConfig(new Dim3((uint)((args.Hidden + StepBlock - 1) / StepBlock), (uint)args.Batch), new Dim3(StepBlock));
            _backend.StepKernelFor(kernel).Launch(config, Stream, args);
        }

        public void LaunchPersistent(PersistentPlan plan, in PersistentKernelArgs args, PersistentBarrier barrier)
        {
            var kernel = _backend.PersistentKernel(plan);
            if (barrier == PersistentBarrier.Cooperative)
            {
                var copy = args;
                void* parameter = &copy;
                kernel.LaunchCooperativeRaw(new LaunchConfig(new Dim3((uint)plan.GridBlocks), new Dim3((uint)plan.ThreadsPerBlock), (uint)plan.SharedMemoryBytes), Stream, &parameter);
            }
            else
            {
                kernel.Launch(new LaunchConfig(new Dim3((uint)plan.GridBlocks), new Dim3((uint)plan.ThreadsPerBlock), (uint)plan.SharedMemoryBytes), Stream, args);
            }
        }

        public void Record(IDeviceMarker marker) => ((Marker)marker).Event.Record(Stream);

        public void Wait(IDeviceMarker marker) => Stream.Wait(((Marker)marker).Event);

        public void BeginCapture() => CudaDeviceGraph.BeginCapture(Stream);

        public IDeviceGraph EndCapture() => CudaDeviceGraph.EndCapture(Stream);

        public void AbandonCapture() => CudaDeviceGraph.AbandonCapture(Stream);

        public void Synchronize() => Stream.Synchronize();

        public void Dispose()
        {
            _blas.Dispose();
            Stream.Dispose();
        }
    }
}

using System.Runtime.InteropServices;
using LstmNative.Cuda;
using LstmNative.Gpu.Device;
using LstmNative.Gpu.Inference;
using LstmNative.Gpu.Training;
using LstmNative.Model;

namespace LstmNative.Gpu.Tests.Emulation;

/// <summary>
/// A CPU stand-in for the GPU behind <see cref="IInferenceBackend"/>, for testing the inference orchestration without a
/// GPU. It is deliberately unforgiving:
/// <list type="bullet">
/// <item>device memory is a set of bounds-checked allocations filled with NaN, so reading anything never written shows;</item>
/// <item>queues really queue: nothing runs until a synchronisation, and then a seeded random scheduler interleaves the
///   queues, honouring only the markers (events) the host asked for, so a missing dependency gives wrong numbers;</item>
/// <item>capture follows CUDA's rules: a queue joins a capture only by waiting on a captured marker, must be joined
///   back before the capture ends, and synchronising while capturing is an error; replays re-enqueue the captured
///   work with the same dependencies;</item>
/// <item>the kernels are ports of kernels/rnn_forward.cu and kernels/rnn_persistent.cu that read the same argument
///   blocks (<see cref="EmulatedKernels"/>), and the persistent one checks the launch plan covers every unit.</item>
/// </list>
/// With <c>realKernels</c>, device memory is native (addresses are real pointers) and the step and persistent kernels
/// are the real kernels/*.cu compiled for the CPU (<see cref="KernelsOnCpu.CpuKernels"/>); GEMMs stay C# loops.
/// </summary>
internal sealed partial class EmulatedBackend : IInferenceBackend
{
    private const ulong BaseAddress = 0x1_0000_0000;
    private readonly List<Allocation> _allocations = [];
    private Allocation? _lastHit;
    private readonly Random _random;
    private readonly List<EmulatedQueue> _queues = [];
    private ulong _next = BaseAddress;

    public EmulatedBackend(DeviceLimits? limits = null, int seed = 1, int residentBlocks = int.MaxValue, bool realKernels = false)
    {
        RealKernels = realKernels;
        Limits = limits ?? DeviceLimits.H100;
        _random = new Random(seed);
        ResidentBlocks = residentBlocks;
        Lane = new PersistentLane(CreateMarker());
    }

    public DeviceLimits Limits { get; }

    /// <summary>Whether launches run the real kernels compiled for the CPU (else the C# ports).</summary>
    public bool RealKernels { get; }

    public PersistentLane Lane { get; }

    public int ResidentBlocks { get; set; }

    /// <summary>When set, the next capture fails at its end (as a driver would), once.</summary>
    public bool FailNextCapture { get; set; }

    /// <summary>When set, every capture fails at its end like one a driver invalidated (a <see cref="CudaException"/>).</summary>
    public bool FailCaptures { get; set; }

    /// <summary>Captures begun (failed ones included).</summary>
    public int CapturesBegun { get; internal set; }

    /// <summary>Kernel launches and GEMMs executed (not captured), by name.</summary>
    public Dictionary<string, int> Executed { get; } = new(StringComparer.Ordinal);

    /// <summary>Graphs instantiated.</summary>
    public int GraphsCaptured { get; private set; }

    /// <summary>Persistent launches seen (plan and barrier), for assertions.</summary>
    public List<(PersistentPlan Plan, PersistentBarrier Barrier)> PersistentLaunches { get; } = [];

    internal Capture? ActiveCapture { get; set; }

    public void MakeCurrent()
    {
    }

    public IDeviceMemory Allocate(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        var a = RealKernels ? Allocation.Native(this, bytes) : new Allocation(this, _next, new byte[bytes]);
        a.Data.Fill(0xFF); // NaN everywhere: nothing is zero unless someone wrote it
        if (!RealKernels)
            _next += ((ulong)bytes + 255) / 256 * 256 + 256;
        _allocations.Add(a);
        return a;
    }

    public IHostMemory AllocateHost(long bytes) => new HostAllocation(bytes);

    public IDeviceQueue CreateQueue()
    {
        var q = new EmulatedQueue(this, _queues.Count);
        _queues.Add(q);
        return q;
    }

    public IDeviceMarker CreateMarker() => new Marker();

    public ILayerWeightsOnDevice Upload(LayerWeights<float> weights) => new Weights(this, weights);

    public int MaxResidentBlocks(PersistentPlan plan) => ResidentBlocks;

    public bool CanCapturePersistent(PersistentBarrier barrier) => barrier == PersistentBarrier.Flag;

    public void Dispose() => Lane.Dispose();

    // ---------------------------------------------------------------------------------------------------------------
    // Memory
    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>The bytes [address, address + bytes) of one live allocation, or an exception naming the overrun.</summary>
    public Span<byte> Bytes(ulong address, long bytes, string what)
    {
        if (address == 0)
            throw new InvalidOperationException($"{what}: null device pointer");
        // The last allocation hit first: the training kernels' ports read element by element.
        var last = _lastHit;
        if (last is not null && address >= last.Pointer && address < last.Pointer + (ulong)last.Bytes && !last.Disposed
            && (long)(address - last.Pointer) + bytes <= last.Data.Length)
            return last.Data.Slice((int)(address - last.Pointer), checked((int)bytes));
        foreach (var a in _allocations)
        {
            if (address >= a.Pointer && address < a.Pointer + (ulong)a.Bytes && !(a.Disposed && a.IsNative))
            {
                _lastHit = a;
                long offset = (long)(address - a.Pointer);
                if (a.Disposed)
                    throw new InvalidOperationException($"{what}: use after free at 0x{address:x}");
                if (offset + bytes > a.Data.Length)
                    throw new InvalidOperationException($"{what}: {bytes} bytes at offset {offset} overrun an allocation of {a.Data.Length} bytes");
                return a.Data.Slice((int)offset, checked((int)bytes));
            }
        }
        throw new InvalidOperationException($"{what}: 0x{address:x} is not device memory");
    }

    public Span<float> Floats(ulong address, long count, string what) => MemoryMarshal.Cast<byte, float>(Bytes(address, 4 * count, what));

    public Span<int> Ints(ulong address, long count, string what) => MemoryMarshal.Cast<byte, int>(Bytes(address, 4 * count, what));

    // ---------------------------------------------------------------------------------------------------------------
    // Scheduling
    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>Runs queued work, picking a random ready queue each time, until <paramref name="until"/> is idle.</summary>
    public void RunUntilIdle(EmulatedQueue? until)
    {
        if (ActiveCapture is not null)
            throw new InvalidOperationException("synchronising while a capture is active (cudaErrorStreamCaptureUnsupported)");
        var ready = new List<EmulatedQueue>();
        while (until is null ? _queues.Any(q => q.Pending.Count > 0) : until.Pending.Count > 0)
        {
            ready.Clear();
            foreach (var q in _queues)
                if (q.Pending.Count > 0 && q.Pending.Peek().IsReady())
                    ready.Add(q);
            if (ready.Count == 0)
                throw new InvalidOperationException("deadlock: every queue with work waits on a marker that will never be reached");
            var pick = ready[_random.Next(ready.Count)];
            var op = pick.Pending.Dequeue();
            op.Run();
            pick.Executed++;
        }
    }

    internal void Count(string name) => Executed[name] = Executed.GetValueOrDefault(name) + 1;

    internal void CountGraph() => GraphsCaptured++;

    private sealed unsafe class Allocation(EmulatedBackend owner, ulong pointer, byte[]? data) : IDeviceMemory
    {
        private byte* _native;
        private long _nativeBytes;

        /// <summary>Native memory whose address is the device address (for the real kernels).</summary>
        public static Allocation Native(EmulatedBackend owner, long bytes)
        {
            var p = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 256);
            return new Allocation(owner, (ulong)p, null) { _native = p, _nativeBytes = bytes };
        }

        public ulong Pointer { get; } = pointer;

        public bool IsNative => data is null;

        public Span<byte> Data => data ?? (_native != null ? new Span<byte>(_native, checked((int)_nativeBytes)) : default);

        public bool Disposed { get; private set; }

        public long Bytes => data?.Length ?? _nativeBytes;

        public void Dispose()
        {
            Disposed = true;
            if (_native != null)
                NativeMemory.AlignedFree(_native); // its address may be reused: the lookup skips freed native blocks
            _native = null;
            _ = owner;
        }
    }

    private sealed class HostAllocation : IHostMemory
    {
        private readonly byte[] _data;

        public HostAllocation(long bytes)
        {
            _data = GC.AllocateArray<byte>(checked((int)bytes), pinned: true);
            _data.AsSpan().Fill(0xFF);
        }

        public nint Pointer => Marshal.UnsafeAddrOfPinnedArrayElement(_data, 0);

        public long Bytes => _data.Length;

        public void Dispose()
        {
        }
    }

    private sealed class Weights : ILayerWeightsOnDevice
    {
        private readonly List<IDeviceMemory> _parts = [];

        public Weights(EmulatedBackend backend, LayerWeights<float> weights)
        {
            Options = weights.Options;
            ulong Stack(Func<DirectionWeights<float>, float[]> part)
            {
                int length = part(weights.Directions[0]).Length;
                var m = backend.Allocate(4L * length * weights.Directions.Length);
                _parts.Add(m);
                for (int d = 0; d < weights.Directions.Length; d++)
                    part(weights.Directions[d]).CopyTo(backend.Floats(m.Pointer + 4 * (ulong)(d * length), length, "weights"));
                return m.Pointer;
            }
            W = Stack(x => x.W);
            R = Stack(x => x.R);
            Bw = Stack(x => x.Bw);
            Br = Stack(x => x.Br);
            P = Options.HasPeepholes ? Stack(x => x.P!) : 0;
        }

        public RnnLayerOptions Options { get; }

        public ulong W { get; }

        public ulong R { get; }

        public ulong Bw { get; }

        public ulong Br { get; }

        public ulong P { get; }

        public void Dispose()
        {
            foreach (var p in _parts)
                p.Dispose();
        }
    }
}

/// <summary>An emulated event: where in which queue its last record was enqueued.</summary>
internal sealed class Marker : IDeviceMarker
{
    /// <summary>The queue and position (ops enqueued up to and including the record) of the last record.</summary>
    public (EmulatedQueue Queue, long Position)? Target { get; set; }

    public void Dispose()
    {
    }
}

/// <summary>One queued operation; a wait is ready once its target position has executed.</summary>
internal sealed class Op(Action run, (EmulatedQueue Queue, long Position)? waitFor, string name)
{
    public string Name { get; } = name;

    public (EmulatedQueue Queue, long Position)? WaitFor { get; } = waitFor;

    public bool IsReady() => WaitFor is not { } w || w.Queue.Executed >= w.Position;

    public void Run() => run();
}

/// <summary>The state of an active capture.</summary>
internal sealed class Capture(EmulatedQueue origin)
{
    public EmulatedQueue Origin { get; } = origin;

    /// <summary>Captured work in enqueue order: which queue, and the re-enqueue action.</summary>
    public List<(EmulatedQueue Queue, Func<EmulatedQueue, bool> Replay)> Work { get; } = [];

    /// <summary>Queues that joined (waited on a captured marker), with how many captured ops the origin has joined back.</summary>
    public Dictionary<EmulatedQueue, (long Captured, long JoinedUpTo)> Members { get; } = [];

    public HashSet<Marker> CapturedMarkers { get; } = [];
}

internal sealed class EmulatedQueue(EmulatedBackend backend, int id) : IDeviceQueue
{
    public int Id { get; } = id;

    public Queue<Op> Pending { get; } = new();

    /// <summary>Ops enqueued (outside captures) so far.</summary>
    public long Enqueued { get; private set; }

    /// <summary>Ops executed so far.</summary>
    public long Executed { get; set; }

    public CudaStream? Stream => null;

    /// <summary>Whether strided-batched GEMMs are expected (the training engine's recurrent GEMM); inference queues refuse them.</summary>
    internal bool BatchedGemms { get; set; }

    public bool IsIdle => Pending.Count == 0;

    public override string ToString() => $"queue {Id}";

    private void Add(string name, Action run, (EmulatedQueue, long)? waitFor = null)
    {
        var capture = backend.ActiveCapture;
        if (capture is not null)
        {
            RequireMember(capture, name);
            capture.Work.Add((this, q => q.EnqueueRaw(name, run, waitFor)));
            if (capture.Members.TryGetValue(this, out var m))
                capture.Members[this] = (m.Captured + 1, m.JoinedUpTo);
            return;
        }
        EnqueueRaw(name, run, waitFor);
    }

    private bool EnqueueRaw(string name, Action run, (EmulatedQueue, long)? waitFor)
    {
        Pending.Enqueue(new Op(run, waitFor, name));
        Enqueued++;
        return true;
    }

    private void RequireMember(Capture capture, string what)
    {
        if (this != capture.Origin && !capture.Members.ContainsKey(this))
            throw new InvalidOperationException($"{what} on {this} during a capture it never joined: CUDA would run it at capture time, outside the graph");
    }

    public void CopyToDevice(ulong destination, nint source, long bytes)
    {
        if (bytes <= 0)
            return;
        Add("copy-in", () =>
        {
            unsafe
            {
                new ReadOnlySpan<byte>((void*)source, checked((int)bytes)).CopyTo(backend.Bytes(destination, bytes, "copy to device"));
            }
        });
    }

    public void CopyToHost(nint destination, ulong source, long bytes)
    {
        if (bytes <= 0)
            return;
        Add("copy-out", () =>
        {
            unsafe
            {
                backend.Bytes(source, bytes, "copy to host").CopyTo(new Span<byte>((void*)destination, checked((int)bytes)));
            }
        });
    }

    public void Zero(ulong destination, long bytes)
    {
        if (bytes <= 0)
            return;
        Add("zero", () => backend.Bytes(destination, bytes, "zero").Clear());
    }

    public void Copy(ulong destination, ulong source, long bytes)
    {
        if (bytes <= 0)
            return;
        Add("copy", () => backend.Bytes(source, bytes, "copy source").CopyTo(backend.Bytes(destination, bytes, "copy destination")));
    }

    public void Upload<T>(ulong destination, ReadOnlySpan<T> source) where T : unmanaged
    {
        if (backend.ActiveCapture is not null)
            throw new InvalidOperationException("a host copy inside a captured graph (CUDA forbids pageable copies during capture)");
        if (source.IsEmpty)
            return;
        // The span may be reused once the call returns (a pageable copy is staged at the call): copy it now.
        var data = MemoryMarshal.AsBytes(source).ToArray();
        Add("upload", () => data.CopyTo(backend.Bytes(destination, data.Length, "upload")));
    }

    public void Download<T>(ulong source, Span<T> destination) where T : unmanaged
    {
        if (backend.ActiveCapture is not null)
            throw new InvalidOperationException("a host copy inside a captured graph");
        if (destination.IsEmpty)
            return;
        Synchronize();
        var bytes = MemoryMarshal.AsBytes(destination);
        backend.Bytes(source, bytes.Length, "download").CopyTo(bytes);
    }

    public void Launch<TParams>(TrainingKernel kernel, in LaunchConfig config, in TParams parameters) where TParams : unmanaged
    {
        var p = parameters;
        var c = config;
        string name = TrainingKernelNames.Of(kernel);
        Add(name, () =>
        {
            backend.Count(name);
            if (backend.RealKernels)
                KernelsOnCpu.CpuKernels.Launch(name, c, p);
            else
                KernelPorts.Run(backend, kernel, c, p);
        });
    }

    public void Gemm(in GemmOp op)
    {
        var o = op;
        Add("gemm", () =>
        {
            backend.Count("gemm");
            // Neither engine asks for an empty GEMM, and inference never for a batch; either would be a host-side slip.
            if (o.M < 1 || o.N < 1 || o.K < 1 || (!BatchedGemms && (o.IsStridedBatch || o.BatchCount != 1)))
                throw new InvalidOperationException($"GEMM with an empty dimension or a batch: {o}");
            EmulatedGemm.Validate(o);
            // A and B are read from copies, as the device reads inputs that the GEMM's own output cannot change.
            var a = backend.Floats(o.A, EmulatedGemm.ExtentA(o), "GEMM A").ToArray();
            var b = backend.Floats(o.B, EmulatedGemm.ExtentB(o), "GEMM B").ToArray();
            EmulatedGemm.Run(o, a, b, backend.Floats(o.C, EmulatedGemm.ExtentC(o), "GEMM C"));
        });
    }

    public void Launch(StepKernel kernel, in StepKernelArgs args)
    {
        var a = args;
        Add(kernel.ToString(), () =>
        {
            backend.Count(kernel.ToString());
            if (backend.RealKernels)
                KernelsOnCpu.RealInferenceKernels.Step(kernel, a);
            else
                EmulatedKernels.Step(backend, kernel, a);
        });
    }

    public void LaunchPersistent(PersistentPlan plan, in PersistentKernelArgs args, PersistentBarrier barrier)
    {
        var a = args;
        if (barrier == PersistentBarrier.Cooperative && backend.ActiveCapture is not null)
            throw new InvalidOperationException("a cooperative launch was captured; the CUDA backend does not capture those");
        backend.PersistentLaunches.Add((plan, barrier));
        Add("persistent", () =>
        {
            backend.Count("persistent");
            if (backend.RealKernels)
                KernelsOnCpu.RealInferenceKernels.Persistent(backend, plan, a, barrier);
            else
                EmulatedKernels.Persistent(backend, plan, a, barrier);
        });
    }

    public void Record(IDeviceMarker marker)
    {
        var m = (Marker)marker;
        var capture = backend.ActiveCapture;
        if (capture is not null)
        {
            RequireMember(capture, "record");
            capture.CapturedMarkers.Add(m);
            long position = capture.Members.TryGetValue(this, out var mem) ? mem.Captured : -1;
            capture.Work.Add((this, q =>
            {
                m.Target = (q, q.Enqueued);
                return true;
            }));
            // For the join check: the marker stands for this queue's captured work so far.
            m.Target = (this, position);
            return;
        }
        m.Target = (this, Enqueued);
    }

    public void Wait(IDeviceMarker marker)
    {
        var m = (Marker)marker;
        var capture = backend.ActiveCapture;
        if (capture is not null)
        {
            if (!capture.CapturedMarkers.Contains(m))
                throw new InvalidOperationException($"{this} waits during a capture on a marker recorded outside it (an external dependency CUDA rejects)");
            var target = m.Target!.Value;
            if (this != capture.Origin && !capture.Members.ContainsKey(this))
                capture.Members[this] = (0, 0);
            if (this == capture.Origin && target.Queue != capture.Origin && capture.Members.TryGetValue(target.Queue, out var member))
                capture.Members[target.Queue] = (member.Captured, Math.Max(member.JoinedUpTo, target.Position));
            capture.Work.Add((this, q =>
            {
                var t = m.Target;
                q.EnqueueRaw("wait", () => { }, t);
                return true;
            }));
            return;
        }
        var snapshot = m.Target;
        EnqueueRaw("wait", () => { }, snapshot);
    }

    public void BeginCapture()
    {
        backend.CapturesBegun++;
        if (backend.ActiveCapture is not null)
            throw new InvalidOperationException("a capture is already active");
        backend.ActiveCapture = new Capture(this);
    }

    public IDeviceGraph EndCapture()
    {
        var capture = backend.ActiveCapture ?? throw new InvalidOperationException("no capture is active");
        if (capture.Origin != this)
            throw new InvalidOperationException("the capture must end on the queue it began on");
        backend.ActiveCapture = null;
        foreach (var (queue, (captured, joined)) in capture.Members)
            if (joined < captured)
                throw new InvalidOperationException($"{queue} was not joined back into the capture's origin (cudaErrorStreamCaptureUnjoined): {captured} ops, joined up to {joined}");
        if (backend.FailCaptures)
            throw new CudaException(900, "cuStreamEndCapture", "emulated: capture invalidated");
        if (backend.FailNextCapture)
        {
            backend.FailNextCapture = false;
            throw new GraphCaptureException("emulated capture failure");
        }
        backend.CountGraph();
        return new EmulatedGraph(capture.Work.ToArray());
    }

    public void AbandonCapture() => backend.ActiveCapture = null;

    public void Synchronize() => backend.RunUntilIdle(this);

    public void Dispose()
    {
    }

    private sealed class EmulatedGraph((EmulatedQueue Queue, Func<EmulatedQueue, bool> Replay)[] work) : IDeviceGraph
    {
        public int NodeCount => work.Length;

        public void Launch()
        {
            foreach (var (q, replay) in work)
                replay(q);
        }

        public void Dispose()
        {
        }
    }
}

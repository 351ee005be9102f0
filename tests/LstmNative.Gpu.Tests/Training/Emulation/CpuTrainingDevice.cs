using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LstmNative.Cuda;
using LstmNative.Gpu.Device;
using LstmNative.Gpu.Tests.Emulation;
using LstmNative.Gpu.Training;

namespace LstmNative.Gpu.Tests.Training.Emulation;

/// <summary>
/// A CPU stand-in for the GPU behind <see cref="ITrainingDevice"/>: device memory is one byte array addressed like
/// device pointers, GEMMs are the shared CPU port (<see cref="EmulatedGemm"/>, double accumulation), and each training kernel runs as its C# port
/// (<see cref="KernelPorts"/>) over the launch's grid. The GPU orchestration code (GpuRnnStack, GpuRnnTrainer)
/// runs unchanged on it, so its indexing, buffer plumbing and call order are checked against the CPU reference on
/// machines without a GPU. Capture records the queued work and replays it, like a CUDA graph.
/// With <c>realKernels</c>, memory is native (addresses are real pointers) and the kernels are the real kernels/*.cu
/// compiled for the CPU (<see cref="KernelsOnCpu.CpuKernels"/>) instead of the ports; GEMMs stay plain loops.
/// </summary>
internal sealed unsafe class CpuTrainingDevice : ITrainingDevice
{
    private readonly ulong _base = 0x10000;
    private readonly byte[]? _memory;
    private byte* _native;
    private readonly long _capacity;
    private long _used;
    private List<Action>? _capturing;

    public CpuTrainingDevice(long capacityBytes = 64L * 1024 * 1024, bool realKernels = false)
    {
        _capacity = capacityBytes;
        RealKernels = realKernels;
        if (realKernels)
        {
            _native = (byte*)NativeMemory.AlignedAlloc((nuint)capacityBytes, 4096);
            _base = (ulong)_native;
        }
        else
        {
            _memory = new byte[capacityBytes];
        }
    }

    /// <summary>Whether launches run the real kernels compiled for the CPU (else the C# ports).</summary>
    public bool RealKernels { get; }

    private Span<byte> Memory => _native != null ? new Span<byte>(_native, checked((int)_capacity)) : _memory;

    /// <summary>Number of operations queued (kernels, GEMMs, copies), for tests about the work's shape.</summary>
    public int Operations { get; private set; }

    /// <summary>Kernel launches by kernel.</summary>
    public Dictionary<TrainingKernel, int> Launches { get; } = [];

    /// <summary>GEMMs queued (batched ones count once).</summary>
    public int Gemms { get; private set; }

    public long AllocatedBytes => _used;

    public ulong Allocate(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        long start = (_used + 255) / 256 * 256;
        if (start + bytes > _capacity)
            throw new InvalidOperationException($"the emulated device is out of memory ({start + bytes} > {_capacity} bytes)");
        _used = start + bytes;
        Memory.Slice((int)start, (int)bytes).Clear();
        return _base + (ulong)start;
    }

    /// <summary>The emulated memory as floats, indexable by <see cref="Index"/>.</summary>
    public Span<float> Floats => MemoryMarshal.Cast<byte, float>(Memory);

    /// <summary>Element index of a float address.</summary>
    public long Index(ulong address)
    {
        if (address < _base || (address - _base) % 4 != 0)
            throw new InvalidOperationException($"bad float address 0x{address:x}");
        return (long)(address - _base) / 4;
    }

    /// <summary>The float at <paramref name="address"/> + <paramref name="i"/> elements (bounds-checked against the allocations).</summary>
    public ref float At(ulong address, long i)
    {
        if (address == 0)
            throw new InvalidOperationException("a kernel dereferenced a null pointer");
        long index = Index(address) + i;
        if (i < 0 || index * 4 + 4 > _used)
            throw new InvalidOperationException($"kernel access outside allocated memory: 0x{address:x} [{i}]");
        return ref Floats[(int)index];
    }

    /// <summary>The int at <paramref name="address"/> + <paramref name="i"/> elements.</summary>
    public int Int(ulong address, long i) => BitConverter.SingleToInt32Bits(At(address, i));

    /// <summary>The double at <paramref name="address"/> + <paramref name="i"/> elements.</summary>
    public ref double Double(ulong address, long i) => ref MemoryMarshal.Cast<byte, double>(Bytes(address + (ulong)(i * 8), 8))[0];

    /// <summary>The scalars struct at <paramref name="address"/>.</summary>
    public ref DeviceScalars Scalars(ulong address) => ref MemoryMarshal.Cast<byte, DeviceScalars>(Bytes(address, DeviceScalars.Size))[0];

    private Span<byte> Bytes(ulong address, long bytes)
    {
        if (address < _base || (long)(address - _base) + bytes > _used)
            throw new InvalidOperationException($"access outside allocated memory: 0x{address:x} + {bytes}");
        return Memory.Slice((int)(address - _base), (int)bytes);
    }

    public void Zero(ulong address, long bytes) => Run(() => Bytes(address, bytes).Clear());

    public void Copy(ulong destination, ulong source, long bytes) => Run(() => Bytes(source, bytes).CopyTo(Bytes(destination, bytes)));

    public void Upload<T>(ulong destination, ReadOnlySpan<T> source) where T : unmanaged
    {
        if (_capturing is not null)
            throw new InvalidOperationException("a host copy inside a captured graph (CUDA forbids pageable copies during capture)");
        if (source.IsEmpty)
            return;
        MemoryMarshal.AsBytes(source).CopyTo(Bytes(destination, (long)source.Length * Unsafe.SizeOf<T>()));
        Operations++;
    }

    public void Download<T>(ulong source, Span<T> destination) where T : unmanaged
    {
        if (_capturing is not null)
            throw new InvalidOperationException("a host copy inside a captured graph");
        if (destination.IsEmpty)
            return;
        Bytes(source, (long)destination.Length * Unsafe.SizeOf<T>()).CopyTo(MemoryMarshal.AsBytes(destination));
    }

    public void Gemm(in GemmOp op)
    {
        var o = op;
        Gemms++;
        Run(() => EmulatedGemm.Run(o, FloatsAt(o.A, EmulatedGemm.ExtentA(o)), FloatsAt(o.B, EmulatedGemm.ExtentB(o)), FloatsAt(o.C, EmulatedGemm.ExtentC(o))));
    }

    // The live floats [address, address + count): an operand that overruns the allocated memory throws.
    private Span<float> FloatsAt(ulong address, long count)
    {
        Index(address);
        return MemoryMarshal.Cast<byte, float>(Bytes(address, 4 * count));
    }

    public void Launch<TParams>(TrainingKernel kernel, in LaunchConfig config, in TParams parameters) where TParams : unmanaged
    {
        var copy = parameters;
        var cfg = config;
        Launches[kernel] = Launches.GetValueOrDefault(kernel) + 1;
        if (RealKernels)
            Run(() => KernelsOnCpu.CpuKernels.Launch(TrainingKernelNames.Of(kernel), cfg, copy));
        else
            Run(() => KernelPorts.Run(this, kernel, cfg, copy));
    }

    public void Synchronize()
    {
    }

    /// <summary>How many captures were asked for.</summary>
    public int Captures { get; private set; }

    /// <summary>When set, a capture fails like a real one invalidated by first-use library set-up.</summary>
    public bool FailCaptures { get; set; }

    public IDeviceGraph? Capture(Action queue)
    {
        Captures++;
        if (FailCaptures)
            throw new CudaException(900, "cuStreamEndCapture", "emulated: capture invalidated");
        _capturing = [];
        try
        {
            queue();
            return new Recorded(_capturing);
        }
        finally
        {
            _capturing = null;
        }
    }

    private void Run(Action op)
    {
        Operations++;
        if (_capturing is not null)
            _capturing.Add(op);
        else
            op();
    }

    private sealed class Recorded(List<Action> ops) : IDeviceGraph
    {
        public int NodeCount => ops.Count;

        public void Launch()
        {
            foreach (var op in ops)
                op();
        }

        public void Dispose()
        {
        }
    }

    public void Dispose()
    {
        if (_native != null)
            NativeMemory.AlignedFree(_native);
        _native = null;
    }
}

using LstmNative.Cuda.Interop;

namespace LstmNative.Cuda;

/// <summary>
/// A kernel of a loaded module. Launching queues it on a stream and returns: no synchronisation, no boxing.
/// Arguments are unmanaged values passed by value; the launch overloads (CudaKernel.Launch.cs) build the
/// <c>void*[]</c> the driver wants on the stack, pointing at their own parameters.
/// </summary>
public sealed unsafe partial class CudaKernel
{
    private readonly CudaModule _module;

    internal CudaKernel(CudaModule module, string name, nint function)
    {
        _module = module;
        Name = name;
        Function = function;
    }

    /// <summary>The kernel's name in the module.</summary>
    public string Name { get; }

    /// <summary>The native <c>CUfunction</c> (valid while the module is loaded).</summary>
    public nint Function { get; }

    /// <summary>The most threads per block this kernel can be launched with (limited by its registers).</summary>
    public int MaxThreadsPerBlock => Attribute(DriverConstants.FuncAttrMaxThreadsPerBlock);

    /// <summary>Registers per thread, as compiled for this device.</summary>
    public int RegisterCount => Attribute(DriverConstants.FuncAttrNumRegs);

    /// <summary>Local memory per thread in bytes (non-zero means spills or local arrays).</summary>
    public int LocalMemoryBytes => Attribute(DriverConstants.FuncAttrLocalSizeBytes);

    /// <summary>Static shared memory per block in bytes.</summary>
    public int StaticSharedMemoryBytes => Attribute(DriverConstants.FuncAttrSharedSizeBytes);

    /// <summary>How many blocks of <paramref name="blockSize"/> threads fit on one multiprocessor at once.</summary>
    public int MaxActiveBlocksPerMultiprocessor(int blockSize, int dynamicSharedBytes = 0)
    {
        int blocks;
        Check.Driver(CudaDriver.cuOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, Function, blockSize, (nuint)dynamicSharedBytes));
        return blocks;
    }

    /// <summary>
    /// Queues the kernel with a prepared argument array: <paramref name="arguments"/>[i] points at the value of
    /// parameter i. For kernels with more parameters than the typed overloads take.
    /// </summary>
    public void LaunchRaw(in LaunchConfig config, CudaStream? stream, void** arguments)
    {
        _ = _module.Handle; // throws when the module was disposed: its functions are gone
        var r = CudaDriver.cuLaunchKernel(
            Function, config.Grid.X, config.Grid.Y, config.Grid.Z, config.Block.X, config.Block.Y, config.Block.Z,
            config.SharedMemoryBytes, CudaStream.RawHandle(stream), arguments, null);
        if (r != CUresult.Success) // the detail is built only on failure: launches are on per-step paths
            throw new CudaException((int)r, nameof(CudaDriver.cuLaunchKernel), $"kernel '{Name}', {config}");
    }

    /// <summary>
    /// Queues the kernel as a cooperative launch (all blocks resident at once, so a grid-wide barrier is safe), with a
    /// prepared argument array as for <see cref="LaunchRaw"/>. Fails when the grid cannot be resident.
    /// </summary>
    public void LaunchCooperativeRaw(in LaunchConfig config, CudaStream? stream, void** arguments)
    {
        _ = _module.Handle;
        var r = CudaDriver.cuLaunchCooperativeKernel(
            Function, config.Grid.X, config.Grid.Y, config.Grid.Z, config.Block.X, config.Block.Y, config.Block.Z,
            config.SharedMemoryBytes, CudaStream.RawHandle(stream), arguments);
        if (r != CUresult.Success)
            throw new CudaException((int)r, nameof(CudaDriver.cuLaunchCooperativeKernel), $"kernel '{Name}', {config}");
    }

    /// <summary>Lets the kernel use up to <paramref name="bytes"/> of dynamic shared memory (needed above 48 KiB).</summary>
    public void SetMaxDynamicSharedMemory(int bytes) =>
        Check.Driver(CudaDriver.cuFuncSetAttribute(Function, DriverConstants.FuncAttrMaxDynamicSharedSizeBytes, bytes),
            $"kernel '{Name}', max dynamic shared memory {bytes} bytes");

    private int Attribute(int attribute)
    {
        int value;
        Check.Driver(CudaDriver.cuFuncGetAttribute(&value, attribute, Function), $"kernel '{Name}', attribute {attribute}");
        return value;
    }
}

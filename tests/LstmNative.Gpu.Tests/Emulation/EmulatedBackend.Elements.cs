using System.Runtime.InteropServices;
using LstmNative.Gpu.Device;
using LstmNative.Gpu.Training;

namespace LstmNative.Gpu.Tests.Emulation;

// Element access for the training kernels' C# ports (KernelPorts), which read and write device memory one element
// at a time through the same bounds-checked allocations as everything else.
internal sealed partial class EmulatedBackend
{
    /// <summary>
    /// Memory and a queue of this backend for the training engine (GpuRnnStack, GpuRnnTrainer...): the arena owns
    /// the queue, zeroes each allocation on it, and the training kernels run as their ports or, with
    /// <c>realKernels</c>, as the real kernels compiled for the CPU.
    /// </summary>
    public DeviceArena CreateArena()
    {
        var queue = (EmulatedQueue)CreateQueue();
        queue.BatchedGemms = true;
        return new DeviceArena(queue, Allocate);
    }

    /// <summary>The float at <paramref name="address"/> + <paramref name="i"/> elements (bounds-checked against its allocation).</summary>
    public ref float At(ulong address, long i)
    {
        if (i < 0)
            throw new InvalidOperationException($"kernel access before an allocation: 0x{address:x} [{i}]");
        return ref MemoryMarshal.Cast<byte, float>(Bytes(address + (ulong)(i * 4), 4, "kernel access"))[0];
    }

    /// <summary>The int at <paramref name="address"/> + <paramref name="i"/> elements.</summary>
    public int Int(ulong address, long i) => BitConverter.SingleToInt32Bits(At(address, i));

    /// <summary>The double at <paramref name="address"/> + <paramref name="i"/> elements.</summary>
    public ref double Double(ulong address, long i) => ref MemoryMarshal.Cast<byte, double>(Bytes(address + (ulong)(i * 8), 8, "kernel access"))[0];

    /// <summary>The scalars struct at <paramref name="address"/>.</summary>
    public ref DeviceScalars Scalars(ulong address) => ref MemoryMarshal.Cast<byte, DeviceScalars>(Bytes(address, DeviceScalars.Size, "scalars"))[0];
}

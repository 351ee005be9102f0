using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LstmNative.Cpu;

/// <summary>
/// A float buffer on the pinned object heap whose first element is 64-byte aligned, so kernels can use raw pointers
/// into it without <c>fixed</c> and vector loads never split a cache line. The GC owns the memory; no disposal needed.
/// </summary>
internal sealed unsafe class AlignedBuffer
{
    private readonly float[] _array;
    private readonly int _offset;

    public AlignedBuffer(long length)
    {
        if (length > int.MaxValue - 16)
            throw new ArgumentOutOfRangeException(nameof(length), $"buffer of {length} floats is larger than a .NET array allows");
        Length = (int)length;
        _array = GC.AllocateArray<float>(Length + 16, pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
        _offset = (int)((64 - (address & 63)) & 63) / sizeof(float);
        Pointer = (float*)address + _offset;
    }

    public static readonly AlignedBuffer Empty = new(0);

    /// <summary>Number of usable floats.</summary>
    public int Length { get; }

    /// <summary>The first element (stable: the array is pinned).</summary>
    public float* Pointer { get; }

    public Span<float> Span => _array.AsSpan(_offset, Length);

    public void Clear() => Span.Clear();
}

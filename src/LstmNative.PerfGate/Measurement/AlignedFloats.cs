using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LstmNative.PerfGate.Measurement;

/// <summary>
/// A float array on the pinned heap viewed from a 64-byte boundary. Measured: with plain arrays the calibration's time
/// changed by up to 40 % from one process to the next (vector loads split cache lines or not, depending on where the
/// allocator happened to place the array), which no ratio can cancel; aligned, every process runs the same code on the
/// same layout.
/// </summary>
internal sealed class AlignedFloats
{
    private readonly float[] _array;
    private readonly int _offset;

    public AlignedFloats(long length)
    {
        if (length < 0 || length > int.MaxValue - 16)
            throw new GateException($"a buffer of {length} floats is larger than the gate supports");
        Length = (int)length;
        _array = GC.AllocateArray<float>(Length + 16, pinned: true);
        unsafe
        {
            nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
            _offset = (int)((64 - (address & 63)) & 63) / sizeof(float);
        }
    }

    /// <summary>Usable floats.</summary>
    public int Length { get; }

    /// <summary>The aligned floats.</summary>
    public Span<float> Span => _array.AsSpan(_offset, Length);

    /// <summary>The first aligned float, for vector loads.</summary>
    public ref float First => ref _array[_offset];
}

using LstmNative.Cuda.Handles;
using LstmNative.Cuda.Interop;

namespace LstmNative.Cuda;

/// <summary>Page-locked host memory: the only kind asynchronous copies can use without staging.</summary>
/// <typeparam name="T">An unmanaged element type.</typeparam>
public sealed unsafe class PinnedHostBuffer<T> : IDisposable
    where T : unmanaged
{
    private readonly DriverHandle _handle;

    /// <summary>Allocates <paramref name="length"/> elements, usable from every context (CU_MEMHOSTALLOC_PORTABLE).</summary>
    public PinnedHostBuffer(CudaContext context, long length)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        Length = length;
        var bytes = checked(length * sizeof(T));
        _handle = new DriverHandle(context.Handle, DriverHandleKind.HostMemory);
        void* pointer;
        var result = CudaDriver.cuMemHostAlloc(&pointer, (nuint)bytes, DriverConstants.MemHostAllocPortable);
        if (result == CUresult.OutOfMemory)
            throw new CudaOutOfMemoryException((int)result, nameof(CudaDriver.cuMemHostAlloc), bytes);
        Check.Driver(result, $"{bytes} bytes");
        _handle.Adopt((nint)pointer);
    }

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    /// <summary>The host address.</summary>
    public nint Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    /// <summary>The memory as a span (at most <see cref="int.MaxValue"/> elements).</summary>
    public Span<T> AsSpan() => new((void*)Pointer, checked((int)Length));

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}

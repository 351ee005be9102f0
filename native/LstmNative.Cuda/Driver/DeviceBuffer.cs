using LstmNative.Cuda.Handles;
using LstmNative.Cuda.Interop;

namespace LstmNative.Cuda;

/// <summary>
/// Typed device memory. Copies name their synchronisation: <c>CopyFromHost</c>/<c>CopyToHost</c> return when the
/// data has moved, <c>...Async</c> only queue on a stream (use pinned host memory for those).
/// </summary>
/// <typeparam name="T">An unmanaged element type (float, int, Half...).</typeparam>
public sealed unsafe class DeviceBuffer<T> : IDisposable
    where T : unmanaged
{
    private readonly DriverHandle _handle;

    /// <summary>Allocates <paramref name="length"/> elements in <paramref name="context"/>.</summary>
    /// <exception cref="CudaOutOfMemoryException">The device has not that much free memory; carries the requested size.</exception>
    public DeviceBuffer(CudaContext context, long length)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        Length = length;
        SizeInBytes = checked(length * sizeof(T));
        _handle = new DriverHandle(context.Handle, DriverHandleKind.DeviceMemory);
        ulong pointer;
        var result = CudaDriver.cuMemAlloc_v2(&pointer, (nuint)SizeInBytes);
        if (result == CUresult.OutOfMemory)
            throw new CudaOutOfMemoryException((int)result, nameof(CudaDriver.cuMemAlloc_v2), SizeInBytes);
        Check.Driver(result, $"{SizeInBytes} bytes");
        _handle.Adopt((nint)pointer);
    }

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    /// <summary>Size in bytes.</summary>
    public long SizeInBytes { get; }

    /// <summary>The device address (<c>CUdeviceptr</c>).</summary>
    public ulong Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return (ulong)_handle.DangerousGetHandle();
        }
    }

    /// <summary>The device address of element <paramref name="index"/>.</summary>
    public ulong PointerAt(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, Length);
        return Pointer + (ulong)(index * sizeof(T));
    }

    /// <summary>
    /// Copies <paramref name="source"/> to elements starting at <paramref name="offset"/>, ordered after the work
    /// queued on <paramref name="stream"/> (null: the legacy default stream). Returns once <paramref name="source"/>
    /// may be reused.
    /// </summary>
    public void CopyFromHost(ReadOnlySpan<T> source, long offset = 0, CudaStream? stream = null)
    {
        CheckRange(offset, source.Length);
        fixed (T* p = source)
        {
            if (stream is null)
                Check.Driver(CudaDriver.cuMemcpyHtoD_v2(PointerAt(offset), p, (nuint)(source.Length * sizeof(T))));
            else
                Check.Driver(CudaDriver.cuMemcpyHtoDAsync_v2(PointerAt(offset), p, (nuint)(source.Length * sizeof(T)), stream.Handle));
        }
    }

    /// <summary>
    /// Copies elements starting at <paramref name="offset"/> into <paramref name="destination"/>, after the work queued
    /// on <paramref name="stream"/> (null: the legacy default stream), and waits for it: the data is there on return.
    /// </summary>
    public void CopyToHost(Span<T> destination, long offset = 0, CudaStream? stream = null)
    {
        CheckRange(offset, destination.Length);
        fixed (T* p = destination)
        {
            if (stream is null)
            {
                Check.Driver(CudaDriver.cuMemcpyDtoH_v2(p, PointerAt(offset), (nuint)(destination.Length * sizeof(T))));
            }
            else
            {
                Check.Driver(CudaDriver.cuMemcpyDtoHAsync_v2(p, PointerAt(offset), (nuint)(destination.Length * sizeof(T)), stream.Handle));
                stream.Synchronize();
            }
        }
    }

    /// <summary>Copies the whole buffer to a new array (waits, like <see cref="CopyToHost"/>).</summary>
    public T[] ToArray(CudaStream? stream = null)
    {
        var result = new T[checked((int)Length)];
        CopyToHost(result, 0, stream);
        return result;
    }

    /// <summary>Queues a copy from pinned host memory on <paramref name="stream"/>; returns at once.</summary>
    public void CopyFromHostAsync(PinnedHostBuffer<T> source, CudaStream stream, long count = -1)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(stream);
        count = count < 0 ? Math.Min(Length, source.Length) : count;
        CheckRange(0, count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, source.Length);
        Check.Driver(CudaDriver.cuMemcpyHtoDAsync_v2(Pointer, (void*)source.Pointer, (nuint)(count * sizeof(T)), stream.Handle));
    }

    /// <summary>Queues a copy into pinned host memory on <paramref name="stream"/>; returns at once (synchronise before reading).</summary>
    public void CopyToHostAsync(PinnedHostBuffer<T> destination, CudaStream stream, long count = -1)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(stream);
        count = count < 0 ? Math.Min(Length, destination.Length) : count;
        CheckRange(0, count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, destination.Length);
        Check.Driver(CudaDriver.cuMemcpyDtoHAsync_v2((void*)destination.Pointer, Pointer, (nuint)(count * sizeof(T)), stream.Handle));
    }

    /// <summary>Queues a device-to-device copy of all of <paramref name="source"/> to the start of this buffer.</summary>
    public void CopyFrom(DeviceBuffer<T> source, CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        CheckRange(0, source.Length);
        Check.Driver(CudaDriver.cuMemcpyDtoDAsync_v2(Pointer, source.Pointer, (nuint)source.SizeInBytes, CudaStream.RawHandle(stream)));
    }

    /// <summary>Queues setting every byte to zero.</summary>
    public void Clear(CudaStream? stream = null) =>
        Check.Driver(CudaDriver.cuMemsetD8Async(Pointer, 0, (nuint)SizeInBytes, CudaStream.RawHandle(stream)));

    /// <summary>Queues setting every element to <paramref name="value"/> (4-byte element types only).</summary>
    public void Fill(T value, CudaStream? stream = null)
    {
        if (sizeof(T) != 4)
            throw new NotSupportedException($"Fill needs a 4-byte element type; {typeof(T).Name} has {sizeof(T)} bytes.");
        Check.Driver(CudaDriver.cuMemsetD32Async(Pointer, *(uint*)&value, (nuint)Length, CudaStream.RawHandle(stream)));
    }

    private void CheckRange(long offset, long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (offset + count > Length)
            throw new ArgumentOutOfRangeException(nameof(count), $"{count} elements at offset {offset} do not fit in a buffer of {Length}.");
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}

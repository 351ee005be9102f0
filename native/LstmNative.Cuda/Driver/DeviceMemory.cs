using LstmNative.Cuda.Interop;

namespace LstmNative.Cuda;

/// <summary>
/// Copies to and from raw device addresses, for memory the binding does not own as a <see cref="DeviceBuffer{T}"/>:
/// e.g. one matrix inside cuDNN's weight space. The caller vouches for the address range. Same synchronisation as
/// <see cref="DeviceBuffer{T}.CopyFromHost"/> and <see cref="DeviceBuffer{T}.CopyToHost"/>.
/// </summary>
public static unsafe class DeviceMemory
{
    /// <summary>Copies <paramref name="source"/> to <paramref name="destination"/>; returns once the source may be reused.</summary>
    public static void CopyFromHost<T>(ulong destination, ReadOnlySpan<T> source, CudaStream? stream = null)
        where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfZero(destination);
        fixed (T* p = source)
        {
            var bytes = (nuint)(source.Length * sizeof(T));
            if (stream is null)
                Check.Driver(CudaDriver.cuMemcpyHtoD_v2(destination, p, bytes));
            else
                Check.Driver(CudaDriver.cuMemcpyHtoDAsync_v2(destination, p, bytes, stream.Handle));
        }
    }

    /// <summary>Copies from <paramref name="source"/> into <paramref name="destination"/>; the data is there on return.</summary>
    public static void CopyToHost<T>(ulong source, Span<T> destination, CudaStream? stream = null)
        where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfZero(source);
        fixed (T* p = destination)
        {
            var bytes = (nuint)(destination.Length * sizeof(T));
            if (stream is null)
            {
                Check.Driver(CudaDriver.cuMemcpyDtoH_v2(p, source, bytes));
            }
            else
            {
                Check.Driver(CudaDriver.cuMemcpyDtoHAsync_v2(p, source, bytes, stream.Handle));
                stream.Synchronize();
            }
        }
    }
}

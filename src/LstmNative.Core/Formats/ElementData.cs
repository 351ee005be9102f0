using System.Runtime.InteropServices;
using LstmNative.Model;

namespace LstmNative.Formats;

/// <summary>Byte-level helpers shared by the readers and writers: item sizes, allocation and raw views of element arrays.</summary>
internal static class ElementData
{
    /// <summary>Bytes per element.</summary>
    public static int ItemSize(DType type) => type switch
    {
        DType.Float32 or DType.Int32 => 4,
        DType.Float64 or DType.Int64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>A zeroed array of <paramref name="count"/> elements of <paramref name="type"/>.</summary>
    public static Array Allocate(DType type, int count) => type switch
    {
        DType.Float32 => new float[count],
        DType.Float64 => new double[count],
        DType.Int32 => new int[count],
        DType.Int64 => new long[count],
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>
    /// The elements of a float[], double[], int[] or long[] as little-endian bytes (a view, not a copy).
    /// Every format we exchange is little-endian, so on a little-endian host the memory is the file content.
    /// </summary>
    public static Span<byte> AsBytes(Array data)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("LstmNative's file formats assume a little-endian host");
        return data switch
        {
            float[] f => MemoryMarshal.AsBytes(f.AsSpan()),
            double[] d => MemoryMarshal.AsBytes(d.AsSpan()),
            int[] i => MemoryMarshal.AsBytes(i.AsSpan()),
            long[] l => MemoryMarshal.AsBytes(l.AsSpan()),
            _ => throw new ArgumentException($"unsupported element type {data.GetType().GetElementType()}", nameof(data)),
        };
    }

    /// <summary>The bytes of elements <c>[start, start + count)</c> of <paramref name="data"/> (little-endian host).</summary>
    public static Span<byte> AsBytes(Array data, int start, int count)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("LstmNative's file formats assume a little-endian host");
        return data switch
        {
            float[] f => MemoryMarshal.AsBytes(f.AsSpan(start, count)),
            double[] d => MemoryMarshal.AsBytes(d.AsSpan(start, count)),
            int[] i => MemoryMarshal.AsBytes(i.AsSpan(start, count)),
            long[] l => MemoryMarshal.AsBytes(l.AsSpan(start, count)),
            _ => throw new ArgumentException($"unsupported element type {data.GetType().GetElementType()}", nameof(data)),
        };
    }

    /// <summary>
    /// The number of elements a shape holds, saturating at <see cref="long.MaxValue"/> instead of overflowing,
    /// so hostile shapes compare as "too big" rather than wrapping around to something small.
    /// </summary>
    public static long SaturatingCount(IEnumerable<long> dims)
    {
        long count = 1;
        bool saturated = false;
        foreach (long d in dims)
        {
            if (d == 0)
                return 0;
            if (saturated || count > long.MaxValue / d)
                saturated = true;
            else
                count *= d;
        }
        return saturated ? long.MaxValue : count;
    }

    /// <summary><paramref name="count"/> × <paramref name="itemSize"/>, saturating like <see cref="SaturatingCount"/>.</summary>
    public static long SaturatingBytes(long count, int itemSize) =>
        count > long.MaxValue / itemSize ? long.MaxValue : count * itemSize;

    /// <summary>Formats a byte count for messages, spelling out saturation.</summary>
    public static string FormatBytes(long bytes) => bytes == long.MaxValue ? "more than 2^63" : bytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

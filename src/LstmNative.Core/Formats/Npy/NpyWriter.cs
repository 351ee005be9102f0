using LstmNative.Model;

namespace LstmNative.Formats;

/// <summary>
/// Writes NumPy <c>.npy</c> files: version 1.0 (2.0 for very long headers), explicit little-endian descr, C order,
/// header padded with spaces and ended with '\n' so the data starts at a multiple of 64 bytes, as NumPy writes it.
/// </summary>
public static class NpyWriter
{
    /// <summary>
    /// Creates or replaces <paramref name="path"/> atomically: the file is written beside the target and moved over it,
    /// so a failure leaves the previous file (or no file) rather than a half-written one.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The target's directory does not exist.</exception>
    public static void Write(string path, NdArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        AtomicFile.Write(path, stream => Write(stream, array));
    }

    /// <summary>Writes the NPY encoding of <paramref name="array"/> to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, NdArray array)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(array);
        stream.Write(new NpyHeader(array.DType, array.Shape.ToArray()).ToBytes());
        // In slices: an array of 2 GiB or more has more bytes than one span can hold.
        int size = ElementData.ItemSize(array.DType);
        int chunk = (1 << 24) / size;
        for (long start = 0; start < array.Data.Length; start += chunk)
        {
            int n = (int)Math.Min(chunk, array.Data.Length - start);
            stream.Write(ElementData.AsBytes(array.Data, (int)start, n));
        }
    }

    /// <summary>The NPY encoding of <paramref name="array"/> (header and data).</summary>
    public static byte[] ToBytes(NdArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        byte[] header = new NpyHeader(array.DType, array.Shape.ToArray()).ToBytes();
        var data = ElementData.AsBytes(array.Data);
        byte[] bytes = new byte[header.Length + data.Length];
        header.CopyTo(bytes, 0);
        data.CopyTo(bytes.AsSpan(header.Length));
        return bytes;
    }
}

using System.Buffers.Binary;
using System.Text;
using LstmNative.Model;

namespace LstmNative.Formats;

/// <summary>
/// Reads NumPy <c>.npy</c> files (format versions 1.0, 2.0 and 3.0) holding little-endian float32, float64, int32
/// or int64 arrays in C order, of any rank including 0-d scalars. Validation is strict and happens before any
/// allocation: a file can never make the reader allocate more than its own size implies.
/// </summary>
public static class NpyReader
{
    /// <summary>Reads the array stored in <paramref name="path"/>.</summary>
    /// <exception cref="ModelFormatException">The file is not a valid NPY file or holds an unsupported dtype or order.</exception>
    public static NdArray Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        long fileLength = stream.Length;
        // The prefix is at most 12 bytes; reading it first lets us check the header length against the file size.
        byte[] prefix = new byte[(int)Math.Min(fileLength, 12)];
        stream.ReadExactly(prefix);
        var (version, headerStart, headerLength) = ReadPrefix(prefix, fileLength, path);
        byte[] header = new byte[headerLength];
        stream.Position = headerStart;
        stream.ReadExactly(header);
        var parsed = ParseHeader(header, version, path);
        long dataStart = (long)headerStart + headerLength;
        Array data = AllocateChecked(parsed, fileLength - dataStart, path);
        stream.ReadExactly(ElementData.AsBytes(data));
        return new NdArray(data, parsed.Shape);
    }

    /// <summary>Reads an array from the bytes of an NPY file; <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="ModelFormatException">The bytes are not a valid NPY file or hold an unsupported dtype or order.</exception>
    public static NdArray Read(ReadOnlySpan<byte> bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var (version, headerStart, headerLength) = ReadPrefix(bytes[..Math.Min(bytes.Length, 12)], bytes.Length, source);
        var parsed = ParseHeader(bytes.Slice(headerStart, headerLength), version, source);
        int dataStart = headerStart + headerLength;
        Array data = AllocateChecked(parsed, bytes.Length - dataStart, source);
        bytes[dataStart..].CopyTo(ElementData.AsBytes(data));
        return new NdArray(data, parsed.Shape);
    }

    // NumPy's own headers are a few hundred bytes (np.load refuses more than 10,000 by default); a huge length field in a
    // large or sparse file must not become an allocation, or a negative one after the cast to int.
    private const int MaxHeaderLength = 1 << 24;

    /// <summary>Validates magic, version and the header-length field; returns where the header lies.</summary>
    private static (int Major, int HeaderStart, int HeaderLength) ReadPrefix(ReadOnlySpan<byte> prefix, long fileLength, string source)
    {
        var magic = NpyHeader.Magic;
        int shown = Math.Min(prefix.Length, magic.Length);
        // A short file that starts like the magic is a truncated NPY file; anything else is not NPY at all.
        if (fileLength == 0 || !prefix[..shown].SequenceEqual(magic[..shown]))
        {
            string found = fileLength == 0 ? "an empty file" : "bytes " + Convert.ToHexString(prefix[..shown]);
            throw ModelFormatException.For(source, $"not an NPY file: expected the magic \\x93NUMPY (934E554D5059), found {found}");
        }
        if (fileLength < NpyHeader.PreambleLength)
            throw ModelFormatException.For(source, $"truncated NPY file: expected at least {NpyHeader.PreambleLength} bytes of magic and version, found {fileLength}");
        int major = prefix[6], minor = prefix[7];
        if (major is < 1 or > 3 || minor != 0)
            throw ModelFormatException.For(source, $"unsupported NPY format version {major}.{minor}: expected 1.0, 2.0 or 3.0");
        int lengthFieldSize = major == 1 ? 2 : 4;
        int headerStart = NpyHeader.PreambleLength + lengthFieldSize;
        if (fileLength < headerStart)
            throw ModelFormatException.For(source, $"truncated NPY file: expected a {headerStart}-byte prefix for version {major}.0, found {fileLength} bytes");
        long headerLength = major == 1
            ? BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..])
            : BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]);
        if (headerLength > MaxHeaderLength)
            throw ModelFormatException.For(source, $"NPY header length field says {headerLength} bytes; headers longer than {MaxHeaderLength} bytes are not supported");
        if (headerLength > fileLength - headerStart)
            throw ModelFormatException.For(source, $"truncated NPY header: the header length field says {headerLength} bytes, found {fileLength - headerStart} after the {headerStart}-byte prefix");
        return (major, headerStart, (int)headerLength);
    }

    private static NpyHeader ParseHeader(ReadOnlySpan<byte> header, int major, string source)
    {
        string text;
        if (major < 3)
        {
            text = Encoding.Latin1.GetString(header);
        }
        else
        {
            try
            {
                text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(header);
            }
            catch (DecoderFallbackException e)
            {
                throw ModelFormatException.For(source, "NPY 3.0 header is not valid UTF-8", e);
            }
        }
        // Python 2 wrote "3L" for longs; NumPy's own reader accepts that in version 1.0 headers only.
        return NpyHeader.Parse(text, allowLongSuffix: major == 1, source);
    }

    /// <summary>Checks the data size against what the file holds, and only then allocates.</summary>
    private static Array AllocateChecked(NpyHeader header, long available, string source)
    {
        int itemSize = ElementData.ItemSize(header.DType);
        long count = ElementData.SaturatingCount(header.Shape.Select(d => (long)d));
        long expected = ElementData.SaturatingBytes(count, itemSize);
        if (expected != available)
        {
            string shape = NpyHeader.ShapeRepr(header.Shape.Select(d => (long)d).ToArray());
            string kind = expected > available ? "truncated NPY data" : "NPY file has trailing bytes";
            throw ModelFormatException.For(source,
                $"{kind}: shape {shape} of {NpyHeader.Descr(header.DType)} needs {ElementData.FormatBytes(expected)} bytes of data, found {available}");
        }
        if (count > Array.MaxLength)
            throw ModelFormatException.For(source, $"NPY array has {count} elements: more than a .NET array holds ({Array.MaxLength})");
        return ElementData.Allocate(header.DType, (int)count);
    }
}

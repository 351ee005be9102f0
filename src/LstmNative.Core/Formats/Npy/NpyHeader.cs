using System.Diagnostics;
using System.Globalization;
using System.Text;
using LstmNative.Model;

namespace LstmNative.Formats;

/// <summary>
/// The NPY header: its fixed prefix (magic, version, header length) and the Python dict that follows.
/// Spec: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
/// </summary>
internal sealed record NpyHeader(DType DType, int[] Shape)
{
    /// <summary>The six magic bytes every NPY file starts with.</summary>
    public static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>NumPy aligns the data start to this many bytes, so the data can be memory-mapped and read with aligned loads.</summary>
    public const int Alignment = 64;

    /// <summary>Magic plus version: the prefix before the header-length field.</summary>
    public const int PreambleLength = 8;

    /// <summary>The dtypes we read, by their little-endian descr.</summary>
    private static readonly Dictionary<string, DType> ByTypeCode = new(StringComparer.Ordinal)
    {
        ["f4"] = DType.Float32,
        ["f8"] = DType.Float64,
        ["i4"] = DType.Int32,
        ["i8"] = DType.Int64,
    };

    /// <summary>NumPy's descr for a dtype as this writer stores it (always explicit little-endian).</summary>
    public static string Descr(DType type) => type switch
    {
        DType.Float32 => "<f4",
        DType.Float64 => "<f8",
        DType.Int32 => "<i4",
        DType.Int64 => "<i8",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>Python's repr of a shape tuple: <c>()</c>, <c>(3,)</c>, <c>(2, 3)</c>.</summary>
    public static string ShapeRepr(IReadOnlyList<long> shape) => shape.Count switch
    {
        0 => "()",
        1 => $"({shape[0].ToString(CultureInfo.InvariantCulture)},)",
        _ => "(" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")",
    };

    /// <summary>
    /// The complete header bytes (magic through the final '\n') exactly as NumPy's <c>_wrap_header</c> builds them:
    /// the dict, spaces, then '\n', so that the data starts at a multiple of <see cref="Alignment"/>.
    /// Version 1.0 unless the header needs more than 65535 bytes.
    /// </summary>
    public byte[] ToBytes()
    {
        string dict = "{'descr': '" + Descr(DType) + "', 'fortran_order': False, 'shape': "
            + ShapeRepr(Shape.Select(d => (long)d).ToArray()) + ", }";
        byte[] text = Encoding.ASCII.GetBytes(dict);
        foreach (int lengthFieldSize in (int[])[2, 4])
        {
            int headerLength = text.Length + 1;
            int prefix = PreambleLength + lengthFieldSize;
            int pad = Alignment - ((prefix + headerLength) % Alignment);
            long total = (long)headerLength + pad;
            if (lengthFieldSize == 2 && total > ushort.MaxValue)
                continue;
            var bytes = new byte[prefix + total];
            Magic.CopyTo(bytes);
            bytes[6] = lengthFieldSize == 2 ? (byte)1 : (byte)2;
            bytes[7] = 0;
            if (lengthFieldSize == 2)
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)total);
            else
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), checked((uint)total));
            text.CopyTo(bytes, prefix);
            bytes.AsSpan(prefix + text.Length, pad).Fill((byte)' ');
            bytes[^1] = (byte)'\n';
            return bytes;
        }
        throw new UnreachableException();
    }

    /// <summary>
    /// Interprets the header dict text. Exactly the keys 'descr', 'fortran_order' and 'shape' are allowed, as in NumPy.
    /// </summary>
    /// <param name="text">The decoded header (the dict plus padding).</param>
    /// <param name="allowLongSuffix">Accept Python 2 integers such as <c>3L</c> (version 1.0 files).</param>
    /// <param name="source">The file name, for messages.</param>
    public static NpyHeader Parse(string text, bool allowLongSuffix, string source)
    {
        object? literal;
        try
        {
            literal = PyLiteral.Parse(text, allowLongSuffix);
        }
        catch (FormatException e)
        {
            throw ModelFormatException.For(source, $"NPY header is not a valid Python literal: {e.Message}", e);
        }
        if (literal is not PyLiteral.Dict dict)
            throw ModelFormatException.For(source, $"NPY header must be a dict, found {PyLiteral.Describe(literal)}");

        object? descr = null, fortran = null, shape = null;
        bool hasDescr = false, hasFortran = false, hasShape = false;
        foreach (var (key, value) in dict.Items)
        {
            switch (key)
            {
                case "descr" when !hasDescr:
                    (descr, hasDescr) = (value, true);
                    break;
                case "fortran_order" when !hasFortran:
                    (fortran, hasFortran) = (value, true);
                    break;
                case "shape" when !hasShape:
                    (shape, hasShape) = (value, true);
                    break;
                case "descr" or "fortran_order" or "shape":
                    throw ModelFormatException.For(source, $"NPY header has key '{key}' twice");
                default:
                    throw ModelFormatException.For(source, $"NPY header has unexpected key {(key is string k ? $"'{k}'" : PyLiteral.Describe(key))}: expected only 'descr', 'fortran_order' and 'shape'");
            }
        }
        if (!hasDescr || !hasFortran || !hasShape)
        {
            string missing = string.Join(", ", new[] { ("descr", hasDescr), ("fortran_order", hasFortran), ("shape", hasShape) }
                .Where(k => !k.Item2).Select(k => $"'{k.Item1}'"));
            throw ModelFormatException.For(source, $"NPY header lacks {missing}: expected 'descr', 'fortran_order' and 'shape'");
        }

        DType type = ParseDescr(descr, source);
        if (fortran is not bool isFortran)
            throw ModelFormatException.For(source, $"NPY header 'fortran_order' must be True or False, found {PyLiteral.Describe(fortran)}");
        if (isFortran)
            throw ModelFormatException.For(source, "NPY array is stored in Fortran (column-major) order, which is not supported: expected fortran_order False (save np.ascontiguousarray(a))");
        return new NpyHeader(type, ParseShape(shape, source));
    }

    private static DType ParseDescr(object? descr, string source)
    {
        const string expected = "expected one of '<f4', '<f8', '<i4', '<i8'";
        if (descr is not string s)
        {
            string what = descr is PyLiteral.List ? "a list (structured dtypes are not supported)" : PyLiteral.Describe(descr);
            throw ModelFormatException.For(source, $"NPY dtype must be a string descr, found {what}: {expected}");
        }
        if (s.Length == 3 && ByTypeCode.TryGetValue(s[1..], out DType type))
        {
            switch (s[0])
            {
                case '<':
                    return type;
                // '=' is native order and '|' "not applicable"; NumPy reads both as native, which is little-endian on every host we run on.
                case '=' or '|':
                    return type;
                case '>':
                    throw ModelFormatException.For(source, $"NPY dtype '{s}' is big-endian, which is not supported: expected '<{s[1..]}' (save a.astype('<{s[1..]}'))");
            }
        }
        throw ModelFormatException.For(source, $"unsupported NPY dtype '{s}': {expected}");
    }

    private static int[] ParseShape(object? shape, string source)
    {
        if (shape is not PyLiteral.Tuple tuple)
            throw ModelFormatException.For(source, $"NPY header 'shape' must be a tuple of integers, found {PyLiteral.Describe(shape)}");
        var dims = new int[tuple.Items.Count];
        for (int i = 0; i < dims.Length; i++)
        {
            if (tuple.Items[i] is not long d)
                throw ModelFormatException.For(source, $"NPY shape entry {i} must be an integer, found {PyLiteral.Describe(tuple.Items[i])}");
            if (d < 0 || d > int.MaxValue)
                throw ModelFormatException.For(source, $"NPY shape entry {i} is {d}: expected a dimension between 0 and {int.MaxValue}");
            dims[i] = (int)d;
        }
        return dims;
    }
}

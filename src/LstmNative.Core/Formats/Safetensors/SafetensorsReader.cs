using System.Buffers.Binary;
using System.Text.Json;
using LstmNative.Model;

namespace LstmNative.Formats;

/// <summary>
/// Reads safetensors files: an 8-byte little-endian header length, a JSON header mapping each tensor name to its
/// <c>dtype</c>, <c>shape</c> and <c>data_offsets</c> (plus an optional <c>__metadata__</c> map of strings), then the raw
/// little-endian data. Validation is strict and complete before any tensor is touched: the header size is limited and
/// must fit the file, every entry must be well formed, each tensor's byte span must match its dtype and shape and lie
/// inside the data section, and the spans must cover that section exactly, without overlaps or holes (as the format's
/// reference implementation requires). Nothing is allocated beyond what the file's size implies.
/// </summary>
public static class SafetensorsReader
{
    /// <summary>The largest header accepted (the reference implementation's limit).</summary>
    public const int MaxHeaderLength = 100_000_000;

    private const string MetadataKey = "__metadata__";

    /// <summary>Loads and validates the file at <paramref name="path"/>.</summary>
    /// <exception cref="ModelFormatException">The file is not a valid safetensors file.</exception>
    public static SafetensorsFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Read(InputFile.ReadAllBytes(path), path);
    }

    /// <summary>Validates the bytes of a safetensors file; <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="ModelFormatException">The bytes are not a valid safetensors file.</exception>
    public static SafetensorsFile Read(ReadOnlyMemory<byte> bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var span = bytes.Span;
        if (span.Length < 8)
            throw ModelFormatException.For(source, $"truncated safetensors file: expected an 8-byte header length, found {span.Length} bytes");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(span);
        // A header that cannot fit the file and does not open as JSON means another kind of file (an ONNX model, an .npy
        // array): saying so helps more than a limit or a truncation that its first 8 bytes, read as a length, suggest.
        if (headerLength > (ulong)(span.Length - 8) && span.Length > 8 && span[8] != (byte)'{')
            throw ModelFormatException.For(source, $"not a safetensors file: its first 8 bytes give a header length of {headerLength} bytes, " +
                $"more than the whole file ({span.Length} bytes), and no JSON header follows them");
        if (headerLength > MaxHeaderLength)
            throw ModelFormatException.For(source, $"safetensors header length {headerLength} is over the {MaxHeaderLength}-byte limit");
        if (headerLength > (ulong)(span.Length - 8))
            throw ModelFormatException.For(source, $"truncated safetensors file: the header length field says {headerLength} bytes, found {span.Length - 8} after the 8-byte prefix");
        int dataStart = 8 + (int)headerLength;
        var header = bytes[8..dataStart];
        var data = bytes[dataStart..];
        var (tensors, metadata) = ParseHeader(header, data.Length, source);
        return new SafetensorsFile(source, tensors, metadata, data);
    }

    private static (List<SafetensorsTensorInfo>, Dictionary<string, string>) ParseHeader(ReadOnlyMemory<byte> header, long dataLength, string source)
    {
        if (header.Length < 2 || header.Span[0] != (byte)'{')
            throw ModelFormatException.For(source, "not a safetensors file: its header is not a JSON object: expected it to start with '{'");
        // The JSON reader validates UTF-8 only lazily (a bad property name fails later, outside JsonException).
        if (!System.Text.Unicode.Utf8.IsValid(header.Span))
            throw ModelFormatException.For(source, "safetensors header is not valid UTF-8");
        JsonDocument document;
        try
        {
            // The depth limit keeps hostile nesting cheap; a valid header is three levels deep.
            document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw ModelFormatException.For(source, $"safetensors header is not valid JSON: {ModelFormatException.OneLine(e.Message)}", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw ModelFormatException.For(source, $"safetensors header is a JSON {Kind(root)}: expected an object");
            var tensors = new List<SafetensorsTensorInfo>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            try
            {
                foreach (var property in root.EnumerateObject())
                {
                    // JSON allows repeated keys; a header that names a tensor twice is ambiguous, so it is refused.
                    if (!seen.Add(property.Name))
                        throw ModelFormatException.For(source, $"safetensors header names '{ModelFormatException.Quote(property.Name)}' twice");
                    if (property.Name == MetadataKey)
                        ReadMetadata(property.Value, metadata, source);
                    else
                        tensors.Add(ReadEntry(property.Name, property.Value, dataLength, source));
                }
            }
            catch (InvalidOperationException e)
            {
                // System.Text.Json decodes escapes lazily: an escaped lone surrogate ("\ud800") fails only when read.
                throw ModelFormatException.For(source, "safetensors header has a name or string that is not valid Unicode " +
                    $"(an escaped lone surrogate such as \\ud800): {ModelFormatException.OneLine(e.Message)}", e);
            }
            CheckCoverage(tensors, dataLength, source);
            return (tensors, metadata);
        }
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw ModelFormatException.For(source, $"safetensors {MetadataKey} is a JSON {Kind(value)}: expected an object of strings");
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw ModelFormatException.For(source, $"safetensors {MetadataKey} entry '{entry.Name}' is a JSON {Kind(entry.Value)}: expected a string");
            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
                throw ModelFormatException.For(source, $"safetensors {MetadataKey} names '{entry.Name}' twice");
        }
    }

    private static SafetensorsTensorInfo ReadEntry(string name, JsonElement value, long dataLength, string source)
    {
        string where = $"tensor '{ModelFormatException.Quote(name)}'";
        if (value.ValueKind != JsonValueKind.Object)
            throw ModelFormatException.For(source, $"{where} is a JSON {Kind(value)}: expected an object with dtype, shape and data_offsets");
        JsonElement? dtype = null, shape = null, offsets = null;
        foreach (var field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype" when dtype is null: dtype = field.Value; break;
                case "shape" when shape is null: shape = field.Value; break;
                case "data_offsets" when offsets is null: offsets = field.Value; break;
                case "dtype" or "shape" or "data_offsets":
                    throw ModelFormatException.For(source, $"{where} sets '{field.Name}' twice");
                default:
                    throw ModelFormatException.For(source, $"{where} has unknown field '{field.Name}': expected dtype, shape and data_offsets");
            }
        }
        if (dtype is not { ValueKind: JsonValueKind.String } d)
            throw ModelFormatException.For(source, $"{where} has no dtype string");
        if (shape is not { ValueKind: JsonValueKind.Array } s)
            throw ModelFormatException.For(source, $"{where} has no shape array");
        if (offsets is not { ValueKind: JsonValueKind.Array } o)
            throw ModelFormatException.For(source, $"{where} has no data_offsets array");

        string type = d.GetString()!;
        int itemSize = SafetensorsDType.SizeOf(type);
        if (itemSize == 0)
            throw ModelFormatException.For(source, $"{where} has unknown dtype '{ModelFormatException.Quote(type)}': expected a safetensors dtype such as F32, F16, BF16, F64, I32 or I64");
        var dims = new int[s.GetArrayLength()];
        int i = 0;
        foreach (var dim in s.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long v) || v < 0 || v > int.MaxValue)
                throw ModelFormatException.For(source, $"{where} has shape entry {i} = {dim.GetRawText()}: expected an integer between 0 and {int.MaxValue}");
            dims[i++] = (int)v;
        }
        if (o.GetArrayLength() != 2)
            throw ModelFormatException.For(source, $"{where} has {o.GetArrayLength()} data_offsets: expected [begin, end]");
        long begin = Offset(o[0], where, source), end = Offset(o[1], where, source);
        if (end < begin)
            throw ModelFormatException.For(source, $"{where} has data_offsets [{begin}, {end}]: the end is before the begin");
        if (end > dataLength)
            throw ModelFormatException.For(source, $"{where} has data_offsets [{begin}, {end}] outside the {dataLength}-byte data section (truncated file?)");
        long count = ElementData.SaturatingCount(dims.Select(v => (long)v));
        long needed = ElementData.SaturatingBytes(count, itemSize);
        if (needed != end - begin)
            throw ModelFormatException.For(source, $"{where} of shape {NdArray.FormatShape(dims)} and dtype {type} needs {ElementData.FormatBytes(needed)} bytes, but its data_offsets [{begin}, {end}] span {end - begin}");
        return new SafetensorsTensorInfo(name, type, dims, begin, end);
    }

    private static long Offset(JsonElement value, string where, string source) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long v) && v >= 0
            ? v
            : throw ModelFormatException.For(source, $"{where} has data offset {value.GetRawText()}: expected a non-negative integer");

    /// <summary>The tensors' spans must tile the data section: no overlap (aliasing), no hole, no trailing bytes.</summary>
    private static void CheckCoverage(List<SafetensorsTensorInfo> tensors, long dataLength, string source)
    {
        var ordered = tensors.OrderBy(t => t.Begin).ThenBy(t => t.End).ToList();
        long position = 0;
        SafetensorsTensorInfo? previous = null;
        foreach (var t in ordered)
        {
            if (t.Begin < position)
                throw ModelFormatException.For(source, $"tensors '{previous!.Name}' [{previous.Begin}, {previous.End}] and '{t.Name}' [{t.Begin}, {t.End}] overlap");
            if (t.Begin > position)
                throw ModelFormatException.For(source, $"bytes [{position}, {t.Begin}) of the data section belong to no tensor (before '{t.Name}'): expected the tensors to cover the data exactly");
            position = t.End;
            previous = t;
        }
        if (position != dataLength)
            throw ModelFormatException.For(source, $"the data section has {dataLength} bytes but the tensors cover {position}: {dataLength - position} trailing bytes belong to no tensor");
    }

    private static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();
}

using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using LstmNative.Formats;

namespace LstmNative.Training.Forecasting;

/// <summary>
/// A minimal safetensors writer for forecaster checkpoints, kept local to this folder until the shared safetensors
/// reader/writer (issue 8) lands; replace it with that one then. Format: an 8-byte little-endian header length, a
/// JSON header <c>{"__metadata__": {string: string}, name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}}</c>
/// padded with spaces to a multiple of 8 bytes, then the raw little-endian data. Written atomically.
/// </summary>
internal static class SafetensorsCheckpointWriter
{
    /// <summary>Writes float32 tensors (name, shape, values) and string metadata to <paramref name="path"/>.</summary>
    public static void Write(string path, IReadOnlyList<(string Name, int[] Shape, float[] Data)> tensors, IReadOnlyDictionary<string, string> metadata) =>
        AtomicFile.Write(path, Encode(tensors, metadata));

    /// <summary>The writer of a file holding <paramref name="tensors"/> and <paramref name="metadata"/> (checked now, written when called).</summary>
    public static Action<Stream> Encode(IReadOnlyList<(string Name, int[] Shape, float[] Data)> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(metadata);
        using var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            w.WriteStartObject("__metadata__");
            foreach (var (key, value) in metadata)
                w.WriteString(key, value);
            w.WriteEndObject();
            long offset = 0;
            foreach (var (name, shape, data) in tensors)
            {
                long count = shape.Aggregate(1L, (a, b) => a * b);
                if (count != data.Length)
                    throw new ArgumentException($"tensor '{name}' has shape [{string.Join(", ", shape)}] but {data.Length} values");
                w.WriteStartObject(name);
                w.WriteString("dtype", "F32");
                w.WriteStartArray("shape");
                foreach (int d in shape)
                    w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + 4 * count);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += 4 * count;
            }
            w.WriteEndObject();
        }
        var header = json.ToArray().ToList();
        while (header.Count % 8 != 0)
            header.Add((byte)' ');
        return stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Count);
            stream.Write(length);
            stream.Write(header.ToArray());
            var buffer = new byte[4096];
            foreach (var (_, _, data) in tensors)
                for (int i = 0; i < data.Length; i += buffer.Length / 4)
                {
                    int n = Math.Min(buffer.Length / 4, data.Length - i);
                    for (int k = 0; k < n; k++)
                        BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(4 * k, 4), data[i + k]);
                    stream.Write(buffer, 0, 4 * n);
                }
        };
    }

    /// <summary>Reads back the header of a file written by <see cref="Write"/> (for checks), as the JSON text.</summary>
    public static string ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> length = stackalloc byte[8];
        stream.ReadExactly(length);
        var header = new byte[checked((int)BinaryPrimitives.ReadUInt64LittleEndian(length))];
        stream.ReadExactly(header);
        return Encoding.UTF8.GetString(header).TrimEnd(' ');
    }
}

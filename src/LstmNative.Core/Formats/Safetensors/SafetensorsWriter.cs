using System.Buffers.Binary;
using System.Text.Json;
using LstmNative.Model;

namespace LstmNative.Formats;

/// <summary>
/// Writes safetensors files: tensors in the given order, packed one after another, the JSON header padded with spaces
/// to a multiple of 8 bytes so the data starts aligned, as the reference implementation writes it.
/// </summary>
public static class SafetensorsWriter
{
    /// <summary>Creates or replaces <paramref name="path"/> atomically (see <see cref="AtomicFile"/>).</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="tensors">Names and arrays (float32, float64, int32 or int64), stored in this order.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> strings.</param>
    public static void Write(string path, IEnumerable<KeyValuePair<string, NdArray>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        byte[] bytes = ToBytes(tensors, metadata);
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    /// <summary>The safetensors encoding of <paramref name="tensors"/>.</summary>
    /// <exception cref="ArgumentException">A name is empty, repeated, or is <c>__metadata__</c>.</exception>
    public static byte[] ToBytes(IEnumerable<KeyValuePair<string, NdArray>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, array) in list)
        {
            ArgumentNullException.ThrowIfNull(array);
            if (string.IsNullOrEmpty(name) || name == "__metadata__" || !names.Add(name))
                throw new ArgumentException($"tensor name '{name}' is empty, reserved or repeated");
        }

        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata)
                    writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, array) in list)
            {
                long size = ElementData.AsBytes(array.Data).Length;
                writer.WriteStartObject(name);
                writer.WriteString("dtype", SafetensorsDType.NameOf(array.DType));
                writer.WriteStartArray("shape");
                foreach (int d in array.Shape)
                    writer.WriteNumberValue(d);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + size);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += size;
            }
            writer.WriteEndObject();
        }
        int headerLength = (int)json.Length;
        int padded = (headerLength + 7) / 8 * 8;
        long total = 8L + padded + list.Sum(t => (long)ElementData.AsBytes(t.Value.Data).Length);
        var bytes = new byte[total];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)padded);
        json.GetBuffer().AsSpan(0, headerLength).CopyTo(bytes.AsSpan(8));
        bytes.AsSpan(8 + headerLength, padded - headerLength).Fill((byte)' ');
        long position = 8 + padded;
        foreach (var (_, array) in list)
        {
            var data = ElementData.AsBytes(array.Data);
            data.CopyTo(bytes.AsSpan((int)position));
            position += data.Length;
        }
        return bytes;
    }
}

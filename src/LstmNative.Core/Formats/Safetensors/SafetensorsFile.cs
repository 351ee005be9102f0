using System.Buffers.Binary;
using System.Runtime.InteropServices;
using LstmNative.Model;

namespace LstmNative.Formats;

/// <summary>One tensor's entry in a safetensors header.</summary>
/// <param name="Name">The tensor's name (for example <c>lstm.weight_ih_l0</c>).</param>
/// <param name="DType">The stored element type as the file names it (<c>F32</c>, <c>BF16</c>, ...).</param>
/// <param name="Shape">The dimensions.</param>
/// <param name="Begin">Start of the data, relative to the end of the header.</param>
/// <param name="End">End of the data (exclusive), relative to the end of the header.</param>
public sealed record SafetensorsTensorInfo(string Name, string DType, IReadOnlyList<int> Shape, long Begin, long End);

/// <summary>
/// A validated safetensors file: the header's tensors and metadata, with the data kept as stored until a tensor is
/// read (so a large model's other tensors, whatever their dtype, cost nothing). Loaded by <see cref="SafetensorsReader"/>.
/// </summary>
public sealed class SafetensorsFile
{
    private readonly ReadOnlyMemory<byte> _data;
    private readonly Dictionary<string, SafetensorsTensorInfo> _byName;

    internal SafetensorsFile(string source, IReadOnlyList<SafetensorsTensorInfo> tensors, IReadOnlyDictionary<string, string> metadata, ReadOnlyMemory<byte> data)
    {
        Source = source;
        Tensors = tensors;
        Metadata = metadata;
        _data = data;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>Where the file came from; messages start with it.</summary>
    public string Source { get; }

    /// <summary>The tensors in header order.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> entries (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor names in header order.</summary>
    public IEnumerable<string> Names => Tensors.Select(t => t.Name);

    /// <summary>Whether the file holds a tensor of that name.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The header entry of a tensor.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public SafetensorsTensorInfo Info(string name) =>
        _byName.TryGetValue(name, out var info) ? info : throw new KeyNotFoundException($"{Source}: no tensor named '{name}'");

    /// <summary>
    /// Converts one tensor to an array: F32, F64, I32 and I64 as they are; F16 and BF16 widened to float32 exactly.
    /// </summary>
    /// <exception cref="ModelFormatException">The tensor's dtype is not one of F16, BF16, F32, F64, I32, I64.</exception>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public NdArray Read(string name)
    {
        var info = Info(name);
        var target = SafetensorsDType.Target(info.DType)
            ?? throw ModelFormatException.For(Source, $"tensor '{name}' has dtype {info.DType}, which cannot be read: expected one of {SafetensorsDType.Readable}");
        // The header validation guaranteed End - Begin == count * item size, inside the data section.
        var bytes = _data.Span[(int)info.Begin..(int)info.End];
        int count = (int)ElementData.SaturatingCount(info.Shape.Select(d => (long)d));
        Array values = ElementData.Allocate(target, count);
        switch (info.DType)
        {
            case "F16":
                var halves = (float[])values;
                for (int i = 0; i < count; i++)
                    halves[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]));
                break;
            case "BF16":
                // bfloat16 is the top half of a float32: widening is a shift, exact for every value (NaN payloads too).
                var floats = MemoryMarshal.Cast<byte, uint>(ElementData.AsBytes(values));
                for (int i = 0; i < count; i++)
                    floats[i] = (uint)BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]) << 16;
                break;
            default:
                bytes.CopyTo(ElementData.AsBytes(values));
                break;
        }
        return new NdArray(values, info.Shape);
    }

    /// <summary>Every tensor converted with <see cref="Read(string)"/>, by name, in header order.</summary>
    /// <exception cref="ModelFormatException">A tensor's dtype cannot be read.</exception>
    public IReadOnlyDictionary<string, NdArray> ReadAll() => Tensors.ToDictionary(t => t.Name, t => Read(t.Name), StringComparer.Ordinal);
}

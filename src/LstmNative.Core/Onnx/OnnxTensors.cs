using Google.Protobuf;
using LstmNative.Formats;
using LstmNative.Model;
using Onnx;

namespace LstmNative.Onnx;

/// <summary>
/// ONNX <c>TensorProto</c> ⇄ <see cref="NdArray"/>: the <c>.pb</c> files of ONNX test data sets and the initializers of models.
/// Supported element types: 1 float, 6 int32, 7 int64, 11 double, stored in <c>raw_data</c> (little-endian) or in the
/// typed fields <c>float_data</c>, <c>int32_data</c>, <c>int64_data</c>, <c>double_data</c>.
/// </summary>
public static class OnnxTensors
{
    /// <summary>Reads a serialized <c>TensorProto</c> file; returns its name ("" when unnamed) and values.</summary>
    /// <exception cref="ModelFormatException">The file is not a valid TensorProto or holds an unsupported type.</exception>
    public static (string Name, NdArray Array) ReadTensorProto(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return ReadTensorProto(InputFile.ReadAllBytes(path), path);
    }

    /// <summary>Reads a serialized <c>TensorProto</c>; <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="ModelFormatException">The bytes are not a valid TensorProto or hold an unsupported type.</exception>
    public static (string Name, NdArray Array) ReadTensorProto(ReadOnlySpan<byte> bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        TensorProto tensor;
        try
        {
            // Protobuf bounds every length-delimited field by the input, so parsing allocates at most about the input size.
            tensor = TensorProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw ModelFormatException.For(source, $"not a valid ONNX TensorProto: {ModelFormatException.OneLine(e.Message)}", e);
        }
        return (tensor.Name, ToNdArray(tensor, source));
    }

    /// <summary>
    /// Converts a <c>TensorProto</c> to an array, checking that the stored values match the dims exactly.
    /// <paramref name="source"/> names the tensor in messages (for example <c>model.onnx: initializer 'W'</c>).
    /// </summary>
    /// <exception cref="ModelFormatException">Unsupported type, external or segmented data, or values that do not match the dims.</exception>
    public static NdArray ToNdArray(TensorProto tensor, string source)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(source);
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External || tensor.ExternalData.Count > 0)
            throw ModelFormatException.For(source, $"tensor '{tensor.Name}' keeps its data in an external file, which is not supported: expected the values inside the protobuf");
        if (tensor.Segment is not null)
            throw ModelFormatException.For(source, $"tensor '{tensor.Name}' is one segment of a larger tensor, which is not supported");

        DType type = ElementType(tensor.DataType, source, $"tensor '{tensor.Name}'");
        var shape = new int[tensor.Dims.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            long d = tensor.Dims[i];
            if (d < 0 || d > int.MaxValue)
                throw ModelFormatException.For(source, $"tensor '{tensor.Name}' has dimension {i} = {d}: expected a value between 0 and {int.MaxValue}");
            shape[i] = (int)d;
        }
        long count = ElementData.SaturatingCount(shape.Select(d => (long)d));
        string shapeText = NdArray.FormatShape(shape);
        int itemSize = ElementData.ItemSize(type);

        int typedFields = (tensor.FloatData.Count > 0 ? 1 : 0) + (tensor.Int32Data.Count > 0 ? 1 : 0) + (tensor.Int64Data.Count > 0 ? 1 : 0)
            + (tensor.DoubleData.Count > 0 ? 1 : 0) + (tensor.Uint64Data.Count > 0 ? 1 : 0) + (tensor.StringData.Count > 0 ? 1 : 0);
        if (!tensor.RawData.IsEmpty)
        {
            if (typedFields > 0)
                throw ModelFormatException.For(source, $"tensor '{tensor.Name}' sets both raw_data and a typed data field: expected exactly one");
            long expected = ElementData.SaturatingBytes(count, itemSize);
            if (expected != tensor.RawData.Length)
                throw ModelFormatException.For(source, $"tensor '{tensor.Name}' of shape {shapeText} ({TypeName(tensor.DataType)}) needs {ElementData.FormatBytes(expected)} bytes of raw_data, found {tensor.RawData.Length}");
            // count fits in int: it is at most RawData.Length / itemSize.
            Array data = ElementData.Allocate(type, (int)count);
            tensor.RawData.Span.CopyTo(ElementData.AsBytes(data));
            return new NdArray(data, shape);
        }

        // Typed storage: the one field the ONNX spec assigns to this element type.
        (string field, int found, bool otherFields) = type switch
        {
            DType.Float32 => ("float_data", tensor.FloatData.Count, typedFields > (tensor.FloatData.Count > 0 ? 1 : 0)),
            DType.Int32 => ("int32_data", tensor.Int32Data.Count, typedFields > (tensor.Int32Data.Count > 0 ? 1 : 0)),
            DType.Int64 => ("int64_data", tensor.Int64Data.Count, typedFields > (tensor.Int64Data.Count > 0 ? 1 : 0)),
            _ => ("double_data", tensor.DoubleData.Count, typedFields > (tensor.DoubleData.Count > 0 ? 1 : 0)),
        };
        if (otherFields)
            throw ModelFormatException.For(source, $"tensor '{tensor.Name}' of type {TypeName(tensor.DataType)} stores values in a field other than {field}");
        if (found != count)
            throw ModelFormatException.For(source, $"tensor '{tensor.Name}' of shape {shapeText} holds {(count == long.MaxValue ? "more than 2^63" : count)} elements by its dims, found {found} in {field}");
        Array values = type switch
        {
            DType.Float32 => tensor.FloatData.ToArray(),
            DType.Int32 => tensor.Int32Data.ToArray(),
            DType.Int64 => tensor.Int64Data.ToArray(),
            _ => tensor.DoubleData.ToArray(),
        };
        return new NdArray(values, shape);
    }

    /// <summary>Builds a <c>TensorProto</c> holding <paramref name="array"/> in <c>raw_data</c> (little-endian).</summary>
    public static TensorProto ToTensorProto(string name, NdArray array)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(array);
        var tensor = new TensorProto
        {
            Name = name,
            DataType = (int)OnnxDataType(array.DType),
            RawData = ByteString.CopyFrom(ElementData.AsBytes(array.Data)),
        };
        tensor.Dims.AddRange(array.Shape.Select(d => (long)d));
        return tensor;
    }

    /// <summary>Writes <paramref name="array"/> as a serialized <c>TensorProto</c> file, atomically (see <see cref="AtomicFile"/>).</summary>
    public static void WriteTensorProto(string path, string name, NdArray array)
    {
        var tensor = ToTensorProto(name, array);
        AtomicFile.Write(path, tensor.WriteTo);
    }

    /// <summary>The ONNX element type of a <see cref="DType"/>.</summary>
    public static TensorProto.Types.DataType OnnxDataType(DType type) => type switch
    {
        DType.Float32 => TensorProto.Types.DataType.Float,
        DType.Float64 => TensorProto.Types.DataType.Double,
        DType.Int32 => TensorProto.Types.DataType.Int32,
        DType.Int64 => TensorProto.Types.DataType.Int64,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>Maps an ONNX element type code to a <see cref="DType"/>; <paramref name="what"/> names the owner in messages.</summary>
    internal static DType ElementType(int dataType, string source, string what) => dataType switch
    {
        (int)TensorProto.Types.DataType.Float => DType.Float32,
        (int)TensorProto.Types.DataType.Double => DType.Float64,
        (int)TensorProto.Types.DataType.Int32 => DType.Int32,
        (int)TensorProto.Types.DataType.Int64 => DType.Int64,
        _ => throw ModelFormatException.For(source, $"{what} has element type {TypeName(dataType)}: expected 1 (float), 6 (int32), 7 (int64) or 11 (double)"),
    };

    /// <summary>"1 (float)" style names for element type codes in messages.</summary>
    internal static string TypeName(int dataType) =>
        Enum.IsDefined((TensorProto.Types.DataType)dataType)
            ? $"{dataType} ({((TensorProto.Types.DataType)dataType).ToString().ToLowerInvariant()})"
            : $"{dataType} (unknown)";
}

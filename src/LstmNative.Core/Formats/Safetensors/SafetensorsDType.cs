using LstmNative.Model;

namespace LstmNative.Formats;

/// <summary>The element types of the safetensors format, their sizes, and which of them the engine can read.</summary>
internal static class SafetensorsDType
{
    // Every dtype the format defines, with its size in bytes: sizes are needed to validate a file even when a tensor's
    // type is one we cannot convert (an int8 buffer of a larger model must not make its LSTM weights unreadable).
    private static readonly Dictionary<string, int> Sizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["F64"] = 8, ["I64"] = 8, ["U64"] = 8,
    };

    /// <summary>The dtypes <see cref="SafetensorsFile.Read(string)"/> converts (half types become float32).</summary>
    public const string Readable = "F16, BF16, F32, F64, I32, I64";

    /// <summary>Bytes per element of a dtype name, or 0 when the name is not a safetensors dtype.</summary>
    public static int SizeOf(string dtype) => Sizes.TryGetValue(dtype, out int size) ? size : 0;

    /// <summary>The <see cref="DType"/> a stored dtype converts to, or null when it cannot be read.</summary>
    public static DType? Target(string dtype) => dtype switch
    {
        "F16" or "BF16" or "F32" => DType.Float32,
        "F64" => DType.Float64,
        "I32" => DType.Int32,
        "I64" => DType.Int64,
        _ => null,
    };

    /// <summary>The safetensors name of an array's element type (what the writer stores).</summary>
    public static string NameOf(DType type) => type switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        DType.Int32 => "I32",
        DType.Int64 => "I64",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}

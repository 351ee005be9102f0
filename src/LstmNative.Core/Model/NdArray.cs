namespace LstmNative.Model;

/// <summary>Element type of an <see cref="NdArray"/> (the dtypes the formats exchange).</summary>
public enum DType
{
    /// <summary>32-bit IEEE float.</summary>
    Float32,

    /// <summary>64-bit IEEE float.</summary>
    Float64,

    /// <summary>32-bit signed integer.</summary>
    Int32,

    /// <summary>64-bit signed integer.</summary>
    Int64,
}

/// <summary>
/// A dense, row-major (C order) host array with a shape: the exchange type of the formats (NPY, ONNX tensors)
/// and the CLI. The engine itself works on spans; this only carries data in and out.
/// </summary>
public sealed class NdArray
{
    /// <summary>Creates an array over existing data; <paramref name="data"/> must be float[], double[], int[] or long[].</summary>
    public NdArray(Array data, IReadOnlyList<int> shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        DType = data switch
        {
            float[] => DType.Float32,
            double[] => DType.Float64,
            int[] => DType.Int32,
            long[] => DType.Int64,
            _ => throw new ArgumentException($"unsupported element type {data.GetType().GetElementType()}"),
        };
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0)
                throw new ArgumentException($"negative dimension in shape {FormatShape(shape)}");
            count *= d;
        }
        if (count != data.Length)
            throw new ArgumentException($"shape {FormatShape(shape)} holds {count} elements but the data has {data.Length}");
        Data = data;
        Shape = shape.ToArray();
    }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>The elements, row-major: a float[], double[], int[] or long[] matching <see cref="DType"/>.</summary>
    public Array Data { get; }

    /// <summary>The dimensions.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Count;

    /// <summary>Number of elements.</summary>
    public int Length => Data.Length;

    /// <summary>Wraps float data.</summary>
    public static NdArray FromFloats(float[] data, params int[] shape) => new(data, shape);

    /// <summary>Wraps double data.</summary>
    public static NdArray FromDoubles(double[] data, params int[] shape) => new(data, shape);

    /// <summary>The elements converted to float64 (a copy).</summary>
    public double[] ToDoubles() => Data switch
    {
        float[] f => Array.ConvertAll(f, v => (double)v),
        double[] d => (double[])d.Clone(),
        int[] i => Array.ConvertAll(i, v => (double)v),
        long[] l => Array.ConvertAll(l, v => (double)v),
        _ => throw new InvalidOperationException(),
    };

    /// <summary>The elements converted to float32 (a copy).</summary>
    public float[] ToFloats() => Data switch
    {
        float[] f => (float[])f.Clone(),
        double[] d => Array.ConvertAll(d, v => (float)v),
        int[] i => Array.ConvertAll(i, v => (float)v),
        long[] l => Array.ConvertAll(l, v => (float)v),
        _ => throw new InvalidOperationException(),
    };

    /// <summary>The elements converted to int32 (a copy); throws when a value is not an integer in range.</summary>
    public int[] ToInt32s() => Data switch
    {
        int[] i => (int[])i.Clone(),
        long[] l => Array.ConvertAll(l, v => checked((int)v)),
        float[] f => Array.ConvertAll(f, v => v == MathF.Round(v) ? checked((int)v) : throw new FormatException($"{v} is not an integer")),
        double[] d => Array.ConvertAll(d, v => v == Math.Round(v) ? checked((int)v) : throw new FormatException($"{v} is not an integer")),
        _ => throw new InvalidOperationException(),
    };

    /// <summary>Formats a shape the way error messages show it: <c>[2, 3, 4]</c>.</summary>
    public static string FormatShape(IEnumerable<int> shape) => "[" + string.Join(", ", shape) + "]";

    /// <inheritdoc/>
    public override string ToString() => $"{DType.ToString().ToLowerInvariant()}{FormatShape(Shape)}";
}

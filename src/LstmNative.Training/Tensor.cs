using System.Numerics;

namespace LstmNative.Training;

/// <summary>
/// A dense row-major tensor: a shape and a flat <typeparamref name="T"/>[]. Modules keep their outputs and
/// input gradients in tensors they own and reuse across calls (see <see cref="Reuse"/>), so a tensor returned
/// by a module's <c>Forward</c> is only valid until that module's next call: <see cref="Clone"/> it to keep it, or
/// use <c>module.Predict(x)</c>, which returns a tensor the caller owns.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class Tensor<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int[] _shape;

    /// <summary>Allocates a zeroed tensor of the given shape.</summary>
    public Tensor(params int[] shape)
        : this(new T[CountOf(shape)], shape)
    {
    }

    /// <summary>Wraps existing data (not copied); its length must equal the product of <paramref name="shape"/>.</summary>
    public Tensor(T[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        int count = CountOf(shape);
        if (count != data.Length)
            throw new ArgumentException($"shape {FormatShape(shape)} holds {count} elements but the data has {data.Length}");
        _shape = (int[])shape.Clone();
        Data = data;
    }

    /// <summary>The elements, row-major.</summary>
    public T[] Data { get; }

    /// <summary>The dimensions.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Number of elements.</summary>
    public int Length => Data.Length;

    /// <summary>The elements as a span.</summary>
    public Span<T> Span => Data;

    /// <summary>The size of dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    public int Dim(int axis) => _shape[axis < 0 ? _shape.Length + axis : axis];

    /// <summary>Wraps doubles converted to <typeparamref name="T"/>.</summary>
    public static Tensor<T> FromDoubles(ReadOnlySpan<double> values, params int[] shape)
    {
        var data = new T[values.Length];
        for (int i = 0; i < data.Length; i++)
            data[i] = T.CreateChecked(values[i]);
        return new Tensor<T>(data, shape);
    }

    /// <summary>
    /// Returns <paramref name="buffer"/> when it already has <paramref name="shape"/>, otherwise a new zeroed tensor.
    /// The contents of a reused buffer are left as they were: callers overwrite or clear them.
    /// </summary>
    public static Tensor<T> Reuse(Tensor<T>? buffer, ReadOnlySpan<int> shape) =>
        buffer is not null && buffer.HasShape(shape) ? buffer : new Tensor<T>(shape.ToArray());

    /// <summary>Whether the shape equals <paramref name="shape"/>.</summary>
    public bool HasShape(ReadOnlySpan<int> shape) => shape.SequenceEqual(_shape);

    /// <summary>A tensor over the same data with another shape of equal element count (a view, not a copy).</summary>
    public Tensor<T> Reshape(params int[] shape) => new(Data, shape);

    /// <summary>Sets every element to zero.</summary>
    public void Clear() => Array.Clear(Data);

    /// <summary>A deep copy.</summary>
    public Tensor<T> Clone() => new((T[])Data.Clone(), _shape);

    /// <summary>Copies the elements from a tensor of the same element count.</summary>
    public void CopyFrom(Tensor<T> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Length != Length)
            throw new ArgumentException($"cannot copy {source} into {this}");
        source.Data.CopyTo(Data, 0);
    }

    /// <summary>The elements converted to double (a copy).</summary>
    public double[] ToDoubles()
    {
        var result = new double[Data.Length];
        for (int i = 0; i < result.Length; i++)
            result[i] = double.CreateChecked(Data[i]);
        return result;
    }

    /// <summary>The shape, for messages: <c>Tensor[2, 3]</c>.</summary>
    public override string ToString() => "Tensor" + FormatShape(_shape);

    /// <summary>Formats a shape as <c>[2, 3]</c>.</summary>
    public static string FormatShape(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    private static int CountOf(int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0)
                throw new ArgumentException($"negative dimension in shape {FormatShape(shape)}");
            count *= d;
            if (count > Array.MaxLength)
                throw new ArgumentException($"shape {FormatShape(shape)} is too large");
        }
        return (int)count;
    }
}

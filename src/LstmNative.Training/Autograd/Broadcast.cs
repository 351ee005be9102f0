namespace LstmNative.Training.Autograd;

/// <summary>NumPy's broadcasting rules and the index maps the element-wise operations run on.</summary>
internal static class Broadcast
{
    /// <summary>The shape of an element-wise result: dimensions aligned from the right, each equal or 1.</summary>
    public static int[] Shape(ReadOnlySpan<int> a, ReadOnlySpan<int> b, string op)
    {
        int rank = Math.Max(a.Length, b.Length);
        var shape = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {Format(a)} and {Format(b)} do not broadcast (dimension {i}: {da} vs {db})");
            shape[i] = da == 1 ? db : da;
        }
        return shape;
    }

    /// <summary>For each element of <paramref name="outShape"/>, the offset of the element of <paramref name="shape"/> it reads.</summary>
    public static int[] Offsets(ReadOnlySpan<int> shape, int[] outShape)
    {
        int rank = outShape.Length, lead = rank - shape.Length;
        var strides = new int[rank];
        int stride = 1;
        for (int i = rank - 1; i >= lead; i--)
        {
            int d = shape[i - lead];
            strides[i] = d == 1 ? 0 : stride;
            stride *= d;
        }
        int count = 1;
        foreach (int d in outShape)
            count *= d;
        var offsets = new int[count];
        var index = new int[rank];
        int offset = 0;
        for (int n = 0; n < count; n++)
        {
            offsets[n] = offset;
            for (int i = rank - 1; i >= 0; i--)
            {
                offset += strides[i];
                if (++index[i] < outShape[i])
                    break;
                offset -= strides[i] * outShape[i];
                index[i] = 0;
            }
        }
        return offsets;
    }

    /// <summary>Splits a shape around <paramref name="axis"/>: elements before it, its size, elements after it.</summary>
    public static (int Outer, int Size, int Inner) Around(ReadOnlySpan<int> shape, int axis)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++)
            outer *= shape[i];
        for (int i = axis + 1; i < shape.Length; i++)
            inner *= shape[i];
        return (outer, shape[axis], inner);
    }

    /// <summary>A possibly negative axis as an index into a shape of rank <paramref name="rank"/>.</summary>
    public static int Axis(int axis, int rank, string op)
    {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank)
            throw new ArgumentOutOfRangeException(nameof(axis), $"{op}: axis {axis} is out of range for rank {rank}");
        return a;
    }

    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";
}

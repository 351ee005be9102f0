using LstmNative.Model;

namespace LstmNative.Onnx;

/// <summary>
/// The tensor-shuffling ONNX operators that exporters put around an RNN node (Transpose, Squeeze, Unsqueeze, Slice,
/// Concat, Gather, Shape, Reshape, ConstantOfShape), on <see cref="NdArray"/> of any element type. Each checks its
/// operands and throws <see cref="ArgumentException"/> saying what was expected and what was found.
/// </summary>
internal static class OnnxShapeOps
{
    /// <summary>ONNX's Transpose; <paramref name="perm"/> null reverses the axes.</summary>
    public static NdArray Transpose(NdArray x, long[]? perm)
    {
        int rank = x.Rank;
        if (perm is not null && perm.Any(v => v < 0 || v >= rank))
            throw new ArgumentException($"perm [{string.Join(", ", perm)}] is not a permutation of the {rank} axes of {NdArray.FormatShape(x.Shape)}");
        int[] p = perm is null ? Enumerable.Range(0, rank).Reverse().ToArray() : perm.Select(v => (int)v).ToArray();
        if (p.Length != rank || p.Distinct().Count() != rank)
            throw new ArgumentException($"perm [{string.Join(", ", perm ?? [])}] is not a permutation of the {rank} axes of {NdArray.FormatShape(x.Shape)}");
        int[] outShape = p.Select(a => x.Shape[a]).ToArray();
        int[] inStrides = Strides(x.Shape);
        var map = new int[x.Length];
        int[] index = new int[rank];
        for (int flat = 0; flat < map.Length; flat++)
        {
            int src = 0;
            for (int k = 0; k < rank; k++)
                src += index[k] * inStrides[p[k]];
            map[flat] = src;
            Increment(index, outShape);
        }
        return new NdArray(Take(x.Data, map), outShape);
    }

    /// <summary>ONNX's Unsqueeze: inserts size-1 axes at <paramref name="axes"/> (positions in the output).</summary>
    public static NdArray Unsqueeze(NdArray x, long[] axes)
    {
        int rank = x.Rank + axes.Length;
        var inserted = axes.Select(a => Axis(a, rank, "Unsqueeze axes")).ToHashSet();
        if (inserted.Count != axes.Length)
            throw new ArgumentException($"Unsqueeze axes [{string.Join(", ", axes)}] repeat an axis");
        var shape = new List<int>(rank);
        int next = 0;
        for (int k = 0; k < rank; k++)
            shape.Add(inserted.Contains(k) ? 1 : x.Shape[next++]);
        return new NdArray(x.Data, shape);
    }

    /// <summary>ONNX's Squeeze: removes the given size-1 axes, or every size-1 axis when <paramref name="axes"/> is null.</summary>
    public static NdArray Squeeze(NdArray x, long[]? axes)
    {
        var removed = axes is null
            ? Enumerable.Range(0, x.Rank).Where(k => x.Shape[k] == 1).ToHashSet()
            : axes.Select(a => Axis(a, x.Rank, "Squeeze axes")).ToHashSet();
        foreach (int k in removed)
            if (x.Shape[k] != 1)
                throw new ArgumentException($"Squeeze axis {k} of {NdArray.FormatShape(x.Shape)} has size {x.Shape[k]}: expected 1");
        return new NdArray(x.Data, Enumerable.Range(0, x.Rank).Where(k => !removed.Contains(k)).Select(k => x.Shape[k]).ToArray());
    }

    /// <summary>ONNX's Slice (opset 10+ semantics: starts/ends clamped, negative values from the end, any non-zero step).</summary>
    public static NdArray Slice(NdArray x, long[] starts, long[] ends, long[]? axes, long[]? steps)
    {
        if (starts.Length != ends.Length || (axes is not null && axes.Length != starts.Length) || (steps is not null && steps.Length != starts.Length))
            throw new ArgumentException($"Slice starts, ends, axes and steps must have the same length, got {starts.Length}, {ends.Length}, {axes?.Length.ToString() ?? "-"}, {steps?.Length.ToString() ?? "-"}");
        int rank = x.Rank;
        var begin = new int[rank];
        var step = Enumerable.Repeat(1, rank).ToArray();
        var outShape = x.Shape.ToArray();
        var seen = new HashSet<int>();
        for (int i = 0; i < starts.Length; i++)
        {
            int axis = Axis(axes?[i] ?? i, rank, "Slice axes");
            if (!seen.Add(axis))
                throw new ArgumentException($"Slice names axis {axis} twice");
            long dim = x.Shape[axis], s = steps?[i] ?? 1;
            if (s == 0)
                throw new ArgumentException("Slice step 0 is not allowed");
            long start = starts[i] < 0 ? starts[i] + dim : starts[i];
            long end = ends[i] < 0 ? ends[i] + dim : ends[i];
            if (s > 0)
            {
                start = Math.Clamp(start, 0, dim);
                end = Math.Clamp(end, 0, dim);
            }
            else
            {
                start = Math.Clamp(start, 0, dim - 1);
                end = Math.Clamp(end, -1, dim - 1);
            }
            // Written so that extreme steps (PyTorch uses ±2^63-1) cannot overflow.
            long count = s > 0 ? (end > start ? (end - start - 1) / s + 1 : 0) : (start > end ? (start - end - 1) / -s + 1 : 0);
            begin[axis] = (int)start;
            step[axis] = (int)Math.Clamp(s, int.MinValue, int.MaxValue);
            outShape[axis] = (int)count;
        }
        int[] strides = Strides(x.Shape);
        var map = new int[Count(outShape)];
        var index = new int[rank];
        for (int flat = 0; flat < map.Length; flat++)
        {
            long src = 0;
            for (int k = 0; k < rank; k++)
                src += (begin[k] + (long)index[k] * step[k]) * strides[k];
            map[flat] = (int)src;
            Increment(index, outShape);
        }
        return new NdArray(Take(x.Data, map), outShape);
    }

    /// <summary>ONNX's Concat along <paramref name="axis"/>.</summary>
    public static NdArray Concat(IReadOnlyList<NdArray> parts, long axis)
    {
        if (parts.Count == 0)
            throw new ArgumentException("Concat needs at least one input");
        var first = parts[0];
        int a = Axis(axis, first.Rank, "Concat axis");
        foreach (var p in parts)
        {
            if (p.DType != first.DType)
                throw new ArgumentException($"Concat inputs have different types: {first} and {p}");
            if (p.Rank != first.Rank || Enumerable.Range(0, first.Rank).Any(k => k != a && p.Shape[k] != first.Shape[k]))
                throw new ArgumentException($"Concat inputs {NdArray.FormatShape(first.Shape)} and {NdArray.FormatShape(p.Shape)} differ outside axis {a}");
        }
        var shape = first.Shape.ToArray();
        shape[a] = (int)Math.Min(parts.Sum(p => (long)p.Shape[a]), int.MaxValue);
        int outer = 1, inner = 1;
        for (int k = 0; k < a; k++)
            outer *= shape[k];
        for (int k = a + 1; k < shape.Length; k++)
            inner *= shape[k];
        var data = Array.CreateInstance(first.Data.GetType().GetElementType()!, Count(shape));
        int position = 0;
        for (int o = 0; o < outer; o++)
            foreach (var p in parts)
            {
                int block = p.Shape[a] * inner;
                Array.Copy(p.Data, o * block, data, position, block);
                position += block;
            }
        return new NdArray(data, shape);
    }

    /// <summary>ONNX's Gather: <c>data</c> indexed along <paramref name="axis"/> by int32/int64 <paramref name="indices"/> (negative from the end).</summary>
    public static NdArray Gather(NdArray data, NdArray indices, long axis)
    {
        if (indices.DType is not (DType.Int32 or DType.Int64))
            throw new ArgumentException($"Gather indices must be int32 or int64, got {indices}");
        int a = Axis(axis, data.Rank, "Gather axis");
        long[] idx = indices.Data is int[] i32 ? Array.ConvertAll(i32, v => (long)v) : (long[])indices.Data;
        int dim = data.Shape[a];
        int outer = 1, inner = 1;
        for (int k = 0; k < a; k++)
            outer *= data.Shape[k];
        for (int k = a + 1; k < data.Rank; k++)
            inner *= data.Shape[k];
        var shape = data.Shape.Take(a).Concat(indices.Shape).Concat(data.Shape.Skip(a + 1)).ToArray();
        var map = new int[Count(shape)];
        int position = 0;
        for (int o = 0; o < outer; o++)
            foreach (long raw in idx)
            {
                long j = raw < 0 ? raw + dim : raw;
                if (j < 0 || j >= dim)
                    throw new ArgumentException($"Gather index {raw} is out of range for axis {a} of size {dim}");
                for (int k = 0; k < inner; k++)
                    map[position++] = (int)((o * (long)dim + j) * inner + k);
            }
        return new NdArray(Take(data.Data, map), shape);
    }

    /// <summary>ONNX's Shape (with the opset 15 start/end).</summary>
    public static NdArray Shape(NdArray x, long? start, long? end)
    {
        int rank = x.Rank;
        int s = (int)Math.Clamp(start is { } v ? (v < 0 ? v + rank : v) : 0, 0, rank);
        int e = (int)Math.Clamp(end is { } w ? (w < 0 ? w + rank : w) : rank, 0, rank);
        var dims = x.Shape.Skip(s).Take(Math.Max(0, e - s)).Select(d => (long)d).ToArray();
        return new NdArray(dims, [dims.Length]);
    }

    /// <summary>ONNX's Reshape: 0 copies the input's dimension (unless <paramref name="allowZero"/>), -1 is inferred.</summary>
    public static NdArray Reshape(NdArray x, long[] target, bool allowZero)
    {
        var shape = new long[target.Length];
        int infer = -1;
        long known = 1;
        for (int k = 0; k < target.Length; k++)
        {
            long d = target[k];
            if (d == 0 && !allowZero)
            {
                if (k >= x.Rank)
                    throw new ArgumentException($"Reshape shape [{string.Join(", ", target)}] copies dimension {k} of the {x.Rank}-D input {NdArray.FormatShape(x.Shape)}");
                d = x.Shape[k];
            }
            if (d == -1)
            {
                if (infer >= 0)
                    throw new ArgumentException($"Reshape shape [{string.Join(", ", target)}] has more than one -1");
                infer = k;
                continue;
            }
            if (d < 0 || d > int.MaxValue)
                throw new ArgumentException($"Reshape shape [{string.Join(", ", target)}] has dimension {d}");
            shape[k] = d;
            known = known == 0 || d == 0 ? 0 : Math.Min(known * d, long.MaxValue / 2);
        }
        if (infer >= 0)
        {
            if (known == 0 || x.Length % known != 0)
                throw new ArgumentException($"Reshape cannot infer -1 in [{string.Join(", ", target)}] for {x.Length} elements");
            shape[infer] = x.Length / known;
            known *= shape[infer];
        }
        if (known != x.Length)
            throw new ArgumentException($"Reshape to [{string.Join(", ", target)}] needs {known} elements, the input {NdArray.FormatShape(x.Shape)} has {x.Length}");
        return new NdArray(x.Data, shape.Select(d => (int)d).ToArray());
    }

    /// <summary>ONNX's ConstantOfShape: a tensor of the given int64 shape filled with the one-element <paramref name="value"/>.</summary>
    public static NdArray ConstantOfShape(NdArray shape, NdArray value)
    {
        if (shape.DType != DType.Int64 || shape.Rank != 1)
            throw new ArgumentException($"ConstantOfShape input must be a 1-D int64 shape, got {shape}");
        long[] dims = (long[])shape.Data;
        if (dims.Any(d => d < 0 || d > int.MaxValue))
            throw new ArgumentException($"ConstantOfShape shape [{string.Join(", ", dims)}] has a negative or too large dimension");
        int[] outShape = dims.Select(d => (int)d).ToArray();
        long count = dims.Aggregate(1L, (p, d) => p == 0 || d == 0 ? 0 : Math.Min(p * d, long.MaxValue / int.MaxValue));
        // A model could ask for any size; refuse what no .NET array can hold instead of failing inside the allocator.
        if (count > Array.MaxLength)
            throw new ArgumentException($"ConstantOfShape shape [{string.Join(", ", dims)}] is too large");
        var data = Array.CreateInstance(value.Data.GetType().GetElementType()!, (int)count);
        for (int i = 0; i < data.Length; i++)
            Array.Copy(value.Data, 0, data, i, 1);
        return new NdArray(data, outShape);
    }

    /// <summary>The int64 values of a 1-D (or scalar) tensor: axes, starts, shapes.</summary>
    public static long[] Int64s(NdArray t, string what) => t.DType switch
    {
        DType.Int64 when t.Rank <= 1 => (long[])t.Data.Clone(),
        DType.Int32 when t.Rank <= 1 => Array.ConvertAll((int[])t.Data, v => (long)v),
        _ => throw new ArgumentException($"{what} must be a 1-D int64 tensor, got {t}"),
    };

    private static int Axis(long axis, int rank, string what)
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank)
            throw new ArgumentException($"{what} {axis} is out of range for rank {rank}");
        return (int)a;
    }

    private static int[] Strides(IReadOnlyList<int> shape)
    {
        var strides = new int[shape.Count];
        int s = 1;
        for (int k = shape.Count - 1; k >= 0; k--)
        {
            strides[k] = s;
            s *= shape[k];
        }
        return strides;
    }

    private static int Count(IReadOnlyList<int> shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            n = d == 0 || n == 0 ? 0 : n > Array.MaxLength / d ? long.MaxValue : n * d;
        }
        return n <= Array.MaxLength ? (int)n : throw new ArgumentException($"a result of shape {NdArray.FormatShape(shape)} is too large");
    }

    private static void Increment(int[] index, int[] shape)
    {
        for (int k = index.Length - 1; k >= 0; k--)
        {
            if (++index[k] < shape[k])
                return;
            index[k] = 0;
        }
    }

    private static Array Take(Array source, int[] map) => source switch
    {
        float[] f => Take(f, map),
        double[] d => Take(d, map),
        int[] i => Take(i, map),
        long[] l => Take(l, map),
        _ => throw new ArgumentException($"unsupported element type {source.GetType().GetElementType()}"),
    };

    private static TE[] Take<TE>(TE[] source, int[] map)
    {
        var result = new TE[map.Length];
        for (int i = 0; i < map.Length; i++)
            result[i] = source[map[i]];
        return result;
    }
}

namespace LstmNative.Training.Autograd;

// Operations that move elements without arithmetic: reshape, permute, slice, select, concatenate, stack.
public sealed partial class Var<T>
{
    /// <summary>The same elements in another shape (one dimension may be −1: inferred).</summary>
    public Var<T> Reshape(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        shape = (int[])shape.Clone();
        int infer = Array.IndexOf(shape, -1);
        if (infer >= 0)
        {
            int known = 1;
            for (int i = 0; i < shape.Length; i++)
                if (i != infer)
                    known *= shape[i];
            shape[infer] = known == 0 ? 0 : Value.Length / known;
        }
        if (shape.Aggregate(1, (n, d) => n * d) != Value.Length)
            throw new ArgumentException($"Reshape: {Describe()} has {Value.Length} elements, shape {Broadcast.Format(shape)} holds another count");
        return Result(new Tensor<T>(Value.Data, shape), [this], g => Accumulate(g.Data));
    }

    /// <summary>Swaps two axes (PyTorch's <c>transpose</c>).</summary>
    public Var<T> Transpose(int axis0, int axis1)
    {
        var perm = Enumerable.Range(0, Rank).ToArray();
        int a = Broadcast.Axis(axis0, Rank, "Transpose"), b = Broadcast.Axis(axis1, Rank, "Transpose");
        (perm[a], perm[b]) = (perm[b], perm[a]);
        return Permute(perm);
    }

    /// <summary>Reorders the axes: result axis i is input axis <paramref name="perm"/>[i].</summary>
    public Var<T> Permute(params int[] perm)
    {
        ArgumentNullException.ThrowIfNull(perm);
        if (perm.Length != Rank || perm.Order().Where((p, i) => p != i).Any())
            throw new ArgumentException($"Permute: {Broadcast.Format(perm)} is not a permutation of the {Rank} axes of {Describe()}");
        var inShape = Value.Shape.ToArray();
        var outShape = perm.Select(p => inShape[p]).ToArray();
        var inStrides = new int[Rank];
        for (int i = Rank - 1, s = 1; i >= 0; s *= inShape[i], i--)
            inStrides[i] = s;
        var permutedStrides = perm.Select(p => inStrides[p]).ToArray();
        var map = new int[Value.Length];
        var index = new int[Rank];
        for (int n = 0; n < map.Length; n++)
        {
            int offset = 0;
            for (int i = 0; i < Rank; i++)
                offset += index[i] * permutedStrides[i];
            map[n] = offset;
            for (int i = Rank - 1; i >= 0; i--)
            {
                if (++index[i] < outShape[i])
                    break;
                index[i] = 0;
            }
        }
        var x = Value.Data;
        var y = new T[x.Length];
        for (int n = 0; n < y.Length; n++)
            y[n] = x[map[n]];
        return Result(new Tensor<T>(y, outShape), [this], g =>
        {
            var gx = new T[x.Length];
            for (int n = 0; n < gx.Length; n++)
                gx[map[n]] = g.Data[n];
            Accumulate(gx);
        });
    }

    /// <summary>Elements [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>) along <paramref name="axis"/>.</summary>
    public Var<T> Slice(int axis, int start, int length)
    {
        int a = Broadcast.Axis(axis, Rank, "Slice");
        var (outer, size, inner) = Broadcast.Around(Value.Shape, a);
        if (start < 0 || length < 0 || start + length > size)
            throw new ArgumentOutOfRangeException(nameof(start), $"Slice: [{start}, {start + length}) is outside axis {axis} of size {size}");
        var shape = Value.Shape.ToArray();
        shape[a] = length;
        var x = Value.Data;
        var y = new T[outer * length * inner];
        for (int o = 0; o < outer; o++)
            Array.Copy(x, (o * size + start) * inner, y, o * length * inner, length * inner);
        return Result(new Tensor<T>(y, shape), [this], g =>
        {
            var gx = new T[x.Length];
            for (int o = 0; o < outer; o++)
                Array.Copy(g.Data, o * length * inner, gx, (o * size + start) * inner, length * inner);
            Accumulate(gx);
        });
    }

    /// <summary>Index <paramref name="index"/> along <paramref name="axis"/>, the axis removed (PyTorch's <c>x[:, i]</c>).</summary>
    public Var<T> Select(int axis, int index)
    {
        int a = Broadcast.Axis(axis, Rank, "Select");
        var shape = Value.Shape.ToArray().Where((_, i) => i != a).ToArray();
        return Slice(a, index, 1).Reshape(shape);
    }

    /// <summary>Joins <paramref name="parts"/> along <paramref name="axis"/> (every other dimension equal).</summary>
    public static Var<T> Concat(int axis, params Var<T>[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Length == 0)
            throw new ArgumentException("Concat needs at least one tensor");
        var first = parts[0];
        int a = Broadcast.Axis(axis, first.Rank, "Concat");
        foreach (var p in parts)
        {
            ArgumentNullException.ThrowIfNull(p);
            bool same = p.Rank == first.Rank && Enumerable.Range(0, first.Rank).All(i => i == a || p.Dim(i) == first.Dim(i));
            if (!same)
                throw new ArgumentException($"Concat: {p.Describe()} does not match {first.Describe()} outside axis {axis}");
        }
        var (outer, _, inner) = Broadcast.Around(first.Value.Shape, a);
        int total = parts.Sum(p => p.Dim(a));
        var shape = first.Value.Shape.ToArray();
        shape[a] = total;
        var y = new T[outer * total * inner];
        int at = 0;
        foreach (var p in parts)
        {
            int size = p.Dim(a);
            for (int o = 0; o < outer; o++)
                Array.Copy(p.Value.Data, o * size * inner, y, (o * total + at) * inner, size * inner);
            at += size;
        }
        return Result(new Tensor<T>(y, shape), parts, g =>
        {
            int from = 0;
            foreach (var p in parts)
            {
                int size = p.Dim(a);
                if (p.RequiresGrad)
                {
                    var gp = new T[p.Value.Length];
                    for (int o = 0; o < outer; o++)
                        Array.Copy(g.Data, (o * total + from) * inner, gp, o * size * inner, size * inner);
                    p.Accumulate(gp);
                }
                from += size;
            }
        });
    }

    /// <summary>Stacks equally shaped <paramref name="parts"/> along a new axis <paramref name="axis"/>.</summary>
    public static Var<T> Stack(int axis, params Var<T>[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Length == 0)
            throw new ArgumentException("Stack needs at least one tensor");
        int rank = parts[0].Rank + 1;
        int a = axis < 0 ? axis + rank : axis;
        var expanded = parts.Select(p =>
        {
            var s = p.Value.Shape.ToArray().ToList();
            if (a < 0 || a > s.Count)
                throw new ArgumentOutOfRangeException(nameof(axis), $"Stack: axis {axis} is out of range for rank {rank}");
            s.Insert(a, 1);
            return p.Reshape([.. s]);
        }).ToArray();
        return Concat(a, expanded);
    }
}

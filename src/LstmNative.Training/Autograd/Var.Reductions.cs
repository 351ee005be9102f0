namespace LstmNative.Training.Autograd;

// Sums, means, softmax and argmax along an axis: the tensor seen as [outer, size, inner].
public sealed partial class Var<T>
{
    /// <summary>The sum of every element (a scalar of shape <c>[]</c>).</summary>
    public Var<T> Sum()
    {
        T s = T.Zero;
        foreach (var v in Value.Data)
            s += v;
        return Result(new Tensor<T>([s]), [this], g =>
        {
            var gx = new T[Value.Length];
            Array.Fill(gx, g.Data[0]);
            Accumulate(gx);
        });
    }

    /// <summary>The mean of every element (a scalar).</summary>
    public Var<T> Mean() => Sum() / T.CreateChecked(Math.Max(1, Value.Length));

    /// <summary>Sums along <paramref name="axis"/>; <paramref name="keepDim"/> keeps it with size 1.</summary>
    public Var<T> Sum(int axis, bool keepDim = false)
    {
        int a = Broadcast.Axis(axis, Rank, "Sum");
        var (outer, size, inner) = Broadcast.Around(Value.Shape, a);
        var x = Value.Data;
        var y = new T[outer * inner];
        for (int o = 0; o < outer; o++)
            for (int k = 0; k < size; k++)
                for (int i = 0; i < inner; i++)
                    y[o * inner + i] += x[(o * size + k) * inner + i];
        return Result(new Tensor<T>(y, Reduced(a, keepDim)), [this], g =>
        {
            var gx = new T[x.Length];
            for (int o = 0; o < outer; o++)
                for (int k = 0; k < size; k++)
                    for (int i = 0; i < inner; i++)
                        gx[(o * size + k) * inner + i] = g.Data[o * inner + i];
            Accumulate(gx);
        });
    }

    /// <summary>Means along <paramref name="axis"/>.</summary>
    public Var<T> Mean(int axis, bool keepDim = false) =>
        Sum(axis, keepDim) / T.CreateChecked(Math.Max(1, Dim(axis)));

    /// <summary>Softmax along <paramref name="axis"/> (shifted by the maximum: no overflow; a row of −∞ stays NaN, as PyTorch's).</summary>
    public Var<T> Softmax(int axis)
    {
        int a = Broadcast.Axis(axis, Rank, "Softmax");
        var (outer, size, inner) = Broadcast.Around(Value.Shape, a);
        var x = Value.Data;
        var y = new T[x.Length];
        ForEachLine(outer, inner, (o, i) =>
        {
            T max = LineMax(x, o, i, size, inner);
            T sum = T.Zero;
            for (int k = 0; k < size; k++)
            {
                int n = (o * size + k) * inner + i;
                y[n] = T.Exp(x[n] - max);
                sum += y[n];
            }
            for (int k = 0; k < size; k++)
                y[(o * size + k) * inner + i] /= sum;
        });
        return Result(new Tensor<T>(y, Value.Shape.ToArray()), [this], g =>
        {
            // dx = y ⊙ (g − Σ g ⊙ y) along the axis.
            var gx = new T[x.Length];
            ForEachLine(outer, inner, (o, i) =>
            {
                T dot = T.Zero;
                for (int k = 0; k < size; k++)
                {
                    int n = (o * size + k) * inner + i;
                    dot += g.Data[n] * y[n];
                }
                for (int k = 0; k < size; k++)
                {
                    int n = (o * size + k) * inner + i;
                    gx[n] = y[n] * (g.Data[n] - dot);
                }
            });
            Accumulate(gx);
        });
    }

    /// <summary>log(softmax) along <paramref name="axis"/>, computed as x − max − log Σ exp(x − max).</summary>
    public Var<T> LogSoftmax(int axis)
    {
        int a = Broadcast.Axis(axis, Rank, "LogSoftmax");
        var (outer, size, inner) = Broadcast.Around(Value.Shape, a);
        var x = Value.Data;
        var y = new T[x.Length];
        ForEachLine(outer, inner, (o, i) =>
        {
            T max = LineMax(x, o, i, size, inner);
            T sum = T.Zero;
            for (int k = 0; k < size; k++)
                sum += T.Exp(x[(o * size + k) * inner + i] - max);
            T logSum = max + T.Log(sum);
            for (int k = 0; k < size; k++)
            {
                int n = (o * size + k) * inner + i;
                y[n] = x[n] - logSum;
            }
        });
        return Result(new Tensor<T>(y, Value.Shape.ToArray()), [this], g =>
        {
            // dx = g − softmax ⊙ Σ g along the axis.
            var gx = new T[x.Length];
            ForEachLine(outer, inner, (o, i) =>
            {
                T total = T.Zero;
                for (int k = 0; k < size; k++)
                    total += g.Data[(o * size + k) * inner + i];
                for (int k = 0; k < size; k++)
                {
                    int n = (o * size + k) * inner + i;
                    gx[n] = g.Data[n] - T.Exp(y[n]) * total;
                }
            });
            Accumulate(gx);
        });
    }

    /// <summary>Index of the largest value along <paramref name="axis"/> (first on ties; no gradient), shape without the axis.</summary>
    public int[] Argmax(int axis)
    {
        int a = Broadcast.Axis(axis, Rank, "Argmax");
        var (outer, size, inner) = Broadcast.Around(Value.Shape, a);
        var x = Value.Data;
        var result = new int[outer * inner];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int best = 0;
                for (int k = 1; k < size; k++)
                    if (x[(o * size + k) * inner + i] > x[(o * size + best) * inner + i])
                        best = k;
                result[o * inner + i] = best;
            }
        return result;
    }

    private int[] Reduced(int axis, bool keepDim)
    {
        var shape = Value.Shape.ToArray().ToList();
        if (keepDim)
            shape[axis] = 1;
        else
            shape.RemoveAt(axis);
        return [.. shape];
    }

    /// <summary>The largest value of line (o, i) along the axis: the shift that keeps exp from overflowing.</summary>
    private static T LineMax(T[] x, int o, int i, int size, int inner)
    {
        T max = T.NegativeInfinity;
        for (int k = 0; k < size; k++)
            max = T.Max(max, x[(o * size + k) * inner + i]);
        return max;
    }

    private static void ForEachLine(int outer, int inner, Action<int, int> line)
    {
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
                line(o, i);
    }
}

using System.Numerics;

namespace LstmNative.Model;

/// <summary>
/// The weights of one direction of one layer, in the engine's single internal layout.
/// Gate blocks follow cuDNN/PyTorch order: LSTM <c>i, f, g, o</c>; GRU <c>r, z, n</c>.
/// Conversions from ONNX, PyTorch and Keras orders live in <see cref="GateOrder"/> and nowhere else.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class DirectionWeights<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Allocates zeroed weights for the given shape; <paramref name="projectionSize"/> 0 means no projection.</summary>
    public DirectionWeights(int gates, int inputSize, int hiddenSize, bool peepholes, int projectionSize = 0)
    {
        Gates = gates;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        ProjectionSize = projectionSize;
        int recurrent = projectionSize > 0 ? projectionSize : hiddenSize;
        // Sizes in wide arithmetic: 4 * 65536 * 65536 must be refused, not wrap around to an empty R.
        W = new T[RnnLayerOptions.ElementCount($"W [{gates}*hidden_size, input_size] with hidden_size={hiddenSize}, input_size={inputSize}", gates, hiddenSize, inputSize)];
        R = new T[RnnLayerOptions.ElementCount($"R [{gates}*hidden_size, {recurrent}] with hidden_size={hiddenSize}", gates, hiddenSize, recurrent)];
        Bw = new T[RnnLayerOptions.ElementCount($"bias [{gates}*hidden_size] with hidden_size={hiddenSize}", gates, hiddenSize, 1)];
        Br = new T[Bw.Length];
        P = peepholes ? new T[RnnLayerOptions.ElementCount($"peepholes [3*hidden_size] with hidden_size={hiddenSize}", 3, hiddenSize, 1)] : null;
        Whr = projectionSize > 0 ? new T[RnnLayerOptions.ElementCount($"W_hr [proj_size={projectionSize}, hidden_size={hiddenSize}]", projectionSize, hiddenSize, 1)] : null;
    }

    /// <summary>Number of gate blocks.</summary>
    public int Gates { get; }

    /// <summary>Input size <c>I</c>.</summary>
    public int InputSize { get; }

    /// <summary>Hidden size <c>H</c>.</summary>
    public int HiddenSize { get; }

    /// <summary>Projection size <c>P</c> (0: none).</summary>
    public int ProjectionSize { get; }

    /// <summary>Input weights <c>[G*H, I]</c>, row-major, gate blocks in internal order.</summary>
    public T[] W { get; }

    /// <summary>Recurrent weights <c>[G*H, H]</c> (<c>[G*H, P]</c> with a projection), row-major, gate blocks in internal order.</summary>
    public T[] R { get; }

    /// <summary>Input-side bias <c>[G*H]</c> (ONNX <c>Wb</c>, PyTorch <c>bias_ih</c>).</summary>
    public T[] Bw { get; }

    /// <summary>Recurrent-side bias <c>[G*H]</c> (ONNX <c>Rb</c>, PyTorch <c>bias_hh</c>).</summary>
    public T[] Br { get; }

    /// <summary>LSTM peepholes <c>[3H]</c> in internal order <c>i, f, o</c>, or null.</summary>
    public T[]? P { get; }

    /// <summary>LSTM projection weights <c>W_hr[P, H]</c> (PyTorch <c>weight_hr</c>), or null without a projection.</summary>
    public T[]? Whr { get; }

    /// <summary>A deep copy.</summary>
    public DirectionWeights<T> Clone()
    {
        var c = new DirectionWeights<T>(Gates, InputSize, HiddenSize, P is not null, ProjectionSize);
        W.CopyTo(c.W, 0);
        R.CopyTo(c.R, 0);
        Bw.CopyTo(c.Bw, 0);
        Br.CopyTo(c.Br, 0);
        P?.CopyTo(c.P!, 0);
        Whr?.CopyTo(c.Whr!, 0);
        return c;
    }

    /// <summary>Every parameter array, in a fixed order (W, R, Bw, Br, then P and Whr when present).</summary>
    public IEnumerable<T[]> Parameters()
    {
        yield return W;
        yield return R;
        yield return Bw;
        yield return Br;
        if (P is not null)
            yield return P;
        if (Whr is not null)
            yield return Whr;
    }
}

/// <summary>All weights of one layer: its options and one <see cref="DirectionWeights{T}"/> per direction.</summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class LayerWeights<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Allocates zeroed weights for a validated set of options.</summary>
    public LayerWeights(RnnLayerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Directions = new DirectionWeights<T>[options.DirectionCount];
        for (int d = 0; d < Directions.Length; d++)
            Directions[d] = new DirectionWeights<T>(options.GateCount, options.InputSize, options.HiddenSize, options.HasPeepholes, options.ProjectionSize);
    }

    /// <summary>The layer's shape and attributes.</summary>
    public RnnLayerOptions Options { get; }

    /// <summary>One entry per direction: forward first, then reverse.</summary>
    public DirectionWeights<T>[] Directions { get; }

    /// <summary>A deep copy.</summary>
    public LayerWeights<T> Clone()
    {
        var c = new LayerWeights<T>(Options);
        for (int d = 0; d < Directions.Length; d++)
        {
            var src = Directions[d].Clone();
            src.W.CopyTo(c.Directions[d].W, 0);
            src.R.CopyTo(c.Directions[d].R, 0);
            src.Bw.CopyTo(c.Directions[d].Bw, 0);
            src.Br.CopyTo(c.Directions[d].Br, 0);
            src.P?.CopyTo(c.Directions[d].P!, 0);
            src.Whr?.CopyTo(c.Directions[d].Whr!, 0);
        }
        return c;
    }

    /// <summary>Fills every parameter with uniform values in [-scale, scale] from a seeded generator.</summary>
    public LayerWeights<T> Randomize(Random random, double scale)
    {
        ArgumentNullException.ThrowIfNull(random);
        foreach (var dir in Directions)
            foreach (var p in dir.Parameters())
                for (int i = 0; i < p.Length; i++)
                    p[i] = T.CreateChecked((random.NextDouble() * 2 - 1) * scale);
        return this;
    }

    /// <summary>Converts to another precision.</summary>
    public LayerWeights<TOut> Convert<TOut>() where TOut : unmanaged, IFloatingPointIeee754<TOut>
    {
        var c = new LayerWeights<TOut>(Options);
        for (int d = 0; d < Directions.Length; d++)
        {
            using var src = Directions[d].Parameters().GetEnumerator();
            using var dst = c.Directions[d].Parameters().GetEnumerator();
            while (src.MoveNext() && dst.MoveNext())
                for (int i = 0; i < src.Current.Length; i++)
                    dst.Current[i] = TOut.CreateChecked(src.Current[i]);
        }
        return c;
    }
}

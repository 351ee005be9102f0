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
    /// <remarks>The array is writable: an engine that reads the weights calls <see cref="Validate"/> first.</remarks>
    public DirectionWeights<T>[] Directions { get; }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> unless <see cref="Options"/> is valid and every direction's arrays have the
    /// lengths the options need (W, R, both biases, and peepholes and W_hr exactly when the options have them).
    /// </summary>
    /// <remarks>
    /// <see cref="Directions"/> is a writable array, so a <see cref="DirectionWeights{T}"/> of another shape can replace
    /// an entry after construction. Engines index the arrays with the options' sizes: a smaller array would be read out
    /// of range and a larger one packed with the wrong strides (silently wrong results), so they call this first.
    /// </remarks>
    public void Validate()
    {
        var o = Options;
        o.Validate();
        long gh = (long)o.GateCount * o.HiddenSize;
        int recurrent = o.ProjectionSize > 0 ? o.ProjectionSize : o.HiddenSize;
        string rName = o.ProjectionSize > 0 ? "proj_size" : "hidden_size";
        for (int d = 0; d < Directions.Length; d++)
        {
            var w = Directions[d] ?? throw new ArgumentException($"direction {d} of the layer has no weights (null)");
            CheckLength(d, "W", w.W, $"[{o.GateCount}*hidden_size, input_size] = [{gh}, {o.InputSize}]", gh * o.InputSize);
            CheckLength(d, "R", w.R, $"[{o.GateCount}*hidden_size, {rName}] = [{gh}, {recurrent}]", gh * recurrent);
            CheckLength(d, "input bias Bw", w.Bw, $"[{o.GateCount}*hidden_size] = [{gh}]", gh);
            CheckLength(d, "recurrent bias Br", w.Br, $"[{o.GateCount}*hidden_size] = [{gh}]", gh);
            CheckOptional(d, "peepholes P", w.P, o.HasPeepholes, $"[3*hidden_size] = [{3L * o.HiddenSize}]", 3L * o.HiddenSize);
            CheckOptional(d, "projection W_hr", w.Whr, o.ProjectionSize > 0, $"[proj_size, hidden_size] = [{o.ProjectionSize}, {o.HiddenSize}]",
                (long)o.ProjectionSize * o.HiddenSize);
        }
    }

    private static void CheckLength(int direction, string name, T[] array, string shape, long expected)
    {
        if (array.Length != expected)
            throw new ArgumentException($"direction {direction}'s {name} must hold {shape} = {expected} elements for the layer's options, got {array.Length}");
    }

    private static void CheckOptional(int direction, string name, T[]? array, bool present, string shape, long expected)
    {
        // Options with peepholes or a projection but no array for them: the engines would dereference null.
        if (present && array is null)
            throw new ArgumentException($"direction {direction} has no {name}, but the layer's options need {shape} = {expected} elements");
        // An array the options do not have would be applied anyway by engines that test for it (the CPU packs P when present).
        if (!present && array is not null)
            throw new ArgumentException($"direction {direction} has {name} of {array.Length} elements, but the layer's options have none");
        if (array is not null)
            CheckLength(direction, name, array, shape, expected);
    }

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

using System.Numerics;
using LstmNative.Model;
using LstmNative.Reference;

namespace LstmNative.Engines;

/// <summary>
/// <see cref="IRnnLayerEngine{T}"/> over the scalar reference (<see cref="ReferenceRnn"/>). The batch is cut into a
/// fixed number of shards that run on parallel threads: batch rows are independent, so this is exact, and because
/// the shard count does not depend on the machine and weight gradients are summed in shard order, results are
/// bit-identical on any number of cores.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class ReferenceLayerEngine<T> : IRnnLayerEngine<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the engine with at most <paramref name="shards"/> batch shards per call.</summary>
    public ReferenceLayerEngine(int shards = 4)
    {
        if (shards < 1)
            throw new ArgumentException($"shards must be positive, got {shards}");
        Shards = shards;
    }

    /// <summary>The engine the training modules use unless told otherwise.</summary>
    public static ReferenceLayerEngine<T> Default { get; } = new();

    /// <summary>Maximum batch shards per call (fewer when the batch is smaller).</summary>
    public int Shards { get; }

    /// <inheritdoc/>
    public string Name => "reference";

    /// <inheritdoc/>
    public RnnLayerPass<T> Forward(LayerWeights<T> weights, ReadOnlySpan<T> x, int steps, int batch, ReadOnlySpan<int> sequenceLengths,
        ReadOnlySpan<T> h0, ReadOnlySpan<T> c0)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var o = weights.Options;
        int shards = Math.Min(Shards, batch);
        if (shards <= 1)
        {
            var single = ReferenceRnn.Forward(weights, x, steps, batch, sequenceLengths, h0, c0);
            return new Pass([single], [0, batch], steps, o);
        }
        int[] bounds = Bounds(batch, shards);
        int dirs = o.DirectionCount, h = o.HiddenSize;
        var xs = new T[shards][];
        var h0s = new T[shards][];
        var c0s = new T[shards][];
        var lengths = new int[shards][];
        for (int s = 0; s < shards; s++)
        {
            lengths[s] = sequenceLengths.IsEmpty ? [] : sequenceLengths[bounds[s]..bounds[s + 1]].ToArray();
            xs[s] = Gather(x, steps, batch, o.InputSize, bounds[s], bounds[s + 1]);
            h0s[s] = h0.IsEmpty ? [] : Gather(h0, dirs, batch, h, bounds[s], bounds[s + 1]);
            c0s[s] = c0.IsEmpty ? [] : Gather(c0, dirs, batch, h, bounds[s], bounds[s + 1]);
        }
        var traces = new LayerTrace<T>[shards];
        Parallel.For(0, shards, s =>
            traces[s] = ReferenceRnn.Forward(weights, xs[s], steps, bounds[s + 1] - bounds[s], lengths[s], h0s[s], c0s[s]));
        return new Pass(traces, bounds, steps, o);
    }

    private static int[] Bounds(int batch, int shards)
    {
        var bounds = new int[shards + 1];
        for (int s = 0; s <= shards; s++)
            bounds[s] = (int)((long)batch * s / shards);
        return bounds;
    }

    // [outer, B, inner] -> [outer, b1 - b0, inner]
    private static T[] Gather(ReadOnlySpan<T> source, int outer, int batch, int inner, int b0, int b1)
    {
        int n = b1 - b0;
        var result = new T[outer * n * inner];
        for (int o = 0; o < outer; o++)
            source.Slice((o * batch + b0) * inner, n * inner).CopyTo(result.AsSpan(o * n * inner, n * inner));
        return result;
    }

    // [outer, b1 - b0, inner] -> rows b0..b1 of [outer, B, inner]
    private static void Scatter(ReadOnlySpan<T> shard, Span<T> destination, int outer, int batch, int inner, int b0, int b1)
    {
        int n = b1 - b0;
        for (int o = 0; o < outer; o++)
            shard.Slice(o * n * inner, n * inner).CopyTo(destination.Slice((o * batch + b0) * inner, n * inner));
    }

    private sealed class Pass : RnnLayerPass<T>
    {
        private readonly LayerTrace<T>[] _traces;
        private readonly int[] _bounds;
        private readonly int _steps, _batch;
        private readonly RnnLayerOptions _options;

        public Pass(LayerTrace<T>[] traces, int[] bounds, int steps, RnnLayerOptions options)
        {
            _traces = traces;
            _bounds = bounds;
            _steps = steps;
            _batch = bounds[^1];
            _options = options;
            if (traces.Length == 1)
            {
                Y = traces[0].Y;
                Hn = traces[0].Yh;
                Cn = traces[0].Yc;
                return;
            }
            int dirs = options.DirectionCount, h = options.HiddenSize;
            Y = new T[steps * dirs * _batch * h];
            Hn = new T[dirs * _batch * h];
            Cn = new T[options.Cell == RnnCellType.Lstm ? Hn.Length : 0];
            for (int s = 0; s < traces.Length; s++)
            {
                Scatter(traces[s].Y, Y, steps * dirs, _batch, h, bounds[s], bounds[s + 1]);
                Scatter(traces[s].Yh, Hn, dirs, _batch, h, bounds[s], bounds[s + 1]);
                if (Cn.Length > 0)
                    Scatter(traces[s].Yc, Cn, dirs, _batch, h, bounds[s], bounds[s + 1]);
            }
        }

        public override T[] Y { get; }

        public override T[] Hn { get; }

        public override T[] Cn { get; }

        public override LayerGradients<T> Backward(ReadOnlySpan<T> dY, ReadOnlySpan<T> dHn, ReadOnlySpan<T> dCn)
        {
            if (_traces.Length == 1)
                return ReferenceRnn.Backward(_traces[0], dY, dHn, dCn);
            int shards = _traces.Length, dirs = _options.DirectionCount, h = _options.HiddenSize;
            var dYs = new T[shards][];
            var dHns = new T[shards][];
            var dCns = new T[shards][];
            for (int s = 0; s < shards; s++)
            {
                dYs[s] = dY.IsEmpty ? [] : Gather(dY, _steps * dirs, _batch, h, _bounds[s], _bounds[s + 1]);
                dHns[s] = dHn.IsEmpty ? [] : Gather(dHn, dirs, _batch, h, _bounds[s], _bounds[s + 1]);
                dCns[s] = dCn.IsEmpty ? [] : Gather(dCn, dirs, _batch, h, _bounds[s], _bounds[s + 1]);
            }
            var grads = new LayerGradients<T>[shards];
            Parallel.For(0, shards, s => grads[s] = ReferenceRnn.Backward(_traces[s], dYs[s], dHns[s], dCns[s]));

            var dx = new T[_steps * _batch * _options.InputSize];
            var dh0 = new T[dirs * _batch * h];
            var dc0 = new T[_options.Cell == RnnCellType.Lstm ? dh0.Length : 0];
            var weights = new LayerWeights<T>(_options);
            for (int s = 0; s < shards; s++)
            {
                Scatter(grads[s].DX, dx, _steps, _batch, _options.InputSize, _bounds[s], _bounds[s + 1]);
                Scatter(grads[s].DH0, dh0, dirs, _batch, h, _bounds[s], _bounds[s + 1]);
                if (dc0.Length > 0)
                    Scatter(grads[s].DC0, dc0, dirs, _batch, h, _bounds[s], _bounds[s + 1]);
                for (int d = 0; d < dirs; d++)
                {
                    using var src = grads[s].Weights.Directions[d].Parameters().GetEnumerator();
                    using var dst = weights.Directions[d].Parameters().GetEnumerator();
                    while (src.MoveNext() && dst.MoveNext())
                        for (int i = 0; i < src.Current.Length; i++)
                            dst.Current[i] += src.Current[i];
                }
            }
            return new LayerGradients<T>(dx, dh0, dc0, weights);
        }
    }
}

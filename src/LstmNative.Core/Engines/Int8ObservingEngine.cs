using LstmNative.Cpu;
using LstmNative.Model;

namespace LstmNative.Engines;

/// <summary>
/// The observer of static int8's "prepare" step for modules (<c>Quantize.PrepareStatic</c>): runs each layer on the float
/// engine it wraps and records, per layer (by reference), the magnitudes of the layer's input and hidden state at every
/// valid step (<see cref="LayerRangeObserver"/>), for <see cref="Ranges"/> to turn into <see cref="Int8LayerRanges"/>.
/// One caller at a time.
/// </summary>
internal sealed class Int8ObservingEngine(IRnnLayerEngine<float> inner) : IRnnLayerEngine<float>
{
    private readonly Dictionary<LayerWeights<float>, LayerRangeObserver> _observed = new(ReferenceEqualityComparer.Instance);

    public string Name => $"int8-observer({inner.Name})";

    public RnnLayerPass<float> Forward(LayerWeights<float> weights, ReadOnlySpan<float> x, int steps, int batch, ReadOnlySpan<int> sequenceLengths,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var pass = inner.Forward(weights, x, steps, batch, sequenceLengths, h0, c0);
        if (!_observed.TryGetValue(weights, out var observer))
            _observed.Add(weights, observer = new LayerRangeObserver(_observed.Count, weights.Options));
        observer.Record(x, pass.Y, steps, batch, sequenceLengths);
        return pass;
    }

    /// <summary>The ranges recorded for <paramref name="weights"/>.</summary>
    /// <exception cref="InvalidOperationException">The layer never ran while observed.</exception>
    public Int8LayerRanges Ranges(LayerWeights<float> weights, double percentile)
    {
        LayerRangeObserver.CheckPercentile(percentile);
        if (!_observed.TryGetValue(weights, out var observer) || observer.IsEmpty)
            throw new InvalidOperationException("a recurrent layer of the model saw no calibration data: run the prepared model over representative inputs before converting it");
        return observer.Ranges(percentile);
    }
}

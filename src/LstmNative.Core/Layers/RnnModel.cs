using System.Numerics;
using LstmNative.Model;

namespace LstmNative.Layers;

/// <summary>The weights of a multi-layer network: one <see cref="LayerWeights{T}"/> per layer.</summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class RnnModel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Allocates zeroed weights for validated options.</summary>
    public RnnModel(RnnOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Layers = Enumerable.Range(0, options.NumLayers).Select(l => new LayerWeights<T>(options.LayerOptions(l))).ToArray();
    }

    /// <summary>The network's shape.</summary>
    public RnnOptions Options { get; }

    /// <summary>One entry per layer, bottom first.</summary>
    public IReadOnlyList<LayerWeights<T>> Layers { get; }

    /// <summary>
    /// PyTorch's default initialisation: every weight and bias uniform in [-1/sqrt(H), 1/sqrt(H)], from a seeded
    /// generator (biases stay zero when <see cref="RnnOptions.Bias"/> is false).
    /// </summary>
    public RnnModel<T> InitializeUniform(int seed)
    {
        var rng = new Random(seed);
        double k = 1 / Math.Sqrt(Options.HiddenSize);
        foreach (var layer in Layers)
        {
            layer.Randomize(rng, k);
            if (!Options.Bias)
                foreach (var d in layer.Directions)
                {
                    Array.Clear(d.Bw);
                    Array.Clear(d.Br);
                }
        }
        return this;
    }
}

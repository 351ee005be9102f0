using System.Collections.ObjectModel;

namespace LstmNative.Cpu;

/// <summary>
/// The calibrated activation ranges of one layer for static int8 (<see cref="Int8Calibration"/>): the largest |x| its
/// input projection is expected to see and, per direction, the largest |h| its recurrent product is expected to see.
/// Immutable.
/// </summary>
public sealed class Int8LayerRanges
{
    /// <summary>Creates the ranges of one layer.</summary>
    /// <param name="input">Range (max |x|) of the layer's input x.</param>
    /// <param name="hidden">Range (max |h|) of the hidden state, one per direction (forward first).</param>
    /// <exception cref="ArgumentOutOfRangeException">A range that is not finite and positive, or not one or two directions.</exception>
    public Int8LayerRanges(float input, IReadOnlyList<float> hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        Check(input, nameof(input));
        if (hidden.Count is < 1 or > 2)
            throw new ArgumentOutOfRangeException(nameof(hidden), $"one hidden range per direction (1 or 2), got {hidden.Count}");
        foreach (float h in hidden)
            Check(h, nameof(hidden));
        Input = input;
        Hidden = new ReadOnlyCollection<float>([.. hidden]);
    }

    /// <summary>Range (max |x|) of the layer's input.</summary>
    public float Input { get; }

    /// <summary>Range (max |h|) of the hidden state, per direction (forward first).</summary>
    public IReadOnlyList<float> Hidden { get; }

    private static void Check(float range, string name)
    {
        if (!(range > 0) || !float.IsFinite(range))
            throw new ArgumentOutOfRangeException(name, $"an activation range must be finite and positive, got {range}");
    }
}

/// <summary>
/// Static int8 quantization of the activations (PyTorch's <c>prepare</c>/<c>convert</c> flow, as opposed to
/// <c>quantize_dynamic</c>): fixed ranges for every layer's input x and hidden state h, measured once by running the
/// float32 model over representative inputs (<see cref="Int8Calibrator"/>). Pass it to
/// <see cref="CpuRnnModel(IReadOnlyList{Model.LayerWeights{float}}, Int8Calibration)"/> to build an int8 model whose
/// products quantize x and h with these fixed scales. Immutable; safe to share.
/// </summary>
/// <remarks>
/// <para>At run time each activation is quantized with the layer's fixed scale (<c>range / 32767</c> to int16 on the
/// managed kernels, <c>range / 127</c> to uint8 with zero point 128 on the native VNNI kernel) and <b>saturated</b>: a
/// value beyond the calibrated range counts as ±range. No per-step max scan. A row (one step of one batch row) that
/// holds NaN or ±∞ gives NaN, as in the dynamic scheme.</para>
/// <para>GRU with <c>linear_before_reset = 0</c> multiplies its n gate's R by <c>r ⊙ h</c>, which the h range bounds
/// (r ∈ (0, 1)), so that product uses the h range too. Initial states are not observed: calibrate with the states the
/// model will start from (zeros) or they saturate at the range.</para>
/// </remarks>
public sealed class Int8Calibration
{
    /// <summary>Creates a calibration from ranges measured elsewhere (or read back from a file), first layer first.</summary>
    /// <exception cref="ArgumentException">No layers, or a null entry.</exception>
    public Int8Calibration(IReadOnlyList<Int8LayerRanges> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0)
            throw new ArgumentException("a calibration needs at least one layer", nameof(layers));
        foreach (var l in layers)
            if (l is null)
                throw new ArgumentException("a layer's ranges are null", nameof(layers));
        Layers = new ReadOnlyCollection<Int8LayerRanges>([.. layers]);
    }

    /// <summary>The ranges of each layer, first layer first.</summary>
    public IReadOnlyList<Int8LayerRanges> Layers { get; }

    /// <summary>Checks that this calibration fits a stack of layers with <paramref name="directions"/> directions each.</summary>
    internal void CheckFits(IReadOnlyList<int> directions)
    {
        if (directions.Count != Layers.Count)
            throw new ArgumentException($"the calibration has {Layers.Count} layer(s), the model {directions.Count}");
        for (int l = 0; l < Layers.Count; l++)
            if (Layers[l].Hidden.Count != directions[l])
                throw new ArgumentException($"layer {l}: the calibration has {Layers[l].Hidden.Count} hidden range(s), the layer {directions[l]} direction(s)");
    }
}

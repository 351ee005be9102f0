using LstmNative.Formats;
using LstmNative.Model;

namespace LstmNative.Gpu.Training;

/// <summary>One named tensor inside the flat parameter buffer.</summary>
/// <param name="Name">PyTorch-style name: <c>weight_ih_l0</c>, <c>weight_hh_l1_reverse</c>, <c>bias_ih_l0</c>, <c>peephole_l0</c>, <c>head.weight</c>...</param>
/// <param name="Offset">First element (floats from the start of the buffer).</param>
/// <param name="Length">Elements.</param>
public readonly record struct ParameterSlot(string Name, long Offset, long Length);

/// <summary>
/// Where one layer's parameters live in the flat buffer (offsets in floats). Each kind is one block holding every
/// direction back to back, so that both directions' input weights form one <c>[D*G*H, I]</c> matrix (one input GEMM
/// for the layer, one weight-gradient GEMM), and so on.
/// </summary>
/// <param name="Options">The layer.</param>
/// <param name="W">Input weights <c>[D][G*H, I]</c>.</param>
/// <param name="R">Recurrent weights <c>[D][G*H, H]</c>.</param>
/// <param name="Bw">Input biases <c>[D][G*H]</c>.</param>
/// <param name="Br">Recurrent biases <c>[D][G*H]</c>.</param>
/// <param name="P">Peepholes <c>[D][3H]</c>, or -1 when the layer has none.</param>
public sealed record LayerParameterSlots(RnnLayerOptions Options, long W, long R, long Bw, long Br, long P)
{
    private int GateRows => Options.GateCount * Options.HiddenSize;

    /// <summary>Input weights of direction <paramref name="d"/>.</summary>
    public long WOf(int d) => W + (long)d * GateRows * Options.InputSize;

    /// <summary>Recurrent weights of direction <paramref name="d"/>.</summary>
    public long ROf(int d) => R + (long)d * GateRows * Options.HiddenSize;

    /// <summary>Input bias of direction <paramref name="d"/>.</summary>
    public long BwOf(int d) => Bw + (long)d * GateRows;

    /// <summary>Recurrent bias of direction <paramref name="d"/>.</summary>
    public long BrOf(int d) => Br + (long)d * GateRows;

    /// <summary>Peepholes of direction <paramref name="d"/> (-1 when none).</summary>
    public long POf(int d) => P < 0 ? -1 : P + (long)d * 3 * Options.HiddenSize;
}

/// <summary>
/// The flat parameter buffer of a GPU-trained network: every weight of every layer (and of the optional dense head)
/// in one float array, each block aligned to <see cref="AlignmentElements"/> floats. The gradients use the same layout
/// in a second buffer, so clipping and the optimizer step are single launches over the whole model.
/// </summary>
public sealed class ParameterLayout
{
    /// <summary>Every block starts at a multiple of this many floats (256 bytes).</summary>
    public const int AlignmentElements = 64;

    private readonly List<ParameterSlot> _slots = [];

    /// <summary>Lays out <paramref name="layers"/> (bottom first) and an optional dense head <c>[headOutputs, headInputs]</c>.</summary>
    /// <exception cref="ArgumentException">A layer's input size is not the previous layer's output size, or the head does not fit.</exception>
    public ParameterLayout(IReadOnlyList<RnnLayerOptions> layers, int headInputs = 0, int headOutputs = 0)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ValidateStack(layers);
        if (headOutputs < 0 || headInputs < 0 || (headOutputs > 0) != (headInputs > 0))
            throw new ArgumentException($"the dense head needs positive input and output sizes, got {headInputs} -> {headOutputs}");
        long offset = 0;
        var slots = new LayerParameterSlots[layers.Count];
        for (int l = 0; l < layers.Count; l++)
        {
            var o = layers[l];
            int d = o.DirectionCount, gh = o.GateCount * o.HiddenSize;
            long w = Take(ref offset, (long)d * gh * o.InputSize);
            long r = Take(ref offset, (long)d * gh * o.HiddenSize);
            long bw = Take(ref offset, (long)d * gh);
            long br = Take(ref offset, (long)d * gh);
            long p = o.HasPeepholes ? Take(ref offset, (long)d * 3 * o.HiddenSize) : -1;
            slots[l] = new LayerParameterSlots(o, w, r, bw, br, p);
            for (int dir = 0; dir < d; dir++)
            {
                string suffix = PyTorchStateDict.ParameterSuffix(l, dir);
                _slots.Add(new ParameterSlot("weight_ih" + suffix, slots[l].WOf(dir), (long)gh * o.InputSize));
                _slots.Add(new ParameterSlot("weight_hh" + suffix, slots[l].ROf(dir), (long)gh * o.HiddenSize));
                _slots.Add(new ParameterSlot("bias_ih" + suffix, slots[l].BwOf(dir), gh));
                _slots.Add(new ParameterSlot("bias_hh" + suffix, slots[l].BrOf(dir), gh));
                if (p >= 0)
                    _slots.Add(new ParameterSlot("peephole" + suffix, slots[l].POf(dir), 3L * o.HiddenSize));
            }
        }
        Layers = slots;
        HeadInputs = headInputs;
        HeadOutputs = headOutputs;
        if (headOutputs > 0)
        {
            HeadWeight = Take(ref offset, (long)headOutputs * headInputs);
            HeadBias = Take(ref offset, headOutputs);
            _slots.Add(new ParameterSlot("head.weight", HeadWeight, (long)headOutputs * headInputs));
            _slots.Add(new ParameterSlot("head.bias", HeadBias, headOutputs));
        }
        else
        {
            HeadWeight = HeadBias = -1;
        }
        TotalElements = Math.Max(offset, AlignmentElements);
    }

    /// <summary>One entry per layer, bottom first.</summary>
    public IReadOnlyList<LayerParameterSlots> Layers { get; }

    /// <summary>The dense head's weight <c>[HeadOutputs, HeadInputs]</c> offset, or -1.</summary>
    public long HeadWeight { get; }

    /// <summary>The dense head's bias <c>[HeadOutputs]</c> offset, or -1.</summary>
    public long HeadBias { get; }

    /// <summary>Features entering the head (0 without a head).</summary>
    public int HeadInputs { get; }

    /// <summary>Outputs of the head (0 without a head).</summary>
    public int HeadOutputs { get; }

    /// <summary>Floats in the buffer (padding included).</summary>
    public long TotalElements { get; }

    /// <summary>Every named tensor, in buffer order.</summary>
    public IReadOnlyList<ParameterSlot> Slots => _slots;

    /// <summary>Throws unless each layer's input size is the previous layer's output size (directions × hidden).</summary>
    public static void ValidateStack(IReadOnlyList<RnnLayerOptions> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0)
            throw new ArgumentException("a network needs at least one layer");
        for (int l = 0; l < layers.Count; l++)
        {
            ArgumentNullException.ThrowIfNull(layers[l]);
            layers[l].Validate();
            if (l > 0 && layers[l].InputSize != layers[l - 1].DirectionCount * layers[l - 1].HiddenSize)
                throw new ArgumentException(
                    $"layer {l} takes {layers[l].InputSize} inputs but layer {l - 1} gives {layers[l - 1].DirectionCount * layers[l - 1].HiddenSize} ({layers[l - 1].DirectionCount} x {layers[l - 1].HiddenSize})");
        }
    }

    /// <summary>Packs the weights (and the head's, when the layout has one) into a new flat array.</summary>
    public float[] Pack(IReadOnlyList<LayerWeights<float>> layers, ReadOnlySpan<float> headWeight = default, ReadOnlySpan<float> headBias = default)
    {
        var flat = new float[TotalElements];
        Pack(layers, headWeight, headBias, flat);
        return flat;
    }

    /// <summary>Packs into <paramref name="flat"/> (at least <see cref="TotalElements"/> floats; padding is left alone).</summary>
    public void Pack(IReadOnlyList<LayerWeights<float>> layers, ReadOnlySpan<float> headWeight, ReadOnlySpan<float> headBias, Span<float> flat)
    {
        CheckWeights(layers);
        if (flat.Length < TotalElements)
            throw new ArgumentException($"the flat buffer holds {flat.Length} floats; the layout needs {TotalElements}");
        for (int l = 0; l < Layers.Count; l++)
        {
            var s = Layers[l];
            for (int d = 0; d < s.Options.DirectionCount; d++)
            {
                var w = layers[l].Directions[d];
                w.W.CopyTo(flat.Slice((int)s.WOf(d)));
                w.R.CopyTo(flat.Slice((int)s.ROf(d)));
                w.Bw.CopyTo(flat.Slice((int)s.BwOf(d)));
                w.Br.CopyTo(flat.Slice((int)s.BrOf(d)));
                w.P?.CopyTo(flat.Slice((int)s.POf(d)));
            }
        }
        if (HeadOutputs > 0)
        {
            CheckHead(headWeight.Length, headBias.Length);
            headWeight.CopyTo(flat.Slice((int)HeadWeight));
            headBias.CopyTo(flat.Slice((int)HeadBias));
        }
    }

    /// <summary>Copies a flat buffer back into per-layer weights (and the head's spans, when the layout has a head).</summary>
    public void Unpack(ReadOnlySpan<float> flat, IReadOnlyList<LayerWeights<float>> layers, Span<float> headWeight = default, Span<float> headBias = default)
    {
        CheckWeights(layers);
        if (flat.Length < TotalElements)
            throw new ArgumentException($"the flat buffer holds {flat.Length} floats; the layout needs {TotalElements}");
        for (int l = 0; l < Layers.Count; l++)
        {
            var s = Layers[l];
            for (int d = 0; d < s.Options.DirectionCount; d++)
            {
                var w = layers[l].Directions[d];
                flat.Slice((int)s.WOf(d), w.W.Length).CopyTo(w.W);
                flat.Slice((int)s.ROf(d), w.R.Length).CopyTo(w.R);
                flat.Slice((int)s.BwOf(d), w.Bw.Length).CopyTo(w.Bw);
                flat.Slice((int)s.BrOf(d), w.Br.Length).CopyTo(w.Br);
                if (w.P is not null)
                    flat.Slice((int)s.POf(d), w.P.Length).CopyTo(w.P);
            }
        }
        if (HeadOutputs > 0 && !headWeight.IsEmpty)
        {
            CheckHead(headWeight.Length, headBias.Length);
            flat.Slice((int)HeadWeight, headWeight.Length).CopyTo(headWeight);
            flat.Slice((int)HeadBias, headBias.Length).CopyTo(headBias);
        }
    }

    /// <summary>New zeroed weights shaped like this layout's layers.</summary>
    public LayerWeights<float>[] NewWeights() => Layers.Select(s => new LayerWeights<float>(s.Options)).ToArray();

    private void CheckWeights(IReadOnlyList<LayerWeights<float>> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count != Layers.Count)
            throw new ArgumentException($"the layout has {Layers.Count} layer(s); got weights for {layers.Count}");
        for (int l = 0; l < layers.Count; l++)
            if (!layers[l].Options.Equals(Layers[l].Options))
                throw new ArgumentException($"layer {l}: weights for {layers[l].Options}, the layout has {Layers[l].Options}");
    }

    private void CheckHead(int weight, int bias)
    {
        if (weight != (long)HeadOutputs * HeadInputs || bias != HeadOutputs)
            throw new ArgumentException($"the head needs a [{HeadOutputs}, {HeadInputs}] weight and a [{HeadOutputs}] bias; got {weight} and {bias} values");
    }

    private static long Take(ref long offset, long count)
    {
        long start = offset;
        offset += (count + AlignmentElements - 1) / AlignmentElements * AlignmentElements;
        return start;
    }
}

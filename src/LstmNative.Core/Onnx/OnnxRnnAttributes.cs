using LstmNative.Model;

namespace LstmNative.Onnx;

/// <summary>
/// The attributes of an ONNX LSTM or GRU node, as the operator defines them. Turned into engine options by
/// <see cref="ToLayerOptions"/>, which is where ONNX's defaults and rules are applied.
/// </summary>
public sealed record OnnxRnnAttributes
{
    /// <summary>LSTM or GRU.</summary>
    public required RnnCellType Cell { get; init; }

    /// <summary><c>hidden_size</c>; null when the node leaves it out (then taken from R's shape).</summary>
    public int? HiddenSize { get; init; }

    /// <summary><c>direction</c>: "forward", "reverse" or "bidirectional".</summary>
    public string Direction { get; init; } = "forward";

    /// <summary><c>layout</c>: 0 time-major, 1 batch-major.</summary>
    public int Layout { get; init; }

    /// <summary><c>clip</c>, or null.</summary>
    public double? Clip { get; init; }

    /// <summary><c>input_forget</c> (LSTM).</summary>
    public int InputForget { get; init; }

    /// <summary><c>linear_before_reset</c> (GRU).</summary>
    public int LinearBeforeReset { get; init; }

    /// <summary><c>activations</c>, or null for the defaults.</summary>
    public IReadOnlyList<string>? Activations { get; init; }

    /// <summary><c>activation_alpha</c>, consumed in order by the activations that take an alpha.</summary>
    public IReadOnlyList<double>? ActivationAlpha { get; init; }

    /// <summary><c>activation_beta</c>, consumed in order by the activations that take a beta.</summary>
    public IReadOnlyList<double>? ActivationBeta { get; init; }

    /// <summary>The sequence layout.</summary>
    public SequenceLayout SequenceLayout => Layout switch
    {
        0 => SequenceLayout.TimeMajor,
        1 => SequenceLayout.BatchMajor,
        _ => throw new ArgumentException($"layout must be 0 or 1, got {Layout}"),
    };

    /// <summary>The parsed direction; throws for an unknown one.</summary>
    public RnnDirection ParsedDirection => Direction.ToUpperInvariant() switch
    {
        "FORWARD" => RnnDirection.Forward,
        "REVERSE" => RnnDirection.Reverse,
        "BIDIRECTIONAL" => RnnDirection.Bidirectional,
        _ => throw new ArgumentException($"direction must be forward, reverse or bidirectional, got '{Direction}'"),
    };

    /// <summary>
    /// Builds engine options. <paramref name="inputSize"/> comes from W's last dimension; <paramref name="hiddenFromR"/>
    /// from R's last dimension (used when <c>hidden_size</c> is absent, checked against it otherwise).
    /// Throws <see cref="NotSupportedException"/> for an activation ONNX does not define.
    /// </summary>
    public RnnLayerOptions ToLayerOptions(int inputSize, int hiddenFromR, bool hasPeepholes)
    {
        int hidden = HiddenSize ?? hiddenFromR;
        if (HiddenSize is { } hs && hs != hiddenFromR)
            throw new ArgumentException($"hidden_size is {hs} but R's last dimension is {hiddenFromR}");
        if (InputForget is not (0 or 1))
            throw new ArgumentException($"input_forget must be 0 or 1, got {InputForget}");
        if (LinearBeforeReset is not (0 or 1))
            throw new ArgumentException($"linear_before_reset must be 0 or 1, got {LinearBeforeReset}");
        var options = new RnnLayerOptions(Cell, inputSize, hidden, ParsedDirection)
        {
            Clip = Clip,
            InputForget = Cell == RnnCellType.Lstm && InputForget == 1,
            LinearBeforeReset = Cell == RnnCellType.Gru && LinearBeforeReset == 1,
            HasPeepholes = hasPeepholes,
        };
        if (Activations is { Count: > 0 } names)
        {
            int expected = options.DirectionCount * options.ActivationsPerDirection;
            if (names.Count != expected)
                throw new ArgumentException($"{Cell} with direction {Direction} needs {expected} activations, got {names.Count}");
            int ai = 0, bi = 0;
            var parsed = new List<Activation>(names.Count);
            foreach (var name in names)
            {
                var kind = Activation.Parse(name).Kind;
                double? alpha = Activation.UsesAlpha(kind) && ActivationAlpha is { } al && ai < al.Count ? al[ai++] : null;
                double? beta = Activation.UsesBeta(kind) && ActivationBeta is { } bl && bi < bl.Count ? bl[bi++] : null;
                parsed.Add(Activation.Parse(name, alpha, beta));
            }
            options = options with { Activations = parsed };
        }
        options.Validate();
        return options;
    }
}

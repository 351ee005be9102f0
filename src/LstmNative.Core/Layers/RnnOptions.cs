using LstmNative.Model;

namespace LstmNative.Layers;

/// <summary>
/// A multi-layer recurrent network described the way PyTorch's <c>nn.LSTM</c>/<c>nn.GRU</c> (and TorchSharp) do.
/// GRU layers use PyTorch's formulation (ONNX <c>linear_before_reset = 1</c>).
/// </summary>
/// <param name="Cell">LSTM or GRU.</param>
/// <param name="InputSize">Features per time step of the input.</param>
/// <param name="HiddenSize">Hidden units per direction.</param>
/// <param name="NumLayers">Stacked layers.</param>
/// <param name="Bias">Whether layers have biases (when false they stay zero and are not trained).</param>
/// <param name="BatchFirst">Input and output are <c>[B, T, F]</c> instead of <c>[T, B, F]</c>.</param>
/// <param name="Dropout">Dropout probability on the outputs of every layer but the last, in training only.</param>
/// <param name="Bidirectional">Each layer runs both directions; outputs are concatenated on the feature axis.</param>
public sealed record RnnOptions(RnnCellType Cell, int InputSize, int HiddenSize, int NumLayers = 1, bool Bias = true,
    bool BatchFirst = false, double Dropout = 0, bool Bidirectional = false)
{
    /// <summary>
    /// PyTorch's <c>proj_size</c> (LSTM only): when positive, every layer projects its hidden state to this many
    /// features (LSTMP), so outputs and <c>h_n</c> have <c>ProjectionSize</c> features per direction. 0: no projection.
    /// </summary>
    public int ProjectionSize { get; init; }

    /// <summary>Number of directions (1 or 2).</summary>
    public int DirectionCount => Bidirectional ? 2 : 1;

    /// <summary>Features of the hidden state per direction: <see cref="ProjectionSize"/> when set, else <see cref="HiddenSize"/>.</summary>
    public int StateSize => ProjectionSize > 0 ? ProjectionSize : HiddenSize;

    /// <summary>Features per time step of the output (<c>D * H</c>, or <c>D * proj_size</c> with a projection).</summary>
    public int OutputSize => DirectionCount * StateSize;

    /// <summary>Throws <see cref="ArgumentException"/> with PyTorch's wording when the options are invalid.</summary>
    public void Validate()
    {
        if (InputSize < 1)
            throw new ArgumentException("input_size must be greater than zero");
        if (HiddenSize < 1)
            throw new ArgumentException("hidden_size must be greater than zero");
        if (NumLayers < 1)
            throw new ArgumentException("num_layers must be greater than zero");
        if (!(Dropout >= 0 && Dropout <= 1))
            throw new ArgumentException("dropout should be a number in range [0, 1] representing the probability of an element being zeroed");
        if (ProjectionSize < 0)
            throw new ArgumentException("proj_size should be a positive integer or zero to disable projections");
        if (ProjectionSize > 0 && Cell != RnnCellType.Lstm)
            throw new ArgumentException("proj_size argument is only supported for LSTM, not RNN or GRU");
        if (ProjectionSize >= HiddenSize && ProjectionSize > 0)
            throw new ArgumentException("proj_size has to be smaller than hidden_size");
    }

    /// <summary>The options of layer <paramref name="layer"/> (its input is the previous layer's output).</summary>
    public RnnLayerOptions LayerOptions(int layer) =>
        new(Cell, layer == 0 ? InputSize : OutputSize, HiddenSize, Bidirectional ? RnnDirection.Bidirectional : RnnDirection.Forward)
        {
            LinearBeforeReset = Cell == RnnCellType.Gru,
            ProjectionSize = ProjectionSize,
        };
}

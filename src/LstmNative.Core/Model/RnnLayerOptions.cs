using System.Runtime.CompilerServices;
namespace LstmNative.Model;

/// <summary>
/// Everything that shapes one recurrent layer, with ONNX semantics (LSTM and GRU operators).
/// Weights are described separately by <see cref="LayerWeights{T}"/>.
/// </summary>
/// <param name="Cell">LSTM or GRU.</param>
/// <param name="InputSize">Features per time step entering the layer (<c>I</c>).</param>
/// <param name="HiddenSize">Hidden units per direction (<c>H</c>, ONNX <c>hidden_size</c>).</param>
/// <param name="Direction">Forward, reverse or bidirectional.</param>
public sealed record RnnLayerOptions(RnnCellType Cell, int InputSize, int HiddenSize, RnnDirection Direction = RnnDirection.Forward)
{
    /// <summary>ONNX <c>clip</c>: gate pre-activations are clipped to [-Clip, Clip] before the activation. Null: no clipping.</summary>
    public double? Clip { get; init; }

    /// <summary>ONNX <c>input_forget</c> (LSTM only): couple the forget gate to the input gate, f = 1 - i.</summary>
    public bool InputForget { get; init; }

    /// <summary>ONNX <c>linear_before_reset</c> (GRU only): apply the reset gate after the recurrent matmul (PyTorch's GRU).</summary>
    public bool LinearBeforeReset { get; init; }

    /// <summary>Whether the LSTM has peephole weights <c>P</c>.</summary>
    public bool HasPeepholes { get; init; }

    /// <summary>
    /// LSTM projection size <c>P</c> (PyTorch's <c>proj_size</c>, LSTMP): when positive, the hidden state is
    /// <c>h = W_hr (o ⊙ h(c))</c> with <c>W_hr[P, H]</c>, so hidden states and outputs have <c>P</c> features and the
    /// recurrent weights are <c>[G*H, P]</c>. 0 (the default) means no projection.
    /// </summary>
    public int ProjectionSize { get; init; }

    /// <summary>Features of the hidden state and of each output step per direction: <c>P</c> with a projection, else <c>H</c>.</summary>
    public int OutputSize => ProjectionSize > 0 ? ProjectionSize : HiddenSize;

    /// <summary>
    /// ONNX <c>activations</c>: per direction, LSTM f, g, h or GRU f, g (forward direction first).
    /// Null means the defaults (Sigmoid, Tanh, Tanh / Sigmoid, Tanh).
    /// </summary>
    public IReadOnlyList<Activation>? Activations { get; init; }

    /// <summary>Number of activation functions per direction (3 for LSTM, 2 for GRU).</summary>
    public int ActivationsPerDirection => Cell == RnnCellType.Lstm ? 3 : 2;

    /// <summary>Whether every activation is the default one (fast paths support only these).</summary>
    public bool HasDefaultActivations
    {
        get
        {
            if (Activations is null)
                return true;
            for (int d = 0; d < DirectionCount; d++)
                for (int k = 0; k < ActivationsPerDirection; k++)
                    if (Activations[d * ActivationsPerDirection + k] != DefaultActivation(k))
                        return false;
            return true;
        }
    }

    /// <summary>The activation number <paramref name="index"/> (0 = f, 1 = g, 2 = h) of direction <paramref name="direction"/>.</summary>
    public Activation GetActivation(int direction, int index) =>
        Activations is null ? DefaultActivation(index) : Activations[direction * ActivationsPerDirection + index];

    private static Activation DefaultActivation(int index) => index == 0 ? Activation.Sigmoid : Activation.Tanh;

    /// <summary>Number of directions (1 or 2).</summary>
    public int DirectionCount => Direction.Count();

    /// <summary>
    /// Whether direction <paramref name="direction"/> (0 or 1) runs from the last step to the first: the second of a
    /// bidirectional layer, or the only one of a reverse layer. The one place that knows it; every engine asks here.
    /// </summary>
    public bool RunsReversed(int direction) => Direction == RnnDirection.Reverse || direction == 1;

    /// <summary>Number of gates (4 for LSTM, 3 for GRU).</summary>
    public int GateCount => Cell.GateCount();

    /// <summary>Value equality, comparing the activation lists element by element.</summary>
    public bool Equals(RnnLayerOptions? other) =>
        other is not null && Cell == other.Cell && InputSize == other.InputSize && HiddenSize == other.HiddenSize
        && Direction == other.Direction && Clip == other.Clip && InputForget == other.InputForget
        && LinearBeforeReset == other.LinearBeforeReset && HasPeepholes == other.HasPeepholes
        && ProjectionSize == other.ProjectionSize
        && (Activations is null ? other.Activations is null : other.Activations is not null && Activations.SequenceEqual(other.Activations));

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(HashCode.Combine(Cell, InputSize, HiddenSize, Direction, Clip, InputForget, LinearBeforeReset, HasPeepholes), ProjectionSize);

    /// <summary>
    /// The number of elements of a <c>[a·b, c]</c> block, checked in wide arithmetic: throws <see cref="ArgumentException"/>
    /// naming <paramref name="what"/> when it exceeds what a .NET array holds.
    /// </summary>
    internal static int ElementCount(string what, long a, long b, long c)
    {
        if (a < 0 || b < 0 || c < 0)
            throw new ArgumentException($"{what}: negative dimension");
        Int128 n = (Int128)a * b * c;
        if (n > Array.MaxLength)
            throw new ArgumentException($"{what} would hold {n} elements, more than a .NET array allows ({Array.MaxLength}): the model is too large");
        return (int)n;
    }

    private static bool Fits(long a, long b, long c) => a >= 0 && b >= 0 && c >= 0 && (Int128)a * b * c <= Array.MaxLength;

    /// <summary>Throws <see cref="ArgumentException"/> when the options are inconsistent.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    public void Validate()
    {
        if (InputSize < 1)
            throw new ArgumentException($"input size must be positive, got {InputSize}");
        if (HiddenSize < 1)
            throw new ArgumentException($"hidden size must be positive, got {HiddenSize}");
        if (Clip is { } c && !(c > 0))
            throw new ArgumentException($"clip must be a positive number, got {c}");
        if (Cell == RnnCellType.Gru && (InputForget || HasPeepholes))
            throw new ArgumentException("GRU has no input_forget and no peepholes");
        if (Cell == RnnCellType.Lstm && LinearBeforeReset)
            throw new ArgumentException("linear_before_reset applies to GRU only");
        if (ProjectionSize < 0)
            throw new ArgumentException($"projection size must be zero (none) or positive, got {ProjectionSize}");
        if (ProjectionSize > 0 && Cell != RnnCellType.Lstm)
            throw new ArgumentException("projections (proj_size) are supported for LSTM only");
        if (ProjectionSize >= HiddenSize && ProjectionSize > 0)
            throw new ArgumentException($"projection size must be smaller than the hidden size, got {ProjectionSize} >= {HiddenSize}");
        // Every weight block must fit a .NET array; the arithmetic is 128-bit, so a hostile hidden_size cannot wrap
        // 4*hidden_size around to something small. (Messages are built only on failure: Validate runs on every Run.)
        int recurrent = ProjectionSize > 0 ? ProjectionSize : HiddenSize;
        if (!Fits(GateCount, HiddenSize, InputSize))
            ElementCount($"W [{GateCount}*hidden_size={(long)GateCount * HiddenSize}, input_size={InputSize}]", GateCount, HiddenSize, InputSize);
        if (!Fits(GateCount, HiddenSize, recurrent))
            ElementCount($"R [{GateCount}*hidden_size={(long)GateCount * HiddenSize}, {(ProjectionSize > 0 ? "proj_size" : "hidden_size")}={recurrent}]",
                GateCount, HiddenSize, recurrent);
        if (ProjectionSize > 0 && !Fits(ProjectionSize, HiddenSize, 1))
            ElementCount($"W_hr [proj_size={ProjectionSize}, hidden_size={HiddenSize}]", ProjectionSize, HiddenSize, 1);
        if (Activations is not null && Activations.Count != DirectionCount * ActivationsPerDirection)
            throw new ArgumentException($"{Cell} with {DirectionCount} direction(s) needs {DirectionCount * ActivationsPerDirection} activations, got {Activations.Count}");
    }
}

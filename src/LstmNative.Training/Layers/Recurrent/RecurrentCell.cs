using System.Globalization;
using System.Numerics;
using LstmNative.Engines;
using LstmNative.Layers;
using LstmNative.Model;
using LstmNative.Training.Init;

namespace LstmNative.Training.Layers;

/// <summary>Gradients of one cell step: with respect to its input, its incoming hidden state and (LSTM) cell state.</summary>
/// <typeparam name="T">float or double.</typeparam>
/// <param name="DX">dL/dx <c>[B, I]</c>.</param>
/// <param name="DH">dL/d(incoming h) <c>[B, H]</c>: pass it to the previous step's <c>Backward</c>.</param>
/// <param name="DC">dL/d(incoming c) <c>[B, H]</c> (LSTM; null for GRU).</param>
public sealed record CellGradients<T>(Tensor<T> DX, Tensor<T> DH, Tensor<T>? DC) where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>
/// One time step of an LSTM or GRU (PyTorch's <c>nn.LSTMCell</c>/<c>nn.GRUCell</c>): the building block for loops the
/// multi-layer modules do not express (decoders feeding back their output, custom state handling). Each step runs one
/// layer step on <see cref="Engine"/>, so a cell equals a one-layer <see cref="Lstm{T}"/>/<see cref="Gru{T}"/> run
/// one step at a time. Parameters carry PyTorch's names (<c>weight_ih</c>, <c>weight_hh</c>, <c>bias_ih</c>, <c>bias_hh</c>).
/// </summary>
/// <remarks>
/// Back-propagation through an unrolled loop: in training mode every forward step is kept, and each
/// <see cref="Backward(Tensor{T}, Tensor{T})"/> differentiates the most recent step not yet differentiated, so call
/// them in reverse order of the forward steps, passing each step's <see cref="CellGradients{T}.DH"/> (and <c>DC</c>)
/// on to the step before. In evaluation mode nothing is kept (inference loops hold no memory);
/// <see cref="ClearPending"/> drops kept steps that will not be differentiated. Results are new tensors the caller owns.
/// </remarks>
/// <typeparam name="T">float or double.</typeparam>
public abstract class RecurrentCell<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly LayerWeights<T> _gradients;
    private readonly Stack<(RnnLayerPass<T> Pass, int Batch)> _pending = new();

    /// <summary>Creates the cell with the same initialisation as the multi-layer modules (see <see cref="RecurrentLayer{T}"/>).</summary>
    private protected RecurrentCell(RnnCellType cell, int inputSize, int hiddenSize, Random random, double forgetBias, IRnnLayerEngine<T>? engine)
    {
        ArgumentNullException.ThrowIfNull(random);
        var options = new RnnOptions(cell, inputSize, hiddenSize);
        Weights = new RnnModel<T>(options).Layers[0];
        _gradients = new RnnModel<T>(options).Layers[0];
        RnnInitializers.Initialize(Weights, random, forgetBias);
        Engine = engine ?? RnnLayerEngines.Default<T>();
        var w = Weights.Directions[0];
        var g = _gradients.Directions[0];
        int gh = w.Gates * w.HiddenSize;
        RegisterParameter("weight_ih", new Tensor<T>(w.W, gh, w.InputSize), new Tensor<T>(g.W, gh, w.InputSize));
        RegisterParameter("weight_hh", new Tensor<T>(w.R, gh, w.HiddenSize), new Tensor<T>(g.R, gh, w.HiddenSize));
        RegisterParameter("bias_ih", new Tensor<T>(w.Bw, gh), new Tensor<T>(g.Bw, gh));
        RegisterParameter("bias_hh", new Tensor<T>(w.Br, gh), new Tensor<T>(g.Br, gh));
    }

    /// <summary>The weights in the engine's layout (one forward direction); the parameters are views of these arrays.</summary>
    public LayerWeights<T> Weights { get; }

    /// <summary>Input features per step.</summary>
    public int InputSize => Weights.Options.InputSize;

    /// <summary>Hidden units.</summary>
    public int HiddenSize => Weights.Options.HiddenSize;

    /// <summary>The engine that runs each step.</summary>
    public IRnnLayerEngine<T> Engine { get; set; }

    /// <summary>Forward steps kept for <c>Backward</c> (training mode).</summary>
    public int PendingSteps => _pending.Count;

    /// <summary>Drops the kept forward steps (e.g. after a forward-only pass in training mode).</summary>
    public void ClearPending() => _pending.Clear();

    /// <summary>
    /// Copies the weights of one layer and direction of a multi-layer module into this cell, e.g. to run a trained
    /// <see cref="Lstm{T}"/> one step at a time.
    /// </summary>
    public void CopyFrom(RecurrentLayer<T> source, int layer = 0, int direction = 0)
    {
        ArgumentNullException.ThrowIfNull(source);
        var o = source.Options;
        if (o.Cell != Weights.Options.Cell)
            throw new ArgumentException($"cannot copy a {o.Cell} layer into a {Weights.Options.Cell} cell");
        if ((uint)layer >= (uint)o.NumLayers || (uint)direction >= (uint)o.DirectionCount)
            throw new ArgumentException($"layer {layer}, direction {direction} is outside the module's {o.NumLayers} layers of {o.DirectionCount} directions");
        var from = source.Weights.Layers[layer].Directions[direction];
        if (from.InputSize != InputSize || from.HiddenSize != HiddenSize)
            throw new ArgumentException($"layer {layer} maps {from.InputSize} to {from.HiddenSize} features; this cell maps {InputSize} to {HiddenSize}");
        using var src = from.Parameters().GetEnumerator();
        using var dst = Weights.Directions[0].Parameters().GetEnumerator();
        while (src.MoveNext() && dst.MoveNext())
            src.Current.CopyTo(dst.Current, 0);
    }

    /// <summary>One step from zero state: <c>x [B, I]</c> → <c>h' [B, H]</c>.</summary>
    public override Tensor<T> Forward(Tensor<T> input) => Run(input, null, null).H;

    /// <summary>Differentiates the most recent step started by <see cref="Forward(Tensor{T})"/>: dL/dh' → dL/dx.</summary>
    public override Tensor<T> Backward(Tensor<T> gradOutput) => Backward(gradOutput, null).DX;

    /// <summary>
    /// Differentiates the most recent forward step not yet differentiated, given dL/dh' (and dL/dc' for an LSTM; null
    /// for zero), accumulating the parameter gradients.
    /// </summary>
    public CellGradients<T> Backward(Tensor<T> gradHidden, Tensor<T>? gradCell)
    {
        ArgumentNullException.ThrowIfNull(gradHidden);
        if (!_pending.TryPop(out var step))
            throw new InvalidOperationException(IsTraining
                ? "Backward was called more often than Forward: every forward step was already differentiated"
                : "Backward needs forward steps run in training mode; in evaluation mode the cell keeps nothing");
        int b = step.Batch, h = HiddenSize;
        RequireState(gradHidden, b, "gradient of h");
        if (gradCell is not null && Weights.Options.Cell != RnnCellType.Lstm)
            throw new ArgumentException("a GRU cell has no cell state, but a cell-state gradient was given");
        if (gradCell is not null)
            RequireState(gradCell, b, "gradient of c");
        var g = step.Pass.Backward([], gradHidden.Data, gradCell is null ? [] : gradCell.Data);
        using (var src = g.Weights.Directions[0].Parameters().GetEnumerator())
        using (var dst = _gradients.Directions[0].Parameters().GetEnumerator())
            while (src.MoveNext() && dst.MoveNext())
                for (int i = 0; i < src.Current.Length; i++)
                    dst.Current[i] += src.Current[i];
        return new CellGradients<T>(new Tensor<T>(g.DX, b, InputSize), new Tensor<T>(g.DH0, b, h),
            Weights.Options.Cell == RnnCellType.Lstm ? new Tensor<T>(g.DC0, b, h) : null);
    }

    /// <summary>One step: checks the shapes, runs the engine, keeps the pass in training mode.</summary>
    private protected (Tensor<T> H, Tensor<T>? C) Run(Tensor<T> input, Tensor<T>? h, Tensor<T>? c)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 2 || input.Dim(1) != InputSize || input.Dim(0) < 1)
            throw new ArgumentException($"{TypeNames.Friendly(GetType())} expects x [B, {InputSize}] with B >= 1, got {input}");
        int b = input.Dim(0);
        if (h is not null)
            RequireState(h, b, "h");
        if (c is not null)
            RequireState(c, b, "c");
        var pass = Engine.Forward(Weights, input.Data, 1, b, [], h is null ? [] : h.Data, c is null ? [] : c.Data);
        if (IsTraining)
            _pending.Push((pass, b));
        var hOut = new Tensor<T>((T[])pass.Hn.Clone(), b, HiddenSize);
        var cOut = Weights.Options.Cell == RnnCellType.Lstm ? new Tensor<T>((T[])pass.Cn.Clone(), b, HiddenSize) : null;
        return (hOut, cOut);
    }

    private void RequireState(Tensor<T> state, int batch, string what)
    {
        if (!state.HasShape([batch, HiddenSize]))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{TypeNames.Friendly(GetType())}: {what} must be [{batch}, {HiddenSize}] (batch, hidden), got {state}"));
    }
}

/// <summary>
/// PyTorch's <c>nn.LSTMCell</c>: <c>(h', c') = cell.Forward(x, h, c)</c> with <c>x [B, I]</c> and states <c>[B, H]</c>
/// (null for zeros). See <see cref="RecurrentCell{T}"/> for the backward pass through unrolled loops.
/// </summary>
/// <example>
/// <code>
/// var cell = new LstmCell&lt;float&gt;(inputSize: 3, hiddenSize: 8, new Random(1));
/// Tensor&lt;float&gt;? h = null, c = null;
/// for (int t = 0; t &lt; steps; t++)
///     (h, c) = cell.Forward(x[t], h, c);
/// </code>
/// </example>
/// <typeparam name="T">float or double.</typeparam>
public sealed class LstmCell<T> : RecurrentCell<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the cell; the forget-gate bias starts at <paramref name="forgetBias"/> (1 by default).</summary>
    public LstmCell(int inputSize, int hiddenSize, Random random, double forgetBias = 1.0, IRnnLayerEngine<T>? engine = null)
        : base(RnnCellType.Lstm, inputSize, hiddenSize, random, forgetBias, engine)
    {
    }

    /// <summary>One step: returns the new hidden and cell states <c>[B, H]</c> (new tensors).</summary>
    public (Tensor<T> H, Tensor<T> C) Forward(Tensor<T> input, Tensor<T>? h, Tensor<T>? c)
    {
        var (hOut, cOut) = Run(input, h, c);
        return (hOut, cOut!);
    }
}

/// <summary>
/// PyTorch's <c>nn.GRUCell</c>: <c>h' = cell.Forward(x, h)</c> with <c>x [B, I]</c> and <c>h [B, H]</c> (null for zeros);
/// the reset gate applies after the recurrent product, as PyTorch's does. See <see cref="RecurrentCell{T}"/>.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class GruCell<T> : RecurrentCell<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the cell.</summary>
    public GruCell(int inputSize, int hiddenSize, Random random, IRnnLayerEngine<T>? engine = null)
        : base(RnnCellType.Gru, inputSize, hiddenSize, random, 0, engine)
    {
    }

    /// <summary>One step: returns the new hidden state <c>[B, H]</c> (a new tensor).</summary>
    public Tensor<T> Forward(Tensor<T> input, Tensor<T>? h) => Run(input, h, null).H;
}

using System.Numerics;
using LstmNative.Engines;
using LstmNative.Formats;
using LstmNative.Layers;
using LstmNative.Model;
using LstmNative.Training.Init;

namespace LstmNative.Training.Layers;

/// <summary>
/// A multi-layer LSTM or GRU as a training module: input <c>[B, T, I]</c> and output <c>[B, T, D*H]</c> when
/// <see cref="BatchFirst"/> (the default here, like the rest of the stack; PyTorch's default is time-major), else
/// <c>[T, B, I]</c> and <c>[T, B, D*H]</c>; per-row sequence lengths through <see cref="Forward(Tensor{T}, ReadOnlySpan{int})"/>;
/// dropout between layers in training. Parameters carry PyTorch's <c>nn.LSTM</c> names and
/// gate order (<c>weight_ih_l0</c>, <c>weight_hh_l0</c>, <c>bias_ih_l0</c>, <c>bias_hh_l0</c>, <c>..._reverse</c>),
/// so a checkpoint maps one-to-one onto a PyTorch state dict. Each layer runs on <see cref="Engine"/>.
/// </summary>
/// <remarks>
/// State: <see cref="InitialHidden"/>/<see cref="InitialCell"/> (<c>[L*D, B, H]</c>) start the sequence when set;
/// otherwise, with <see cref="Stateful"/>, the final state of the previous call does (detached: gradients stop at the
/// chunk boundary, which is truncated back-propagation through time); otherwise zeros.
/// </remarks>
/// <typeparam name="T">float or double.</typeparam>
public abstract class RecurrentLayer<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly RnnModel<T> _gradients;
    private Random _dropoutRandom;
    private Cache? _cache;
    private Tensor<T>? _output, _gradInput;
    private T[]? _carriedH, _carriedC;

    /// <summary>
    /// Creates the layers with Keras-style initialisation drawn from <paramref name="random"/>: Xavier-uniform input
    /// weights, orthogonal recurrent weights, zero biases, and for LSTM the forget-gate bias <paramref name="forgetBias"/>.
    /// </summary>
    protected RecurrentLayer(RnnCellType cell, int inputSize, int hiddenSize, Random random, int numLayers, double dropout,
        bool bidirectional, double forgetBias, IRnnLayerEngine<T>? engine, bool batchFirst = true)
    {
        ArgumentNullException.ThrowIfNull(random);
        Options = new RnnOptions(cell, inputSize, hiddenSize, numLayers, Bias: true, BatchFirst: batchFirst, dropout, bidirectional);
        Weights = new RnnModel<T>(Options);
        _gradients = new RnnModel<T>(Options);
        foreach (var layer in Weights.Layers)
            RnnInitializers.Initialize(layer, random, forgetBias);
        _dropoutRandom = new Random(random.Next());
        Engine = engine ?? RnnLayerEngines.Default<T>();
        for (int l = 0; l < numLayers; l++)
            for (int d = 0; d < Options.DirectionCount; d++)
            {
                string suffix = PyTorchStateDict.ParameterSuffix(l, d);
                var w = Weights.Layers[l].Directions[d];
                var g = _gradients.Layers[l].Directions[d];
                int gh = w.Gates * w.HiddenSize;
                RegisterParameter("weight_ih" + suffix, new Tensor<T>(w.W, gh, w.InputSize), new Tensor<T>(g.W, gh, w.InputSize));
                RegisterParameter("weight_hh" + suffix, new Tensor<T>(w.R, gh, w.HiddenSize), new Tensor<T>(g.R, gh, w.HiddenSize));
                RegisterParameter("bias_ih" + suffix, new Tensor<T>(w.Bw, gh), new Tensor<T>(g.Bw, gh));
                RegisterParameter("bias_hh" + suffix, new Tensor<T>(w.Br, gh), new Tensor<T>(g.Br, gh));
            }
    }

    /// <summary>The network's shape.</summary>
    public RnnOptions Options { get; }

    /// <summary>Whether input and output are <c>[B, T, F]</c> (true) or time-major <c>[T, B, F]</c> (PyTorch's default).</summary>
    public bool BatchFirst => Options.BatchFirst;

    /// <summary>The weights, in the engine's layout; the registered parameters are views of these arrays.</summary>
    public RnnModel<T> Weights { get; }

    /// <summary>The engine that runs each layer; switch it to change speed, not results.</summary>
    public IRnnLayerEngine<T> Engine { get; set; }

    /// <summary>Whether each call starts from the previous call's final state (see the remarks).</summary>
    public bool Stateful { get; set; }

    /// <summary>Initial hidden state <c>[L*D, B, H]</c> for the next calls, or null.</summary>
    public Tensor<T>? InitialHidden { get; set; }

    /// <summary>Initial cell state <c>[L*D, B, H]</c> (LSTM) for the next calls, or null.</summary>
    public Tensor<T>? InitialCell { get; set; }

    /// <summary>Final hidden state of every layer and direction after the last call, <c>[L*D, B, H]</c>.</summary>
    public Tensor<T>? FinalHidden { get; private set; }

    /// <summary>Final cell state after the last call (LSTM), <c>[L*D, B, H]</c>.</summary>
    public Tensor<T>? FinalCell { get; private set; }

    /// <summary>dL/d(initial hidden state) from the last backward pass, <c>[L*D, B, H]</c>.</summary>
    public Tensor<T>? InitialHiddenGrad { get; private set; }

    /// <summary>dL/d(initial cell state) from the last backward pass (LSTM), <c>[L*D, B, H]</c>.</summary>
    public Tensor<T>? InitialCellGrad { get; private set; }

    /// <summary>Forgets the carried state of a stateful layer (call at the start of each pass over a series).</summary>
    public void ResetState()
    {
        _carriedH = null;
        _carriedC = null;
    }

    /// <summary>Restarts the dropout mask stream (for reproducible forwards, e.g. in gradient checks).</summary>
    public void ReseedDropout(int seed) => _dropoutRandom = new Random(seed);

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> input) => Forward(input, []);

    /// <summary>
    /// Runs every row for its own number of steps (PyTorch's packed sequences, ONNX's <c>sequence_lens</c>): nothing is
    /// computed on a row's padding, its outputs there are zero, <see cref="FinalHidden"/>/<see cref="FinalCell"/> hold
    /// its last valid state (the reverse direction starts at the row's own last step), and <see cref="Backward(Tensor{T})"/>
    /// ignores the gradient given for the padding.
    /// </summary>
    /// <param name="input"><c>[B, T, I]</c> (time-major layers: <c>[T, B, I]</c>).</param>
    /// <param name="sequenceLengths">Valid steps per batch row, each in [0, T]; empty for all <c>T</c>.</param>
    public Tensor<T> Forward(Tensor<T> input, ReadOnlySpan<int> sequenceLengths)
    {
        int[]? lengths = sequenceLengths.IsEmpty ? null : sequenceLengths.ToArray();
        ArgumentNullException.ThrowIfNull(input);
        var o = Options;
        string layout = o.BatchFirst ? $"[B, T, {o.InputSize}] (batch-first)" : $"[T, B, {o.InputSize}] (time-major)";
        if (input.Rank != 3 || input.Dim(2) != o.InputSize || input.Dim(0) < 1 || input.Dim(1) < 1)
            throw new ArgumentException($"{TypeNames.Friendly(GetType())} expects {layout} with B, T >= 1, got {input}");
        int batch = o.BatchFirst ? input.Dim(0) : input.Dim(1), steps = o.BatchFirst ? input.Dim(1) : input.Dim(0);
        if (lengths is not null)
        {
            if (lengths.Length != batch)
                throw new ArgumentException($"{lengths.Length} sequence lengths for a batch of {batch} rows (input {input}, {layout})");
            for (int b = 0; b < batch; b++)
                if (lengths[b] < 0 || lengths[b] > steps)
                    throw new ArgumentOutOfRangeException(nameof(sequenceLengths), $"sequence length {lengths[b]} of row {b} is outside [0, {steps}]");
        }
        int dirs = o.DirectionCount, h = o.HiddenSize, layers = o.NumLayers;
        int state = dirs * batch * h;
        var (h0, c0) = StartState(batch, layers * state);

        var passes = new RnnLayerPass<T>[layers];
        var masks = new T[]?[layers];
        var hn = new T[layers * state];
        var cn = new T[o.Cell == RnnCellType.Lstm ? hn.Length : 0];
        T[] x = o.BatchFirst ? SwapFirstTwo(input.Data, batch, steps, o.InputSize) : input.Data; // the engines run time-major
        for (int l = 0; l < layers; l++)
        {
            var pass = passes[l] = Engine.Forward(Weights.Layers[l], x, steps, batch, lengths ?? [],
                h0 is null ? [] : h0.AsSpan(l * state, state), c0 is null ? [] : c0.AsSpan(l * state, state));
            pass.Hn.CopyTo(hn, l * state);
            if (cn.Length > 0)
                pass.Cn.CopyTo(cn, l * state);
            x = dirs == 1 ? (T[])pass.Y.Clone() : InterleaveDirections(pass.Y, steps, batch, h);
            if (IsTraining && o.Dropout > 0 && l < layers - 1)
                masks[l] = ApplyDropout(x, o.Dropout);
        }
        FinalHidden = new Tensor<T>(hn, layers * dirs, batch, h);
        FinalCell = cn.Length > 0 ? new Tensor<T>(cn, layers * dirs, batch, h) : null;
        if (Stateful)
        {
            _carriedH = (T[])hn.Clone();
            _carriedC = cn.Length > 0 ? (T[])cn.Clone() : null;
        }
        var output = _output = Tensor<T>.Reuse(_output, o.BatchFirst ? [batch, steps, o.OutputSize] : [steps, batch, o.OutputSize]);
        (o.BatchFirst ? SwapFirstTwo(x, steps, batch, o.OutputSize) : x).CopyTo(output.Data, 0);
        _cache = new Cache(passes, masks, batch, steps);
        return output;
    }

    /// <inheritdoc/>
    public override Tensor<T> Backward(Tensor<T> gradOutput) => Backward(gradOutput, null, null);

    /// <summary>
    /// Back-propagates dL/d(output) plus, when given, dL/d(<see cref="FinalHidden"/>) and dL/d(<see cref="FinalCell"/>)
    /// (<c>[L*D, B, H]</c>, e.g. from a decoder started at an encoder's final state), honouring the forward pass's
    /// sequence lengths.
    /// </summary>
    public Tensor<T> Backward(Tensor<T> gradOutput, Tensor<T>? gradFinalHidden, Tensor<T>? gradFinalCell)
    {
        var cache = RequireForward(_cache);
        RequireSameShape(gradOutput, _output!);
        var o = Options;
        int batch = cache.Batch, steps = cache.Steps, dirs = o.DirectionCount, h = o.HiddenSize, layers = o.NumLayers;
        int state = dirs * batch * h;
        var dH0 = new T[layers * state];
        var dC0 = new T[o.Cell == RnnCellType.Lstm ? dH0.Length : 0];
        if (gradFinalHidden is not null && gradFinalHidden.Length != dH0.Length)
            throw new ArgumentException($"gradient of the final hidden state {gradFinalHidden} does not match [{layers * dirs}, {batch}, {h}]");
        if (gradFinalCell is not null && gradFinalCell.Length != dC0.Length)
            throw new ArgumentException($"gradient of the final cell state {gradFinalCell} does not match [{layers * dirs}, {batch}, {h}]");
        T[] dx = o.BatchFirst ? SwapFirstTwo(gradOutput.Data, batch, steps, o.OutputSize) : (T[])gradOutput.Data.Clone();
        for (int l = layers - 1; l >= 0; l--)
        {
            if (cache.Masks[l] is { } mask)
                for (int i = 0; i < dx.Length; i++)
                    dx[i] *= mask[i];
            T[] dY = dirs == 1 ? dx : SplitDirections(dx, steps, batch, h);
            var g = cache.Passes[l].Backward(dY,
                gradFinalHidden is null ? [] : gradFinalHidden.Data.AsSpan(l * state, state),
                gradFinalCell is null ? [] : gradFinalCell.Data.AsSpan(l * state, state));
            g.DH0.CopyTo(dH0, l * state);
            if (dC0.Length > 0)
                g.DC0.CopyTo(dC0, l * state);
            for (int d = 0; d < dirs; d++)
            {
                using var src = g.Weights.Directions[d].Parameters().GetEnumerator();
                using var dst = _gradients.Layers[l].Directions[d].Parameters().GetEnumerator();
                while (src.MoveNext() && dst.MoveNext())
                    for (int i = 0; i < src.Current.Length; i++)
                        dst.Current[i] += src.Current[i];
            }
            dx = g.DX;
        }
        InitialHiddenGrad = new Tensor<T>(dH0, layers * dirs, batch, h);
        InitialCellGrad = dC0.Length > 0 ? new Tensor<T>(dC0, layers * dirs, batch, h) : null;
        var gradInput = _gradInput = Tensor<T>.Reuse(_gradInput, o.BatchFirst ? [batch, steps, o.InputSize] : [steps, batch, o.InputSize]);
        (o.BatchFirst ? SwapFirstTwo(dx, steps, batch, o.InputSize) : dx).CopyTo(gradInput.Data, 0);
        return gradInput;
    }

    private (T[]? H0, T[]? C0) StartState(int batch, int length)
    {
        string shape = $"[{Options.NumLayers * Options.DirectionCount}, {batch}, {Options.HiddenSize}]";
        if (InitialHidden is not null || InitialCell is not null)
        {
            if (InitialHidden is not null && InitialHidden.Length != length)
                throw new ArgumentException($"initial hidden state {InitialHidden} does not match {shape}");
            if (InitialCell is not null && (Options.Cell != RnnCellType.Lstm || InitialCell.Length != length))
                throw new ArgumentException(Options.Cell == RnnCellType.Lstm
                    ? $"initial cell state {InitialCell} does not match {shape}"
                    : "a GRU has no cell state, but an initial cell state was set");
            return (InitialHidden?.Data, InitialCell?.Data);
        }
        if (Stateful && _carriedH is not null)
        {
            if (_carriedH.Length != length)
                throw new ArgumentException($"a stateful layer carries the state of a batch of {_carriedH.Length / (length / batch)} rows but got {batch}; call ResetState when the batch changes");
            return (_carriedH, _carriedC);
        }
        return (null, null);
    }

    private T[] ApplyDropout(T[] x, double p)
    {
        var mask = new T[x.Length];
        T keep = p >= 1 ? T.Zero : T.CreateChecked(1 / (1 - p));
        for (int i = 0; i < mask.Length; i++)
        {
            mask[i] = _dropoutRandom.NextDouble() < p ? T.Zero : keep;
            x[i] *= mask[i];
        }
        return mask;
    }

    // [A, B, C] -> [B, A, C]
    private static T[] SwapFirstTwo(ReadOnlySpan<T> v, int a, int b, int c)
    {
        var result = new T[v.Length];
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++)
                v.Slice((i * b + j) * c, c).CopyTo(result.AsSpan((j * a + i) * c, c));
        return result;
    }

    // [T, 2, B, H] -> [T, B, 2H]
    private static T[] InterleaveDirections(T[] y, int steps, int batch, int h)
    {
        var result = new T[y.Length];
        for (int t = 0; t < steps; t++)
            for (int d = 0; d < 2; d++)
                for (int b = 0; b < batch; b++)
                    Array.Copy(y, ((t * 2 + d) * batch + b) * h, result, ((t * batch + b) * 2 + d) * h, h);
        return result;
    }

    // [T, B, 2H] -> [T, 2, B, H]
    private static T[] SplitDirections(T[] y, int steps, int batch, int h)
    {
        var result = new T[y.Length];
        for (int t = 0; t < steps; t++)
            for (int d = 0; d < 2; d++)
                for (int b = 0; b < batch; b++)
                    Array.Copy(y, ((t * batch + b) * 2 + d) * h, result, ((t * 2 + d) * batch + b) * h, h);
        return result;
    }

    private sealed record Cache(RnnLayerPass<T>[] Passes, T[]?[] Masks, int Batch, int Steps);
}

/// <summary>A multi-layer LSTM module (PyTorch's <c>nn.LSTM</c>, <c>batch_first=True</c> unless <c>batchFirst: false</c>); see <see cref="RecurrentLayer{T}"/>.</summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class Lstm<T> : RecurrentLayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the layers; the forget-gate bias starts at <paramref name="forgetBias"/> (1 by default).</summary>
    public Lstm(int inputSize, int hiddenSize, Random random, int numLayers = 1, double dropout = 0, bool bidirectional = false,
        double forgetBias = 1.0, IRnnLayerEngine<T>? engine = null, bool batchFirst = true)
        : base(RnnCellType.Lstm, inputSize, hiddenSize, random, numLayers, dropout, bidirectional, forgetBias, engine, batchFirst)
    {
    }
}

/// <summary>A multi-layer GRU module (PyTorch's <c>nn.GRU</c>, <c>batch_first=True</c> unless <c>batchFirst: false</c>); see <see cref="RecurrentLayer{T}"/>.</summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class Gru<T> : RecurrentLayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the layers.</summary>
    public Gru(int inputSize, int hiddenSize, Random random, int numLayers = 1, double dropout = 0, bool bidirectional = false,
        IRnnLayerEngine<T>? engine = null, bool batchFirst = true)
        : base(RnnCellType.Gru, inputSize, hiddenSize, random, numLayers, dropout, bidirectional, 0, engine, batchFirst)
    {
    }
}

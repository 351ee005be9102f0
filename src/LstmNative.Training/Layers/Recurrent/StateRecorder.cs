using System.Numerics;
using LstmNative.Engines;
using LstmNative.Model;

namespace LstmNative.Training.Layers;

/// <summary>
/// The hidden and cell state of every layer and direction at every time step of one forward pass, for inspection and
/// plots: <c>Hidden[L*D, B, T, H]</c> and <c>Cell</c> (LSTM) alike, index <c>layer * D + direction</c> as in
/// <c>h_n</c>; entry <c>t</c> is the state after the input at time <c>t</c> (for the reverse direction too), so the
/// last layer's hidden states are the module's output and step <c>T-1</c> (step 0 reversed) its final state.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
/// <param name="Hidden">Hidden states <c>[L*D, B, T, H]</c>.</param>
/// <param name="Cell">Cell states <c>[L*D, B, T, H]</c> (LSTM; null for GRU).</param>
public sealed record RecurrentStates<T>(Tensor<T> Hidden, Tensor<T>? Cell) where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Layers times directions.</summary>
    public int Stacks => Hidden.Dim(0);

    /// <summary>Batch rows.</summary>
    public int Batch => Hidden.Dim(1);

    /// <summary>Time steps.</summary>
    public int Steps => Hidden.Dim(2);

    /// <summary>Hidden units.</summary>
    public int HiddenSize => Hidden.Dim(3);

    /// <summary>Stacked layers (set by the recorder; <see cref="Stacks"/> / <see cref="Layers"/> is the direction count).</summary>
    public int Layers { get; init; } = 1;

    /// <summary>The cell states of one batch row and direction as <c>[layer][step][unit]</c>, the diagnostics plot's input.</summary>
    public double[][][] CellStatesOf(int row, int direction = 0) =>
        Slice(Cell ?? throw new InvalidOperationException("a GRU has no cell state; use HiddenStatesOf"), row, direction);

    /// <summary>The hidden states of one batch row and direction as <c>[layer][step][unit]</c>.</summary>
    public double[][][] HiddenStatesOf(int row, int direction = 0) => Slice(Hidden, row, direction);

    private double[][][] Slice(Tensor<T> states, int row, int direction)
    {
        int directions = Stacks / Layers, b = Batch, t = Steps, h = HiddenSize;
        if ((uint)row >= (uint)b || (uint)direction >= (uint)directions)
            throw new ArgumentOutOfRangeException(nameof(row), $"row {row}, direction {direction} is outside {b} rows and {directions} directions");
        var result = new double[Layers][][];
        for (int l = 0; l < Layers; l++)
        {
            result[l] = new double[t][];
            for (int s = 0; s < t; s++)
            {
                var unit = new double[h];
                int at = (((l * directions + direction) * b + row) * t + s) * h;
                for (int u = 0; u < h; u++)
                    unit[u] = double.CreateChecked(states.Data[at + u]);
                result[l][s] = unit;
            }
        }
        return result;
    }
}

/// <summary>
/// Opt-in recording of every step's hidden and cell state of a <see cref="RecurrentLayer{T}"/>: while attached
/// (<c>using var recorder = lstm.RecordStates();</c>), every forward pass of the layer, on its own or inside a model,
/// also leaves <see cref="Last"/>. Recording reruns each layer one step at a time on the layer's own engine with the
/// exact inputs and initial states the layer saw (dropout included), so it costs about one more forward pass;
/// the layer's outputs and gradients are untouched. <see cref="Dispose"/> detaches it.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class StateRecorder<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly RecurrentLayer<T> _layer;
    private readonly IRnnLayerEngine<T> _inner;
    private readonly RecordingEngine _engine;
    private T[]? _hidden, _cell;
    private int _batch, _steps;

    internal StateRecorder(RecurrentLayer<T> layer)
    {
        if (layer.Engine is RecordingEngine)
            throw new InvalidOperationException("this layer already has a state recorder attached");
        _layer = layer;
        _inner = layer.Engine;
        _engine = new RecordingEngine(this);
        layer.Engine = _engine;
    }

    /// <summary>The states of the last complete forward pass, or null before one.</summary>
    public RecurrentStates<T>? Last { get; private set; }

    /// <summary>Detaches the recorder: the layer runs on its engine alone again.</summary>
    public void Dispose()
    {
        if (ReferenceEquals(_layer.Engine, _engine))
            _layer.Engine = _inner;
    }

    private void Record(int layer, LayerWeights<T> weights, ReadOnlySpan<T> x, int steps, int batch, ReadOnlySpan<int> lengths,
        ReadOnlySpan<T> h0, ReadOnlySpan<T> c0)
    {
        var o = _layer.Options;
        int dirs = o.DirectionCount, h = o.HiddenSize, input = weights.Options.InputSize;
        bool lstm = o.Cell == RnnCellType.Lstm;
        if (layer == 0)
        {
            _batch = batch;
            _steps = steps;
            _hidden = new T[o.NumLayers * dirs * batch * steps * h];
            _cell = lstm ? new T[_hidden.Length] : null;
        }
        var xt = new T[batch * input];
        var stepLengths = new int[batch];
        for (int d = 0; d < dirs; d++)
        {
            // One direction as a forward-only layer sharing its arrays, stepped in its own time order.
            var view = new LayerWeights<T>(weights.Options with { Direction = RnnDirection.Forward, Activations = null });
            view.Directions[0] = weights.Directions[d];
            int state = batch * h;
            T[] hPrev = h0.IsEmpty ? [] : h0.Slice(d * state, state).ToArray();
            T[] cPrev = c0.IsEmpty ? [] : c0.Slice(d * state, state).ToArray();
            for (int s = 0; s < steps; s++)
            {
                // Row b walks its own length: the reverse direction starts at its last valid step, and a finished row
                // gets a step of length 0 (its state stays) and records nothing (its states there stay zero).
                for (int b = 0; b < batch; b++)
                {
                    int length = lengths.IsEmpty ? steps : lengths[b];
                    stepLengths[b] = s < length ? 1 : 0;
                    int t = d == 0 ? s : length - 1 - s;
                    if (stepLengths[b] == 1)
                        x.Slice((t * batch + b) * input, input).CopyTo(xt.AsSpan(b * input, input));
                }
                var pass = _inner.Forward(view, xt, 1, batch, stepLengths, hPrev, cPrev);
                hPrev = pass.Hn;
                cPrev = lstm ? pass.Cn : [];
                int stack = layer * dirs + d;
                for (int b = 0; b < batch; b++)
                {
                    if (stepLengths[b] == 0)
                        continue;
                    int t = d == 0 ? s : (lengths.IsEmpty ? steps : lengths[b]) - 1 - s;
                    int at = ((stack * batch + b) * steps + t) * h;
                    hPrev.AsSpan(b * h, h).CopyTo(_hidden.AsSpan(at, h));
                    if (_cell is not null)
                        cPrev.AsSpan(b * h, h).CopyTo(_cell.AsSpan(at, h));
                }
            }
        }
        if (layer == o.NumLayers - 1)
        {
            int stacks = o.NumLayers * dirs;
            Last = new RecurrentStates<T>(new Tensor<T>(_hidden!, stacks, _batch, _steps, h),
                _cell is null ? null : new Tensor<T>(_cell, stacks, _batch, _steps, h)) { Layers = o.NumLayers };
        }
    }

    // Runs the layer's engine as before and records the states beside it.
    private sealed class RecordingEngine(StateRecorder<T> recorder) : IRnnLayerEngine<T>
    {
        public string Name => recorder._inner.Name;

        public RnnLayerPass<T> Forward(LayerWeights<T> weights, ReadOnlySpan<T> x, int steps, int batch, ReadOnlySpan<int> sequenceLengths,
            ReadOnlySpan<T> h0, ReadOnlySpan<T> c0)
        {
            var pass = recorder._inner.Forward(weights, x, steps, batch, sequenceLengths, h0, c0);
            int layer = IndexOf(recorder._layer.Weights.Layers, weights);
            if (layer >= 0)
                recorder.Record(layer, weights, x, steps, batch, sequenceLengths, h0, c0);
            return pass;
        }

        private static int IndexOf(IReadOnlyList<LayerWeights<T>> layers, LayerWeights<T> weights)
        {
            for (int i = 0; i < layers.Count; i++)
                if (ReferenceEquals(layers[i], weights))
                    return i;
            return -1;
        }
    }
}

/// <summary>Attaches a <see cref="StateRecorder{T}"/>.</summary>
public static class StateRecording
{
    /// <summary>
    /// Starts recording every step's hidden and cell state of <paramref name="layer"/>; read
    /// <see cref="StateRecorder{T}.Last"/> after a forward pass, dispose the recorder to stop.
    /// </summary>
    public static StateRecorder<T> RecordStates<T>(this RecurrentLayer<T> layer) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(layer);
        return new StateRecorder<T>(layer);
    }
}

using LstmNative.Cpu.Kernels;
using LstmNative.Model;

namespace LstmNative.Cpu;

/// <summary>
/// The "prepare" step of static int8 (<see cref="Int8Calibration"/>): runs the float32 model layer by layer over
/// representative inputs (<see cref="Observe"/>, as often as there are batches) and records, per layer, the magnitudes
/// of its input x and, per direction, of its hidden state h at every valid step; <see cref="ToCalibration"/> turns them
/// into ranges (the largest magnitude seen, or a percentile of them). One caller at a time.
/// </summary>
/// <remarks>
/// Every sequence starts from a zero state here. A model run later with initial states (<c>initialH</c>) whose
/// magnitudes exceed the hidden ranges observed saturates them at its first step: calibrate on sequences that reach
/// the states the model will start from (e.g. the earlier chunks of a stream).
/// </remarks>
/// <example>
/// <code>
/// using var calibrator = new Int8Calibrator(layers, maxBatch: 8, maxSteps: 100);
/// foreach (var (x, steps, batch) in calibrationBatches)
///     calibrator.Observe(x, steps, batch);
/// var model = new CpuRnnModel(layers, calibrator.ToCalibration());   // "convert"
/// </code>
/// </example>
public sealed unsafe class Int8Calibrator : IDisposable
{
    private readonly CpuRnnSession[] _sessions;
    private readonly LayerRangeObserver[] _observers;
    private readonly float[] _y;
    private readonly float[] _next;
    private readonly int _maxBatch;
    private readonly int _maxSteps;
    private bool _disposed;

    /// <summary>Packs <paramref name="layers"/> in float32 for calibration runs of at most <paramref name="maxBatch"/> rows and <paramref name="maxSteps"/> steps.</summary>
    public Int8Calibrator(IReadOnlyList<LayerWeights<float>> layers, int maxBatch, int maxSteps)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var model = new CpuRnnModel(layers); // checks the stack (sizes, at least one layer)
        _sessions = new CpuRnnSession[layers.Count];
        _observers = new LayerRangeObserver[layers.Count];
        int widest = 0;
        for (int l = 0; l < layers.Count; l++)
        {
            var o = model.Layers[l];
            _sessions[l] = new CpuRnnModel([layers[l]]).CreateSession(maxBatch, maxSteps);
            _observers[l] = new LayerRangeObserver(l, o);
            widest = Math.Max(widest, o.DirectionCount * o.HiddenSize);
        }
        _y = new float[(long)maxSteps * maxBatch * widest];
        _next = new float[(long)maxSteps * maxBatch * widest];
        Layers = model.Layers;
        _maxBatch = maxBatch;
        _maxSteps = maxSteps;
    }

    /// <summary>The layers' options, first layer first.</summary>
    public IReadOnlyList<RnnLayerOptions> Layers { get; }

    /// <summary>Batch rows observed so far.</summary>
    public long Rows { get; private set; }

    /// <summary>
    /// Runs the float32 model over one batch and records the magnitudes of every layer's input and hidden state at each
    /// row's valid steps (padding past a row's length is not recorded).
    /// </summary>
    /// <param name="x">Input <c>[T, B, I]</c>; must be finite at each row's valid steps.</param>
    /// <param name="steps">T, 1 ≤ T ≤ the constructor's <c>maxSteps</c>.</param>
    /// <param name="batch">B, 1 ≤ B ≤ the constructor's <c>maxBatch</c>.</param>
    /// <param name="sequenceLengths">Valid length per row; empty means all T.</param>
    /// <exception cref="ArgumentException">A size or length that does not fit, non-finite input, or a state that became
    /// non-finite (the model is unusable for int8 then). A refused call leaves the calibration as it was.</exception>
    public void Observe(ReadOnlySpan<float> x, int steps, int batch, ReadOnlySpan<int> sequenceLengths = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // The whole call before any work: the buffers below are sized by the limits (slicing them past a limit gave a
        // generic ArgumentOutOfRangeException), and x's values are checked before any layer runs or records.
        RnnShapeChecks.CheckInputs(Layers[0], x.Length, steps, batch, sequenceLengths, 0, 0, []);
        if (batch > _maxBatch)
            throw new ArgumentException($"batch {batch} exceeds the calibrator's maximum batch {_maxBatch} (maxBatch when it was created)");
        if (steps > _maxSteps)
            throw new ArgumentException($"sequence length {steps} exceeds the calibrator's maximum sequence length {_maxSteps} (maxSteps when it was created)");
        _observers[0].CheckInput(x, steps, batch, sequenceLengths);
        // A hidden state can still turn non-finite in any layer, after earlier layers recorded: keep the calibration as
        // it was before this call, to restore when the call is refused.
        foreach (var observer in _observers)
            observer.Save();
        try
        {
            var input = x;
            for (int l = 0; l < _sessions.Length; l++)
            {
                var o = Layers[l];
                int dirs = o.DirectionCount, h = o.HiddenSize;
                var y = _y.AsSpan(0, steps * dirs * batch * h);
                _sessions[l].Run(input, steps, batch, y, sequenceLengths: sequenceLengths); // checks again; starts from zeros, so no state carries over
                _observers[l].Record(input, y, steps, batch, sequenceLengths);
                if (l + 1 == _sessions.Length)
                    break;
                // Y [T, D, B, H] → the next layer's input [T, B, D·H].
                var next = _next.AsSpan(0, steps * batch * dirs * h);
                for (int t = 0; t < steps; t++)
                    for (int d = 0; d < dirs; d++)
                        for (int b = 0; b < batch; b++)
                            y.Slice(((t * dirs + d) * batch + b) * h, h).CopyTo(next.Slice(((t * batch + b) * dirs + d) * h, h));
                input = next;
            }
        }
        catch
        {
            foreach (var observer in _observers)
                observer.Restore();
            throw;
        }
        Rows += batch;
    }

    /// <summary>
    /// The ranges observed so far: per layer and tensor, the largest magnitude seen (<paramref name="percentile"/> 100),
    /// or the given percentile of all magnitudes seen (e.g. 99.99: the rare largest values then saturate, and the rest
    /// get a finer scale), resolved to within 1.6 % (a histogram of 64 bins per octave) and never above the maximum.
    /// Measured on random layers with uniform inputs (docs/benchmarks.md, "Static int8"), the maximum was as accurate as
    /// the 99.99th percentile and lower percentiles were worse: clip only where outliers inflate the range.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="percentile"/> not in (0, 100].</exception>
    /// <exception cref="InvalidOperationException">Nothing observed yet.</exception>
    public Int8Calibration ToCalibration(double percentile = 100)
    {
        LayerRangeObserver.CheckPercentile(percentile);
        if (Rows == 0)
            throw new InvalidOperationException("observe at least one batch before asking for the calibration");
        return new Int8Calibration(Array.ConvertAll(_observers, o => o.Ranges(percentile)));
    }

    /// <summary>Releases the calibration sessions' worker threads.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var s in _sessions)
            s.Dispose();
    }
}

using LstmNative.Cpu.Kernels;
using LstmNative.Model;

namespace LstmNative.Cpu;

/// <summary>
/// The "prepare" step of static int8 (<see cref="Int8Calibration"/>): runs the float32 model layer by layer over
/// representative inputs (<see cref="Observe"/>, as often as there are batches) and records, per layer, the magnitudes
/// of its input x and, per direction, of its hidden state h at every valid step; <see cref="ToCalibration"/> turns them
/// into ranges (the largest magnitude seen, or a percentile of them). One caller at a time.
/// </summary>
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
    private readonly RangeObserver[] _inputs;
    private readonly RangeObserver[][] _hidden;
    private readonly float[] _y;
    private readonly float[] _next;
    private readonly int[] _lengths;
    private bool _disposed;

    /// <summary>Packs <paramref name="layers"/> in float32 for calibration runs of at most <paramref name="maxBatch"/> rows and <paramref name="maxSteps"/> steps.</summary>
    public Int8Calibrator(IReadOnlyList<LayerWeights<float>> layers, int maxBatch, int maxSteps)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var model = new CpuRnnModel(layers); // checks the stack (sizes, at least one layer)
        _sessions = new CpuRnnSession[layers.Count];
        _inputs = new RangeObserver[layers.Count];
        _hidden = new RangeObserver[layers.Count][];
        int widest = 0;
        for (int l = 0; l < layers.Count; l++)
        {
            var o = model.Layers[l];
            _sessions[l] = new CpuRnnModel([layers[l]]).CreateSession(maxBatch, maxSteps);
            _inputs[l] = new RangeObserver();
            _hidden[l] = new RangeObserver[o.DirectionCount];
            for (int d = 0; d < o.DirectionCount; d++)
                _hidden[l][d] = new RangeObserver();
            widest = Math.Max(widest, o.DirectionCount * o.HiddenSize);
        }
        _y = new float[(long)maxSteps * maxBatch * widest];
        _next = new float[(long)maxSteps * maxBatch * widest];
        _lengths = new int[maxBatch];
        Layers = model.Layers;
    }

    /// <summary>The layers' options, first layer first.</summary>
    public IReadOnlyList<RnnLayerOptions> Layers { get; }

    /// <summary>Batch rows observed so far.</summary>
    public long Rows { get; private set; }

    /// <summary>
    /// Runs the float32 model over one batch and records the magnitudes of every layer's input and hidden state at each
    /// row's valid steps (padding past a row's length is not recorded).
    /// </summary>
    /// <param name="x">Input <c>[T, B, I]</c>; must be finite.</param>
    /// <param name="steps">T.</param>
    /// <param name="batch">B.</param>
    /// <param name="sequenceLengths">Valid length per row; empty means all T.</param>
    /// <exception cref="ArgumentException">Non-finite input, or a state that became non-finite (the model is unusable for int8 then).</exception>
    public void Observe(ReadOnlySpan<float> x, int steps, int batch, ReadOnlySpan<int> sequenceLengths = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var input = x;
        for (int l = 0; l < _sessions.Length; l++)
        {
            var o = Layers[l];
            int dirs = o.DirectionCount, h = o.HiddenSize;
            var y = _y.AsSpan(0, steps * dirs * batch * h);
            _sessions[l].Run(input, steps, batch, y, sequenceLengths: sequenceLengths); // checks shapes and lengths
            for (int b = 0; b < batch; b++)
                _lengths[b] = sequenceLengths.IsEmpty ? steps : sequenceLengths[b];
            for (int t = 0; t < steps; t++)
                for (int b = 0; b < batch; b++)
                {
                    if (t >= _lengths[b])
                        continue;
                    _inputs[l].Add(input.Slice((t * batch + b) * o.InputSize, o.InputSize), l, "input");
                    for (int d = 0; d < dirs; d++)
                        _hidden[l][d].Add(y.Slice(((t * dirs + d) * batch + b) * h, h), l, "hidden state");
                }
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
        if (!(percentile > 0 && percentile <= 100))
            throw new ArgumentOutOfRangeException(nameof(percentile), $"a percentile in (0, 100], got {percentile}");
        if (Rows == 0)
            throw new InvalidOperationException("observe at least one batch before asking for the calibration");
        var layers = new Int8LayerRanges[_sessions.Length];
        for (int l = 0; l < layers.Length; l++)
            layers[l] = new Int8LayerRanges(_inputs[l].Range(percentile), Array.ConvertAll(_hidden[l], o => o.Range(percentile)));
        return new Int8Calibration(layers);
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

    /// <summary>
    /// Magnitudes of one tensor: the exact maximum and a histogram whose bin is the top 14 bits of the float's magnitude
    /// (exponent and 6 mantissa bits: 64 bins per octave, monotone in the value, no logarithm needed).
    /// </summary>
    private sealed class RangeObserver
    {
        private const int Shift = 17;
        private readonly long[] _bins = new long[1 << (31 - Shift)];
        private float _max;
        private long _count;

        public void Add(ReadOnlySpan<float> values, int layer, string what)
        {
            foreach (float v in values)
            {
                int bits = BitConverter.SingleToInt32Bits(v) & 0x7FFFFFFF;
                if (bits >= 0x7F800000)
                    throw new ArgumentException($"calibration saw {v} in layer {layer}'s {what}: calibrate on finite data with a model that stays finite");
                _bins[bits >> Shift]++;
                _max = Math.Max(_max, BitConverter.Int32BitsToSingle(bits));
            }
            _count += values.Length;
        }

        public float Range(double percentile)
        {
            float range = _max;
            if (percentile < 100)
            {
                long target = (long)Math.Ceiling(percentile / 100 * _count), seen = 0;
                for (int b = 0; b < _bins.Length; b++)
                {
                    seen += _bins[b];
                    if (seen >= target)
                    {
                        range = Math.Min(range, BitConverter.Int32BitsToSingle((b + 1) << Shift)); // the bin's upper edge
                        break;
                    }
                }
            }
            // An all-zero tensor: the smallest range the kernels use (every nonzero value then saturates).
            return Math.Max(range, Quantization.ActivationFloor);
        }
    }
}

using LstmNative.Cpu.Kernels;
using LstmNative.Model;

namespace LstmNative.Cpu;

/// <summary>
/// What static int8 calibration records for one layer (<see cref="Int8Calibrator"/>, and the observing engine of
/// <c>Quantize.PrepareStatic</c>): the magnitudes of its input x and, per direction, of its hidden state h at every valid
/// step, turned into <see cref="Int8LayerRanges"/> by <see cref="Ranges"/>.
/// </summary>
internal sealed class LayerRangeObserver
{
    private readonly RnnLayerOptions _options;
    private readonly int _layer;
    private readonly RangeObserver _input = new();
    private readonly RangeObserver[] _hidden;

    /// <param name="layer">The layer's index, for messages.</param>
    /// <param name="options">The layer.</param>
    public LayerRangeObserver(int layer, RnnLayerOptions options)
    {
        _layer = layer;
        _options = options;
        _hidden = new RangeObserver[options.DirectionCount];
        for (int d = 0; d < _hidden.Length; d++)
            _hidden[d] = new RangeObserver();
    }

    /// <summary>Whether anything was recorded.</summary>
    public bool IsEmpty => _input.Count == 0;

    /// <summary>
    /// Records one pass of the layer: x <c>[T, B, I]</c> and its output y <c>[T, D, B, H]</c> (each step's h), at each
    /// row's valid steps only (<paramref name="sequenceLengths"/> empty: all T). A refused pass records nothing.
    /// </summary>
    /// <exception cref="ArgumentException">A NaN or ±∞ among them.</exception>
    public void Record(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int steps, int batch, ReadOnlySpan<int> sequenceLengths)
    {
        // Check every value first: recording step by step left the steps before a NaN in the ranges of a refused pass.
        Visit(x, y, steps, batch, sequenceLengths, record: false);
        Visit(x, y, steps, batch, sequenceLengths, record: true);
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> when the layer's input x <c>[T, B, I]</c> holds a NaN or ±∞ at a valid
    /// step: what <see cref="Record"/> would refuse for x, checked before the layer runs.
    /// </summary>
    public void CheckInput(ReadOnlySpan<float> x, int steps, int batch, ReadOnlySpan<int> sequenceLengths) =>
        Visit(x, default, steps, batch, sequenceLengths, record: false);

    /// <summary>Saves what was recorded so far, for <see cref="Restore"/>.</summary>
    public void Save()
    {
        _input.Save();
        foreach (var h in _hidden)
            h.Save();
    }

    /// <summary>Goes back to what <see cref="Save"/> saved: undoes the records of a call that was refused after them.</summary>
    public void Restore()
    {
        _input.Restore();
        foreach (var h in _hidden)
            h.Restore();
    }

    /// <summary>Checks (<paramref name="record"/> false) or records x and, when not empty, y at each row's valid steps.</summary>
    private void Visit(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int steps, int batch, ReadOnlySpan<int> sequenceLengths, bool record)
    {
        int dirs = _options.DirectionCount, h = _options.HiddenSize, input = _options.InputSize;
        for (int t = 0; t < steps; t++)
            for (int b = 0; b < batch; b++)
            {
                if (!sequenceLengths.IsEmpty && t >= sequenceLengths[b])
                    continue;
                CheckOrAdd(_input, x.Slice((t * batch + b) * input, input), "input", record);
                for (int d = 0; d < dirs && !y.IsEmpty; d++)
                    CheckOrAdd(_hidden[d], y.Slice(((t * dirs + d) * batch + b) * h, h), "hidden state", record);
            }
    }

    private void CheckOrAdd(RangeObserver observer, ReadOnlySpan<float> values, string what, bool record)
    {
        if (record)
            observer.Add(values);
        else
            RangeObserver.CheckFinite(values, _layer, what);
    }

    /// <summary>The ranges recorded so far (<see cref="Int8Calibrator.ToCalibration"/> describes <paramref name="percentile"/>).</summary>
    public Int8LayerRanges Ranges(double percentile) =>
        new(_input.Range(percentile), Array.ConvertAll(_hidden, o => o.Range(percentile)));

    /// <summary>Throws unless <paramref name="percentile"/> is in (0, 100].</summary>
    public static void CheckPercentile(double percentile)
    {
        if (!(percentile > 0 && percentile <= 100))
            throw new ArgumentOutOfRangeException(nameof(percentile), $"a percentile in (0, 100], got {percentile}");
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

        // Save/Restore's copy: the bins are copied whole (16 Ki longs), cheap beside the model run of a calibration batch.
        private long[]? _savedBins;
        private float _savedMax;
        private long _savedCount;

        public long Count { get; private set; }

        public static void CheckFinite(ReadOnlySpan<float> values, int layer, string what)
        {
            foreach (float v in values)
                if (!float.IsFinite(v))
                    throw new ArgumentException($"calibration saw {v} in layer {layer}'s {what}: calibrate on finite data with a model that stays finite");
        }

        /// <summary>Adds values that <see cref="CheckFinite"/> accepted.</summary>
        public void Add(ReadOnlySpan<float> values)
        {
            foreach (float v in values)
            {
                int bits = BitConverter.SingleToInt32Bits(v) & 0x7FFFFFFF;
                _bins[bits >> Shift]++;
                _max = Math.Max(_max, BitConverter.Int32BitsToSingle(bits));
            }
            Count += values.Length;
        }

        public void Save()
        {
            _savedBins ??= new long[_bins.Length];
            _bins.CopyTo(_savedBins, 0);
            _savedMax = _max;
            _savedCount = Count;
        }

        public void Restore()
        {
            if (_savedBins is null)
                throw new InvalidOperationException("nothing saved to restore");
            _savedBins.CopyTo(_bins, 0);
            _max = _savedMax;
            Count = _savedCount;
        }

        public float Range(double percentile)
        {
            float range = _max;
            if (percentile < 100)
            {
                long target = (long)Math.Ceiling(percentile / 100 * Count), seen = 0;
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

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
    /// row's valid steps only (<paramref name="sequenceLengths"/> empty: all T).
    /// </summary>
    /// <exception cref="ArgumentException">A NaN or ±∞ among them.</exception>
    public void Record(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int steps, int batch, ReadOnlySpan<int> sequenceLengths)
    {
        int dirs = _options.DirectionCount, h = _options.HiddenSize, input = _options.InputSize;
        for (int t = 0; t < steps; t++)
            for (int b = 0; b < batch; b++)
            {
                if (!sequenceLengths.IsEmpty && t >= sequenceLengths[b])
                    continue;
                _input.Add(x.Slice((t * batch + b) * input, input), _layer, "input");
                for (int d = 0; d < dirs; d++)
                    _hidden[d].Add(y.Slice(((t * dirs + d) * batch + b) * h, h), _layer, "hidden state");
            }
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

        public long Count { get; private set; }

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
            Count += values.Length;
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

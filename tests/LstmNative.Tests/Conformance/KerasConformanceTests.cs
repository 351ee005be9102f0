using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.RegularExpressions;
using LstmNative.Model;
using LstmNative.Reference;
using NUnit.Framework;
using static LstmNative.Tests.Conformance.ConformanceCatalog;

namespace LstmNative.Tests.Conformance;

/// <summary>
/// Runs the Keras 3 LSTM goldens (keras/keras_lstm_goldens.json, from keras/src/layers/rnn/lstm_test.py) against the
/// reference engine in float64 and float32. The adapter maps a Keras layer onto ONNX semantics:
/// <list type="bullet">
/// <item>weights: constant kernel [I, 4U], recurrent_kernel [U, 4U] and bias [4U] (values from the file's note) through
/// <see cref="GateOrder.FromKeras{T}"/>; <c>unit_forget_bias</c> makes the forget block of the bias 1.0 (Keras
/// initialises the bias as [b, 1, b, b] per gate block i, f, c, o), <c>use_bias=False</c> leaves it out;</item>
/// <item>inputs are batch-first [B, T, F], transposed to the engine's time-major layout;</item>
/// <item><c>go_backwards</c> is the reverse direction (Keras reverses the sequence; the last output is the state after
/// the first time step);</item>
/// <item>a trailing mask is a sequence length; Keras carries the previous output and state forward through a masked
/// step, so the last output is the last valid state (ONNX <c>Y_h</c>), and with <c>return_sequences</c> every masked
/// step repeats it, where ONNX writes zeros past the end. The adapter fills those steps from <c>Y_h</c>.</item>
/// </list>
/// </summary>
public class KerasConformanceTests
{
    // The goldens are float32 values printed to 7-8 significant digits and computed by Keras in float32 over up to 6
    // steps; outputs are in (0, 1). 1e-6 absolute + 1e-6 relative is a few float32 ulps of accumulated rounding,
    // tight enough that any semantic difference (bias layout, masking, direction) shows up by orders of magnitude.
    private static readonly Tolerance KerasTolerance = new(1e-6, 1e-6, "float32 Keras goldens printed to ~8 digits");

    public static IEnumerable<TestCaseData> KerasCases() => CaseData(Keras);

    [TestCaseSource(nameof(KerasCases))]
    public void KerasGolden(string name)
    {
        TestPaths.RequireConformance();
        using var doc = Open(Keras, Patterns[Keras]);
        var root = doc.RootElement;
        RequireOnlyKeys("keras", root, "note", "cases");
        string note = root.GetProperty("note").GetString() ?? "";
        var c = KerasCase.Parse(name, root.GetProperty("cases").GetProperty(name), note);

        Assert.Multiple(() =>
        {
            GoldenComparison.AssertClose($"keras/{name} float64", c.Run<double>(), c.Expected, KerasTolerance);
            GoldenComparison.AssertClose($"keras/{name} float32", c.Run<float>(), c.Expected, KerasTolerance);
        });
    }

    private sealed class KerasCase
    {
        private int _batch, _steps, _features, _units;
        private float[] _x = [];
        private float[]? _h0, _c0;
        private int[] _lengths = [];
        private bool _goBackwards, _returnSequences, _useBias, _unitForgetBias;
        private double _kernel, _recurrent, _bias;

        public NdArray Expected { get; private set; } = null!;

        public static KerasCase Parse(string name, JsonElement e, string note)
        {
            RequireOnlyKeys(name, e, "x", "units", "unit_forget_bias", "use_bias", "go_backwards", "h0", "c0", "mask", "return_sequences", "expected");
            var c = new KerasCase
            {
                _units = e.GetProperty("units").GetInt32(),
                _unitForgetBias = e.GetProperty("unit_forget_bias").GetBoolean(),
                _useBias = e.GetProperty("use_bias").GetBoolean(),
                _goBackwards = e.GetProperty("go_backwards").GetBoolean(),
                _returnSequences = e.TryGetProperty("return_sequences", out var rs) && rs.GetBoolean(),
                _kernel = NoteConstant(note, "kernel"),
                _recurrent = NoteConstant(note, "recurrent_kernel"),
                _bias = NoteConstant(note, "bias"),
            };
            var (x, xShape) = Arange(e.GetProperty("x").GetString()!);
            if (xShape.Length != 3)
                throw new InvalidDataException($"{name}: x must be [batch, steps, features]");
            (c._batch, c._steps, c._features) = (xShape[0], xShape[1], xShape[2]);
            c._x = x;
            if (e.TryGetProperty("h0", out var h0))
                c._h0 = StateFrom(name, h0.GetString()!, c._batch, c._units);
            if (e.TryGetProperty("c0", out var c0))
                c._c0 = StateFrom(name, c0.GetString()!, c._batch, c._units);
            c._lengths = e.TryGetProperty("mask", out var mask) ? TrailingMaskLengths(name, mask, c._batch, c._steps) : [];
            if (c._goBackwards && c._returnSequences)
                throw new InvalidDataException($"{name}: go_backwards with return_sequences (outputs in processing order) is not modelled by this adapter");
            var (values, shape) = Flatten(e.GetProperty("expected"));
            c.Expected = new NdArray(values, shape);
            return c;
        }

        /// <summary>The Keras layer's output in the shape of the golden: [B, U], or [B, T, U] with return_sequences.</summary>
        public NdArray Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var options = new RnnLayerOptions(RnnCellType.Lstm, _features, _units, _goBackwards ? RnnDirection.Reverse : RnnDirection.Forward);
            int g4 = 4 * _units;
            T[] kernel = Filled<T>(_features * g4, _kernel);
            T[] recurrent = Filled<T>(_units * g4, _recurrent);
            T[] bias = _useBias ? Filled<T>(g4, _bias) : [];
            if (_useBias && _unitForgetBias)
                Array.Fill(bias, T.One, _units, _units); // Keras order i, f, c, o: block 1 is the forget gate
            var weights = GateOrder.FromKeras<T>(options, kernel, recurrent, bias);

            T[] xs = Convert<T>(GoldenComparison.Permute(_x, [_batch, _steps, _features], [1, 0, 2])); // [B, T, F] -> [T, B, F]
            var trace = ReferenceRnn.Forward<T>(weights, xs, _steps, _batch, _lengths,
                _h0 is null ? [] : Convert<T>(_h0), _c0 is null ? [] : Convert<T>(_c0));

            if (!_returnSequences)
                return new NdArray(ToDoubles(trace.Yh), [_batch, _units]); // [1, B, U]: the last valid state per row
            var y = new double[_batch * _steps * _units];
            for (int b = 0; b < _batch; b++)
            {
                int len = _lengths.Length == 0 ? _steps : _lengths[b];
                for (int t = 0; t < _steps; t++)
                {
                    // Valid step: the step's own output. Masked step (past the end): Keras repeats the previous output,
                    // which for a trailing mask is the last valid state, Y_h.
                    var src = t < len ? trace.Y.AsSpan((t * _batch + b) * _units, _units) : trace.Yh.AsSpan(b * _units, _units);
                    for (int j = 0; j < _units; j++)
                        y[(b * _steps + t) * _units + j] = double.CreateChecked(src[j]);
                }
            }
            return new NdArray(y, [_batch, _steps, _units]);
        }

        private static double NoteConstant(string note, string key)
        {
            // The note reads "kernel=0.01, recurrent_kernel=0.02, bias=0.03 constants".
            var m = Regex.Match(note, $@"(?<![a-z_]){Regex.Escape(key)}=([0-9.]+)");
            return m.Success ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)
                : throw new InvalidDataException($"the Keras note does not state the constant {key}=...");
        }

        /// <summary>Parses numpy's <c>arange(N).reshape(a,b,...)</c> (as float32, like the Keras test).</summary>
        private static (float[] Values, int[] Shape) Arange(string expr)
        {
            var m = Regex.Match(expr, @"^arange\((\d+)\)\.reshape\(([\d,\s]+)\)$");
            if (!m.Success)
                throw new InvalidDataException($"unsupported input expression '{expr}'");
            int n = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            int[] shape = m.Groups[2].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            if (shape.Aggregate(1, (a, d) => a * d) != n)
                throw new InvalidDataException($"'{expr}': shape does not hold {n} values");
            return (Enumerable.Range(0, n).Select(v => (float)v).ToArray(), shape);
        }

        /// <summary>A Keras initial state [B, U]; as an engine state [D=1, B, U] it has the same row-major data.</summary>
        private static float[] StateFrom(string name, string expr, int batch, int units)
        {
            var (v, shape) = Arange(expr);
            if (!shape.SequenceEqual([batch, units]))
                throw new InvalidDataException($"{name}: initial state '{expr}' is not [batch={batch}, units={units}]");
            return v;
        }

        /// <summary>Sequence lengths from a [B, T] mask; only masks of the form 1…1 0…0 with at least one 1 are modelled.</summary>
        private static int[] TrailingMaskLengths(string name, JsonElement mask, int batch, int steps)
        {
            var rows = mask.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
            if (rows.Length != batch || rows.Any(r => r.Length != steps))
                throw new InvalidDataException($"{name}: mask is not [batch={batch}, steps={steps}]");
            var lengths = new int[batch];
            for (int b = 0; b < batch; b++)
            {
                int len = Array.IndexOf(rows[b], 0);
                len = len < 0 ? steps : len;
                if (len == 0 || rows[b].Skip(len).Any(v => v != 0))
                    throw new InvalidDataException($"{name}: mask row {b} is not 1…1 0…0 with a valid first step; the adapter models only trailing masks (sequence lengths)");
                lengths[b] = len;
            }
            return lengths;
        }

        private static (double[] Values, int[] Shape) Flatten(JsonElement e)
        {
            var shape = new List<int>();
            for (var cur = e; cur.ValueKind == JsonValueKind.Array; cur = cur[0])
                shape.Add(cur.GetArrayLength());
            var values = new List<double>();
            void Walk(JsonElement x, int depth)
            {
                if (depth == shape.Count)
                {
                    values.Add(x.GetDouble());
                    return;
                }
                if (x.ValueKind != JsonValueKind.Array || x.GetArrayLength() != shape[depth])
                    throw new InvalidDataException("expected output is a ragged array");
                foreach (var item in x.EnumerateArray())
                    Walk(item, depth + 1);
            }
            Walk(e, 0);
            return (values.ToArray(), shape.ToArray());
        }

        private static T[] Filled<T>(int n, double v) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var a = new T[n];
            Array.Fill(a, T.CreateChecked(v));
            return a;
        }

        private static T[] Convert<T>(float[] v) where T : unmanaged, IFloatingPointIeee754<T> =>
            Array.ConvertAll(v, f => T.CreateChecked(f));

        private static double[] ToDoubles<T>(T[] v) where T : unmanaged, IFloatingPointIeee754<T> =>
            Array.ConvertAll(v, double.CreateChecked);
    }
}

using System.Collections.ObjectModel;
using System.Text;
using System.Text.Json;

namespace LstmNative.Cpu;

/// <summary>
/// The calibrated activation ranges of one layer for static int8 (<see cref="Int8Calibration"/>): the largest |x| its
/// input projection is expected to see and, per direction, the largest |h| its recurrent product is expected to see.
/// Immutable.
/// </summary>
public sealed class Int8LayerRanges
{
    /// <summary>Creates the ranges of one layer.</summary>
    /// <param name="input">Range (max |x|) of the layer's input x.</param>
    /// <param name="hidden">Range (max |h|) of the hidden state, one per direction (forward first).</param>
    /// <exception cref="ArgumentOutOfRangeException">A range that is not finite and positive, or not one or two directions.</exception>
    public Int8LayerRanges(float input, IReadOnlyList<float> hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        Check(input, nameof(input));
        if (hidden.Count is < 1 or > 2)
            throw new ArgumentOutOfRangeException(nameof(hidden), $"one hidden range per direction (1 or 2), got {hidden.Count}");
        foreach (float h in hidden)
            Check(h, nameof(hidden));
        Input = input;
        Hidden = new ReadOnlyCollection<float>([.. hidden]);
    }

    /// <summary>Range (max |x|) of the layer's input.</summary>
    public float Input { get; }

    /// <summary>Range (max |h|) of the hidden state, per direction (forward first).</summary>
    public IReadOnlyList<float> Hidden { get; }

    private static void Check(float range, string name)
    {
        if (!(range > 0) || !float.IsFinite(range))
            throw new ArgumentOutOfRangeException(name, $"an activation range must be finite and positive, got {range}");
    }
}

/// <summary>
/// Static int8 quantization of the activations (PyTorch's <c>prepare</c>/<c>convert</c> flow, as opposed to
/// <c>quantize_dynamic</c>): fixed ranges for every layer's input x and hidden state h, measured once by running the
/// float32 model over representative inputs (<see cref="Int8Calibrator"/>). Pass it to
/// <see cref="CpuRnnModel(IReadOnlyList{Model.LayerWeights{float}}, Int8Calibration)"/> to build an int8 model whose
/// products quantize x and h with these fixed scales. Immutable; safe to share.
/// </summary>
/// <remarks>
/// <para>At run time each activation is quantized with the layer's fixed scale (<c>range / 32767</c> to int16 on the
/// managed kernels, <c>range / 127</c> to uint8 with zero point 128 on the native VNNI kernel) and <b>saturated</b>: a
/// value beyond the calibrated range counts as ±range. No per-step max scan. A row (one step of one batch row) that
/// holds NaN or ±∞ gives NaN, as in the dynamic scheme.</para>
/// <para>GRU with <c>linear_before_reset = 0</c> multiplies its n gate's R by <c>r ⊙ h</c>, which the h range bounds
/// (r ∈ (0, 1)), so that product uses the h range too. Initial states are not observed: calibrate with the states the
/// model will start from (zeros) or they saturate at the range.</para>
/// </remarks>
public sealed class Int8Calibration
{
    /// <summary>Creates a calibration from ranges measured elsewhere (or read back from a file), first layer first.</summary>
    /// <exception cref="ArgumentException">No layers, or a null entry.</exception>
    public Int8Calibration(IReadOnlyList<Int8LayerRanges> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0)
            throw new ArgumentException("a calibration needs at least one layer", nameof(layers));
        foreach (var l in layers)
            if (l is null)
                throw new ArgumentException("a layer's ranges are null", nameof(layers));
        Layers = new ReadOnlyCollection<Int8LayerRanges>([.. layers]);
    }

    /// <summary>The ranges of each layer, first layer first.</summary>
    public IReadOnlyList<Int8LayerRanges> Layers { get; }

    /// <summary>The <c>format</c> tag of <see cref="ToJson"/>'s document.</summary>
    private const string JsonFormat = "lstmnative-int8-calibration";

    /// <summary>
    /// The calibration as a small JSON document (<c>{"format": "lstmnative-int8-calibration", "version": 1,
    /// "layers": [{"input": 1.5, "hidden": [0.96, 0.97]}, ...]}</c>), so a calibration measured once can be stored beside
    /// the model and read back with <see cref="FromJson"/> exactly (each range is written in its shortest round-trip form).
    /// </summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", JsonFormat);
            w.WriteNumber("version", 1);
            w.WriteStartArray("layers");
            foreach (var l in Layers)
            {
                w.WriteStartObject();
                w.WriteNumber("input", l.Input);
                w.WriteStartArray("hidden");
                foreach (float h in l.Hidden)
                    w.WriteNumberValue(h);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Reads a document written by <see cref="ToJson"/>, strictly (unknown or missing fields, other versions and invalid ranges are errors).</summary>
    /// <exception cref="FormatException">The text is not such a document; the message says what is wrong.</exception>
    public static Int8Calibration FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            Expect(root, JsonValueKind.Object, "the document");
            OnlyFields(root, "the document", "format", "version", "layers");
            if (Field(root, "format", JsonValueKind.String).GetString() != JsonFormat)
                throw new FormatException($"not an int8 calibration: \"format\" must be \"{JsonFormat}\"");
            if (!Field(root, "version", JsonValueKind.Number).TryGetInt32(out int version) || version != 1)
                throw new FormatException("unsupported int8 calibration version (this library reads version 1)");
            var layers = new List<Int8LayerRanges>();
            foreach (var l in Field(root, "layers", JsonValueKind.Array).EnumerateArray())
            {
                string where = $"layer {layers.Count}";
                Expect(l, JsonValueKind.Object, where);
                OnlyFields(l, where, "input", "hidden");
                float input = Number(Field(l, "input", JsonValueKind.Number), where + " input");
                var hidden = new List<float>();
                foreach (var h in Field(l, "hidden", JsonValueKind.Array).EnumerateArray())
                    hidden.Add(Number(h, where + " hidden"));
                layers.Add(new Int8LayerRanges(input, hidden));
            }
            return new Int8Calibration(layers);
        }
        catch (JsonException e)
        {
            throw new FormatException($"int8 calibration: not valid JSON ({e.Message})", e);
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"int8 calibration: {e.Message}", e);
        }
    }

    private static void Expect(JsonElement e, JsonValueKind kind, string what)
    {
        if (e.ValueKind != kind)
            throw new FormatException($"int8 calibration: {what} must be a JSON {kind.ToString().ToLowerInvariant()}, got {e.ValueKind.ToString().ToLowerInvariant()}");
    }

    private static JsonElement Field(JsonElement o, string name, JsonValueKind kind)
    {
        if (!o.TryGetProperty(name, out var v))
            throw new FormatException($"int8 calibration: missing \"{name}\"");
        Expect(v, kind, $"\"{name}\"");
        return v;
    }

    private static void OnlyFields(JsonElement o, string what, params string[] names)
    {
        foreach (var p in o.EnumerateObject())
            if (Array.IndexOf(names, p.Name) < 0)
                throw new FormatException($"int8 calibration: {what} has an unknown field \"{p.Name}\"");
    }

    private static float Number(JsonElement e, string what)
    {
        Expect(e, JsonValueKind.Number, what);
        if (!e.TryGetSingle(out float v))
            throw new FormatException($"int8 calibration: {what} is not a float32");
        return v;
    }

    /// <summary>Checks that this calibration fits a stack of layers with <paramref name="directions"/> directions each.</summary>
    internal void CheckFits(IReadOnlyList<int> directions)
    {
        if (directions.Count != Layers.Count)
            throw new ArgumentException($"the calibration has {Layers.Count} layer(s), the model {directions.Count}");
        for (int l = 0; l < Layers.Count; l++)
            if (Layers[l].Hidden.Count != directions[l])
                throw new ArgumentException($"layer {l}: the calibration has {Layers[l].Hidden.Count} hidden range(s), the layer {directions[l]} direction(s)");
    }
}

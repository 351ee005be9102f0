using System.Text.Json;
using System.Text.RegularExpressions;
using LstmNative.Model;
using LstmNative.Onnx;
using NUnit.Framework;

namespace LstmNative.Tests.Conformance;

/// <summary>Element-wise tolerance: |actual - expected| &lt;= Absolute + Relative * |expected|, and why it was chosen.</summary>
internal readonly record struct Tolerance(double Absolute, double Relative, string Why)
{
    public override string ToString() => $"{Absolute:G3} + {Relative:G3}*|expected| ({Why})";
}

/// <summary>One ONNX-shaped golden case: a node's attributes and inputs, and the outputs the other engine produced.</summary>
internal sealed record OnnxConformanceCase(
    string Id,
    OnnxRnnAttributes Attributes,
    IReadOnlyDictionary<string, NdArray> Inputs,
    IReadOnlyDictionary<string, NdArray> Expected,
    Tolerance Tolerance,
    double? CellStateBound);

/// <summary>
/// What is in the shared conformance folders, and how each folder's JSON is read into <see cref="OnnxConformanceCase"/>.
/// Readers are strict: an unknown key, attribute or input fails the case rather than being silently ignored,
/// because an ignored attribute would make a case pass while testing something else.
/// </summary>
internal static class ConformanceCatalog
{
    public const string OnnxGenerated = "onnx-generated";
    public const string OnnxRuntime = "onnxruntime";
    public const string Tflite = "tflite";
    public const string Keras = "keras";

    /// <summary>The JSON folders run by the conformance tests, with the file pattern each case source reads.</summary>
    public static readonly IReadOnlyDictionary<string, string> Patterns = new Dictionary<string, string>
    {
        [OnnxGenerated] = "*.json",
        [OnnxRuntime] = "*.json",
        [Tflite] = "*.onnx_layout.json",
        [Keras] = "keras_lstm_goldens.json",
    };

    /// <summary>Folders holding material that is not JSON goldens (run elsewhere or not at all); see the report/README.</summary>
    public static readonly IReadOnlyList<string> NonJsonFolders = ["onnx-node", "pytorch"];

    // ONNX Runtime's CPU tolerance for its LSTM/GRU tests (deep_cpu_*_op_test.cc). The README's anomaly note says the
    // ShorterSeqInMiddle and ZeroSeqInMiddle goldens hold one value 6.1e-5 off any float64 reference, so they need at
    // least this much; the same value covers every case. Observed otherwise: at most 3e-7 in float64 and float32.
    private static readonly Tolerance OrtTolerance = new(1e-4, 0, "ONNX Runtime CPU tolerance, upstream 1e-4");

    // The ONNX node-test generators (LSTMHelper/GRUHelper in onnx/backend/test/case/node) compute with numpy and store
    // float32; both our float64 and float32 runs agree to about 1e-7 (float32 rounding of outputs below 1). 1e-6
    // absolute is tighter than ONNX's own backend-test check (rtol 1e-3, atol 1e-7) and still leaves a 10x margin.
    private static readonly Tolerance OnnxGeneratedTolerance = new(1e-6, 0, "float32-rounded numpy goldens");

    /// <summary>The case ids of a folder (file stems, or case names for Keras), sorted; empty when the material is absent.</summary>
    public static IReadOnlyList<string> CaseIds(string folder)
    {
        if (TestPaths.ConformanceDirectory is not { } root)
            return [];
        string dir = Path.Combine(root, folder);
        if (!Directory.Exists(dir))
            return [];
        if (folder == Keras)
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, Patterns[Keras])));
            return doc.RootElement.GetProperty("cases").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
        }
        return Directory.GetFiles(dir, Patterns[folder]).Select(f => Stem(Path.GetFileName(f))).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// NUnit cases for a folder, one per id, named by it. When the material is absent there is a single placeholder,
    /// so the run shows an ignored test with the reason instead of nothing at all.
    /// </summary>
    public static IEnumerable<TestCaseData> CaseData(string folder)
    {
        if (TestPaths.ConformanceDirectory is null)
        {
            yield return new TestCaseData("").SetArgDisplayNames("shared conformance material not found");
            yield break;
        }
        foreach (string id in CaseIds(folder))
            yield return new TestCaseData(id).SetArgDisplayNames(id);
    }

    /// <summary>The file name without <c>.json</c> / <c>.onnx_layout.json</c>.</summary>
    public static string Stem(string fileName) =>
        fileName.EndsWith(".onnx_layout.json", StringComparison.Ordinal) ? fileName[..^".onnx_layout.json".Length]
        : fileName.EndsWith(".json", StringComparison.Ordinal) ? fileName[..^".json".Length]
        : fileName;

    /// <summary>Reads <c>onnx-generated/&lt;id&gt;.json</c>: lists of named tensors, bound to roles by input_names/output_names positions.</summary>
    public static OnnxConformanceCase LoadOnnxGenerated(string id)
    {
        using var doc = Open(OnnxGenerated, id + ".json");
        var root = doc.RootElement;
        RequireOnlyKeys(id, root, "name", "op", "attrs", "input_names", "output_names", "inputs", "outputs");
        var attrs = ParseAttributes(id, root.GetProperty("op").GetString()!, root.GetProperty("attrs"));
        var inputs = BindByPosition(id, "input", root.GetProperty("input_names"), root.GetProperty("inputs"), OnnxRnnTensors.InputRoles);
        var outputs = BindByPosition(id, "output", root.GetProperty("output_names"), root.GetProperty("outputs"), OnnxRnnTensors.OutputRoles);
        return new OnnxConformanceCase($"{OnnxGenerated}/{id}", attrs, inputs, outputs, OnnxGeneratedTolerance, null);
    }

    /// <summary>Reads <c>onnxruntime/&lt;id&gt;.json</c>: inputs and outputs keyed by role.</summary>
    public static OnnxConformanceCase LoadOnnxRuntime(string id)
    {
        using var doc = Open(OnnxRuntime, id + ".json");
        var root = doc.RootElement;
        RequireOnlyKeys(id, root, "op", "source", "attrs", "inputs", "outputs");
        var attrs = ParseAttributes(id, root.GetProperty("op").GetString()!, root.GetProperty("attrs"));
        var inputs = ByRole(id, root.GetProperty("inputs"), OnnxRnnTensors.InputRoles);
        var outputs = ByRole(id, root.GetProperty("outputs"), OnnxRnnTensors.OutputRoles);
        return new OnnxConformanceCase($"{OnnxRuntime}/{id}", attrs, inputs, outputs, OrtTolerance, null);
    }

    /// <summary>
    /// Reads <c>tflite/&lt;id&gt;.onnx_layout.json</c>. Per its note: ONNX layout 0; CIFG already rewritten so that ONNX
    /// Runtime's input_forget (f = 1 - i) reproduces TFLite's i = 1 - f; TFLite's cell_clip clips the cell state (not an
    /// ONNX attribute) and is said never to trigger, so the node gets no clip and the test checks |c| stays within it.
    /// </summary>
    public static OnnxConformanceCase LoadTflite(string id)
    {
        using var doc = Open(Tflite, id + ".onnx_layout.json");
        var root = doc.RootElement;
        RequireOnlyKeys(id, root, "source_case", "onnx_attrs", "note", "X", "W", "R", "B", "P", "Y_expected", "tolerance");
        string note = root.GetProperty("note").GetString() ?? "";
        if (!note.Contains("layout=0", StringComparison.Ordinal))
            throw new InvalidDataException($"{id}: the note no longer states ONNX layout 0; re-read it before trusting this adapter");
        var attrs = ParseAttributes(id, "LSTM", root.GetProperty("onnx_attrs"));
        var inputs = new Dictionary<string, NdArray>();
        foreach (string role in new[] { "X", "W", "R", "B", "P" })
            inputs[role] = ParseTensor(id, role, root.GetProperty(role));
        var expected = new Dictionary<string, NdArray> { ["Y"] = ParseTensor(id, "Y_expected", root.GetProperty("Y_expected")) };
        double tol = root.GetProperty("tolerance").GetDouble();
        // "cell_clip=6 is TFLite CELL-STATE clipping": 0 means none.
        var clip = Regex.Match(note, @"cell_clip=([0-9.]+)");
        if (!clip.Success)
            throw new InvalidDataException($"{id}: the note does not state cell_clip");
        double cellClip = double.Parse(clip.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        return new OnnxConformanceCase($"{Tflite}/{id}", attrs, inputs, expected,
            new Tolerance(tol, 0, "the file's own tolerance (TFLite's float kernel tests)"), cellClip > 0 ? cellClip : null);
    }

    /// <summary>Opens a file of the shared folder (ignoring the test when the material is absent).</summary>
    public static JsonDocument Open(string folder, string fileName) =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestPaths.RequireConformance(), folder, fileName)));

    public static void RequireOnlyKeys(string id, JsonElement obj, params string[] allowed)
    {
        foreach (var p in obj.EnumerateObject())
            if (!allowed.Contains(p.Name))
                throw new InvalidDataException($"{id}: unexpected key '{p.Name}' (the reader knows {string.Join(", ", allowed)}); teach the reader what it means");
    }

    private static OnnxRnnAttributes ParseAttributes(string id, string op, JsonElement attrs)
    {
        var cell = op switch
        {
            "LSTM" => RnnCellType.Lstm,
            "GRU" => RnnCellType.Gru,
            _ => throw new InvalidDataException($"{id}: op '{op}' is neither LSTM nor GRU"),
        };
        var result = new OnnxRnnAttributes { Cell = cell };
        foreach (var p in attrs.EnumerateObject())
        {
            result = p.Name switch
            {
                "hidden_size" => result with { HiddenSize = p.Value.GetInt32() },
                "direction" => result with { Direction = p.Value.GetString()! },
                "layout" => result with { Layout = p.Value.GetInt32() },
                "clip" => result with { Clip = p.Value.GetDouble() },
                "input_forget" => result with { InputForget = p.Value.GetInt32() },
                "linear_before_reset" => result with { LinearBeforeReset = p.Value.GetInt32() },
                "activations" => result with { Activations = p.Value.EnumerateArray().Select(e => e.GetString()!).ToList() },
                "activation_alpha" => result with { ActivationAlpha = p.Value.EnumerateArray().Select(e => e.GetDouble()).ToList() },
                "activation_beta" => result with { ActivationBeta = p.Value.EnumerateArray().Select(e => e.GetDouble()).ToList() },
                _ => throw new InvalidDataException($"{id}: unknown attribute '{p.Name}'"),
            };
        }
        return result;
    }

    private static Dictionary<string, NdArray> BindByPosition(string id, string kind, JsonElement names, JsonElement tensors, IReadOnlyList<string> roles)
    {
        var nameList = names.EnumerateArray().Select(e => e.GetString() ?? "").ToList();
        if (nameList.Count > roles.Count)
            throw new InvalidDataException($"{id}: {nameList.Count} {kind} names, but the operator has {roles.Count} {kind}s");
        var byName = new Dictionary<string, JsonElement>();
        foreach (var t in tensors.EnumerateArray())
            byName.Add(t.GetProperty("name").GetString()!, t);
        var result = new Dictionary<string, NdArray>();
        for (int k = 0; k < nameList.Count; k++)
        {
            if (nameList[k].Length == 0)
                continue; // "" = the optional input/output at this position is omitted
            if (!byName.Remove(nameList[k], out var t))
                throw new InvalidDataException($"{id}: {kind} '{nameList[k]}' has no tensor");
            result[roles[k]] = ParseTensor(id, nameList[k], t);
        }
        if (byName.Count > 0)
            throw new InvalidDataException($"{id}: {kind} tensors not bound to any position: {string.Join(", ", byName.Keys)}");
        return result;
    }

    private static Dictionary<string, NdArray> ByRole(string id, JsonElement obj, IReadOnlyList<string> roles)
    {
        var result = new Dictionary<string, NdArray>();
        foreach (var p in obj.EnumerateObject())
        {
            if (!roles.Contains(p.Name))
                throw new InvalidDataException($"{id}: '{p.Name}' is not one of {string.Join(", ", roles)}");
            result[p.Name] = ParseTensor(id, p.Name, p.Value);
        }
        return result;
    }

    /// <summary>A <c>{shape, values, dtype?}</c> tensor; dtype defaults to float32 (README).</summary>
    public static NdArray ParseTensor(string id, string name, JsonElement t)
    {
        RequireOnlyKeys($"{id} tensor {name}", t, "name", "dtype", "shape", "values");
        int[] shape = t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var values = t.GetProperty("values");
        string dtype = t.TryGetProperty("dtype", out var dt) ? dt.GetString()! : "float32";
        Array data = dtype switch
        {
            // JSON holds the float32 values' exact decimal expansions; parse as double, then round to float32 (exact).
            "float32" => values.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray(),
            "float64" => values.EnumerateArray().Select(e => e.GetDouble()).ToArray(),
            "int32" => values.EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            "int64" => values.EnumerateArray().Select(e => e.GetInt64()).ToArray(),
            _ => throw new InvalidDataException($"{id}: tensor {name} has unknown dtype '{dtype}'"),
        };
        return new NdArray(data, shape);
    }
}

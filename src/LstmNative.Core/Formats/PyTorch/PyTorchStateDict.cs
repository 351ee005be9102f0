using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;
using LstmNative.Layers;
using LstmNative.Model;

namespace LstmNative.Formats;

/// <summary>
/// PyTorch <c>nn.LSTM</c> / <c>nn.GRU</c> weights by their <c>state_dict</c> names: <c>weight_ih_l{k}</c>,
/// <c>weight_hh_l{k}</c>, <c>bias_ih_l{k}</c>, <c>bias_hh_l{k}</c>, <c>weight_hr_l{k}</c> (projections), each with a
/// <c>_reverse</c> twin in a bidirectional module, optionally under a prefix from a larger model
/// (<c>encoder.lstm.weight_ih_l0</c>). The configuration (cell, input and hidden size, layers, directions, bias,
/// projection) is inferred from which tensors exist and their shapes; every tensor is then checked, and a missing,
/// extra or misshapen tensor is reported by name.
/// </summary>
public static partial class PyTorchStateDict
{
    private const string First = "weight_ih_l0";

    [GeneratedRegex(@"^(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l([0-9]{1,4})(_reverse)?$", RegexOptions.CultureInvariant)]
    private static partial Regex ParameterName();

    /// <summary>
    /// The suffix PyTorch gives layer <paramref name="layer"/>'s parameters in direction <paramref name="direction"/>
    /// (<c>_l1</c>, <c>_l1_reverse</c>): by direction index, so a module's second direction is <c>_reverse</c> and a
    /// single direction never is. Every parameter name of the library (state dicts, training modules, the GPU
    /// trainer's layout) is built here.
    /// </summary>
    public static string ParameterSuffix(int layer, int direction) =>
        string.Create(CultureInfo.InvariantCulture, $"_l{layer}{(direction == 1 ? "_reverse" : "")}");

    /// <summary>The prefixes (with their trailing dot, "" for the root) of every RNN module in a list of tensor names.</summary>
    public static IReadOnlyList<string> FindModules(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        return names.Where(n => n == First || n.EndsWith("." + First, StringComparison.Ordinal))
            .Select(n => n[..^First.Length]).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Builds a model from a safetensors file saved from PyTorch (<c>safetensors.torch.save_file(module.state_dict(), ...)</c>).
    /// </summary>
    /// <param name="file">The file.</param>
    /// <param name="prefix">The module's name in a larger model (<c>encoder.lstm</c>); null finds the single RNN module in the file.</param>
    /// <param name="batchFirst">PyTorch's <c>batch_first</c>, which the weights do not record.</param>
    /// <exception cref="ModelFormatException">No module, several modules and no prefix, or missing, extra, misshapen or non-float tensors.</exception>
    public static RnnModel<T> Load<T>(SafetensorsFile file, string? prefix = null, bool batchFirst = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(file);
        return Build<T>(file.Names.ToList(), file.Read, prefix, batchFirst, file.Source);
    }

    /// <summary>Builds a model from tensors by state_dict name; <paramref name="source"/> names them in messages.</summary>
    /// <exception cref="ModelFormatException">As for <see cref="Load{T}(SafetensorsFile, string?, bool)"/>.</exception>
    public static RnnModel<T> ToModel<T>(IReadOnlyDictionary<string, NdArray> stateDict, string? prefix = null, bool batchFirst = false, string source = "state dict")
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        return Build<T>(stateDict.Keys.ToList(), n => stateDict[n], prefix, batchFirst, source);
    }

    /// <summary>
    /// The model's parameters under PyTorch's names and in PyTorch's order (<c>weight_ih_l0, weight_hh_l0, bias_ih_l0,
    /// bias_hh_l0, weight_hr_l0, weight_ih_l0_reverse, ...</c>), in the model's precision; biases are left out when the
    /// model has none, as PyTorch does.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, NdArray>> FromModel<T>(RnnModel<T> model, string prefix = "")
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prefix);
        var o = model.Options;
        string p = Normalize(prefix);
        int g = o.Cell.GateCount(), h = o.HiddenSize;
        var result = new List<KeyValuePair<string, NdArray>>();
        for (int l = 0; l < o.NumLayers; l++)
        {
            var layer = model.Layers[l];
            for (int d = 0; d < o.DirectionCount; d++)
            {
                var dw = layer.Directions[d];
                string suffix = ParameterSuffix(l, d);
                int inSize = layer.Options.InputSize;
                var wih = new T[g * h * inSize];
                var whh = new T[g * h * o.StateSize];
                var bih = new T[o.Bias ? g * h : 0];
                var bhh = new T[o.Bias ? g * h : 0];
                var whr = new T[o.ProjectionSize * h];
                GateOrder.ToPyTorch<T>(dw, o.Cell, wih, whh, bih, bhh, whr);
                result.Add(new($"{p}weight_ih{suffix}", new NdArray(wih, [g * h, inSize])));
                result.Add(new($"{p}weight_hh{suffix}", new NdArray(whh, [g * h, o.StateSize])));
                if (o.Bias)
                {
                    result.Add(new($"{p}bias_ih{suffix}", new NdArray(bih, [g * h])));
                    result.Add(new($"{p}bias_hh{suffix}", new NdArray(bhh, [g * h])));
                }
                if (o.ProjectionSize > 0)
                    result.Add(new($"{p}weight_hr{suffix}", new NdArray(whr, [o.ProjectionSize, h])));
            }
        }
        return result;
    }

    /// <summary>Writes the model as a safetensors file PyTorch can load with <c>module.load_state_dict(load_file(path))</c>.</summary>
    public static void Save<T>(string path, RnnModel<T> model, string prefix = "")
        where T : unmanaged, IFloatingPointIeee754<T> =>
        SafetensorsWriter.Write(path, FromModel(model, prefix));

    private static RnnModel<T> Build<T>(List<string> names, Func<string, NdArray> read, string? prefix, bool batchFirst, string source)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var modules = FindModules(names);
        string p;
        if (prefix is null)
        {
            p = modules.Count switch
            {
                0 => throw ModelFormatException.For(source, $"no nn.LSTM or nn.GRU weights: expected a tensor named '{First}' or '<prefix>.{First}'"),
                1 => modules[0],
                _ => throw ModelFormatException.For(source, $"{modules.Count} RNN modules ({string.Join(", ", modules.Select(Display))}): pass the prefix of the one to use"),
            };
        }
        else
        {
            p = Normalize(prefix);
            if (!modules.Contains(p))
                throw ModelFormatException.For(source, $"no tensor '{p}{First}': prefix '{Display(p)}' names no nn.LSTM or nn.GRU"
                    + (modules.Count > 0 ? $" (RNN modules in the file: {string.Join(", ", modules.Select(Display))})" : ""));
        }
        string Where(string name) => $"tensor '{name}'";

        // Every tensor under the prefix must be an RNN parameter; tensors of other modules are not ours to judge.
        var present = new HashSet<string>(StringComparer.Ordinal);
        int layers = 0;
        foreach (string name in names.Where(n => n.StartsWith(p, StringComparison.Ordinal)))
        {
            var m = ParameterName().Match(name[p.Length..]);
            if (!m.Success)
                throw ModelFormatException.For(source, $"unexpected {Where(name)}: expected only nn.LSTM/nn.GRU parameters (weight_ih_l<k>, weight_hh_l<k>, bias_ih_l<k>, bias_hh_l<k>, weight_hr_l<k>, optionally _reverse) under prefix '{Display(p)}'");
            present.Add(name);
            layers = Math.Max(layers, int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) + 1);
        }
        bool bidirectional = present.Contains($"{p}{First}_reverse");
        bool bias = present.Contains($"{p}bias_ih_l0") || present.Contains($"{p}bias_hh_l0");
        bool projection = present.Contains($"{p}weight_hr_l0");
        var expected = new List<string>();
        for (int l = 0; l < layers; l++)
            foreach (string dir in bidirectional ? new[] { "", "_reverse" } : [""])
            {
                expected.Add($"{p}weight_ih_l{l}{dir}");
                expected.Add($"{p}weight_hh_l{l}{dir}");
                if (bias)
                {
                    expected.Add($"{p}bias_ih_l{l}{dir}");
                    expected.Add($"{p}bias_hh_l{l}{dir}");
                }
                if (projection)
                    expected.Add($"{p}weight_hr_l{l}{dir}");
            }
        string shapeWords = $"{layers}-layer {(bidirectional ? "bidirectional" : "unidirectional")} module{(bias ? "" : " without biases")}{(projection ? " with projections" : "")}";
        var missing = expected.Where(n => !present.Contains(n)).ToList();
        if (missing.Count > 0)
            throw ModelFormatException.For(source, $"missing {Where(missing[0])}{(missing.Count > 1 ? $" (and {missing.Count - 1} more: {string.Join(", ", missing.Skip(1).Take(4))}{(missing.Count > 5 ? ", ..." : "")})" : "")}: the others describe a {shapeWords}");
        var extra = present.Except(expected).Order(StringComparer.Ordinal).ToList();
        if (extra.Count > 0)
            throw ModelFormatException.For(source, $"unexpected {Where(extra[0])}: the other tensors describe a {shapeWords}");

        var tensors = new Dictionary<string, NdArray>(StringComparer.Ordinal);
        NdArray Get(string name)
        {
            if (tensors.TryGetValue(name, out var t))
                return t;
            t = read(name);
            if (t.DType is not (DType.Float32 or DType.Float64))
                throw ModelFormatException.For(source, $"{Where(name)} has dtype {t.DType.ToString().ToLowerInvariant()}: expected floating-point weights");
            return tensors[name] = t;
        }

        // The configuration from layer 0's shapes.
        var wih0 = Get($"{p}weight_ih_l0");
        var whh0 = Get($"{p}weight_hh_l0");
        if (wih0.Rank != 2)
            throw ModelFormatException.For(source, $"{Where($"{p}weight_ih_l0")} has shape {NdArray.FormatShape(wih0.Shape)}: expected 2-D [gates*hidden_size, input_size]");
        if (whh0.Rank != 2 || whh0.Shape[0] != wih0.Shape[0])
            throw ModelFormatException.For(source, $"{Where($"{p}weight_hh_l0")} has shape {NdArray.FormatShape(whh0.Shape)}: expected 2-D [{wih0.Shape[0]}, hidden_size] to match weight_ih_l0");
        int rows = wih0.Shape[0], inputSize = wih0.Shape[1], hidden, proj = 0;
        RnnCellType cell;
        if (projection)
        {
            var whr0 = Get($"{p}weight_hr_l0");
            if (whr0.Rank != 2)
                throw ModelFormatException.For(source, $"{Where($"{p}weight_hr_l0")} has shape {NdArray.FormatShape(whr0.Shape)}: expected 2-D [proj_size, hidden_size]");
            (proj, hidden, cell) = (whr0.Shape[0], whr0.Shape[1], RnnCellType.Lstm);
            if (rows != 4 * hidden || whh0.Shape[1] != proj)
                throw ModelFormatException.For(source, $"{Where($"{p}weight_hh_l0")} has shape {NdArray.FormatShape(whh0.Shape)}: expected [4*hidden_size, proj_size] = [{4 * hidden}, {proj}] for an LSTM with projections (weight_hr_l0 is {NdArray.FormatShape(whr0.Shape)})");
        }
        else
        {
            hidden = whh0.Shape[1];
            cell = hidden > 0 && rows == 4 * hidden ? RnnCellType.Lstm
                : hidden > 0 && rows == 3 * hidden ? RnnCellType.Gru
                : hidden > 0 && rows == hidden
                    ? throw ModelFormatException.For(source, $"{Where($"{p}weight_hh_l0")} has shape {NdArray.FormatShape(whh0.Shape)}: this is a plain nn.RNN, which is not supported (expected nn.LSTM or nn.GRU)")
                    : throw ModelFormatException.For(source, $"{Where($"{p}weight_hh_l0")} has shape {NdArray.FormatShape(whh0.Shape)}: expected [4*hidden_size, hidden_size] (LSTM) or [3*hidden_size, hidden_size] (GRU)");
        }
        var options = new RnnOptions(cell, inputSize, hidden, layers, bias, batchFirst, Bidirectional: bidirectional) { ProjectionSize = proj };
        RnnModel<T> model;
        try
        {
            model = new RnnModel<T>(options);
        }
        catch (ArgumentException e)
        {
            throw ModelFormatException.For(source, $"the weights under '{Display(p)}' describe an invalid {cell}: {e.Message}", e);
        }

        int g = cell.GateCount(), state = options.StateSize;
        string kind = $"nn.{cell.ToString().ToUpperInvariant()} with hidden_size {hidden}{(proj > 0 ? $", proj_size {proj}" : "")}";
        for (int l = 0; l < layers; l++)
        {
            var layer = model.Layers[l];
            for (int d = 0; d < options.DirectionCount; d++)
            {
                string suffix = ParameterSuffix(l, d);
                int inSize = layer.Options.InputSize;
                string inWords = l == 0 ? "input_size" : $"{options.DirectionCount}*{(proj > 0 ? "proj_size" : "hidden_size")} of layer {l - 1}";
                T[] wih = Checked($"{p}weight_ih{suffix}", [g * hidden, inSize], $"[{g}*hidden_size, {inWords}]");
                T[] whh = Checked($"{p}weight_hh{suffix}", [g * hidden, state], proj > 0 ? "[4*hidden_size, proj_size]" : $"[{g}*hidden_size, hidden_size]");
                T[] bih = bias ? Checked($"{p}bias_ih{suffix}", [g * hidden], $"[{g}*hidden_size]") : [];
                T[] bhh = bias ? Checked($"{p}bias_hh{suffix}", [g * hidden], $"[{g}*hidden_size]") : [];
                T[] whr = proj > 0 ? Checked($"{p}weight_hr{suffix}", [proj, hidden], "[proj_size, hidden_size]") : [];
                GateOrder.FromPyTorch<T>(layer.Directions[d], cell, wih, whh, bih, bhh, whr);
            }
        }
        return model;

        T[] Checked(string name, int[] shape, string meaning)
        {
            var t = Get(name);
            if (!t.Shape.SequenceEqual(shape))
                throw ModelFormatException.For(source, $"{Where(name)} has shape {NdArray.FormatShape(t.Shape)}: expected {NdArray.FormatShape(shape)} {meaning} for an {kind}");
            return t.Data is T[] same ? (T[])same.Clone() : Array.ConvertAll(t.ToDoubles(), T.CreateChecked);
        }
    }

    private static string Normalize(string prefix) => prefix.Length == 0 || prefix.EndsWith('.') ? prefix : prefix + ".";

    private static string Display(string prefix) => prefix.Length == 0 ? "(root)" : prefix.TrimEnd('.');
}

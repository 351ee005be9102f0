using LstmNative.Cpu;
using LstmNative.Formats;
using LstmNative.Model;
using LstmNative.Onnx;

namespace LstmNative.Cli.Commands;

/// <summary>
/// An ONNX RNN model with its inputs bound: graph inputs from <c>.npy</c> files, the rest from initializers, each
/// checked against the model's declared type and shape before any work.
/// </summary>
internal sealed class BoundModel
{
    private BoundModel(OnnxRnnModel model, OnnxRnnOperator op, IReadOnlyDictionary<string, NdArray> byRole)
    {
        Model = model;
        Operator = op;
        InputsByRole = byRole;
    }

    public OnnxRnnModel Model { get; }

    public OnnxRnnOperator Operator { get; }

    /// <summary>The node's inputs by operator role (X, W, R, ...), absent roles omitted.</summary>
    public IReadOnlyDictionary<string, NdArray> InputsByRole { get; }

    /// <summary>
    /// Binds the node's inputs (files by graph input name, else initializers). <paramref name="calibrate"/> (static int8,
    /// <paramref name="precision"/> Int8): sequences in the node's own layout over which the float32 node fixes its
    /// activation ranges first.
    /// </summary>
    public static BoundModel Load(FileInfo modelFile, IReadOnlyDictionary<string, string> inputFiles, CpuPrecision precision = CpuPrecision.Fp32,
        FileInfo? calibrate = null)
    {
        if (Directory.Exists(modelFile.FullName))
            throw new CliException($"{modelFile.FullName} is a folder: give the model file (only 'run' also takes an ONNX node-test folder)");
        if (!modelFile.Exists)
            throw new CliException($"model file not found: {modelFile.FullName}");
        var model = OnnxModelReader.Load(modelFile.FullName);
        var declared = model.GraphInputs.ToDictionary(g => g.Name, StringComparer.Ordinal);

        foreach (var name in inputFiles.Keys)
            if (!declared.ContainsKey(name))
                throw new CliException(declared.Count == 0
                    ? $"unknown input '{name}': the model has no graph inputs"
                    : $"unknown input '{name}' (the model's inputs: {string.Join(", ", declared.Keys)})");

        var byRole = new Dictionary<string, NdArray>(StringComparer.Ordinal);
        for (int position = 0; position < model.NodeInputs.Count && position < OnnxRnnTensors.InputRoles.Count; position++)
        {
            string tensor = model.NodeInputs[position];
            if (tensor.Length == 0)
                continue;
            string role = OnnxRnnTensors.InputRoles[position];
            NdArray value;
            if (inputFiles.TryGetValue(tensor, out var file))
            {
                value = ReadNpy(tensor, file);
                CheckAgainstDeclaration(declared[tensor], value);
            }
            else if (model.Initializers.TryGetValue(tensor, out var init))
            {
                value = init;
            }
            else if (declared.TryGetValue(tensor, out var decl))
            {
                throw new CliException($"missing input '{tensor}' ({role}): expected {Describe(decl)}; pass --input {tensor}=FILE.npy");
            }
            else
            {
                throw new CliException($"the model's {model.OpType} node reads '{tensor}' ({role}), which is neither a graph input nor an initializer");
            }
            byRole[role] = value;
        }

        var op = new OnnxRnnOperator(model.Attributes, OnnxRnnTensors.FromRoles(byRole)) { Precision = precision };
        if (calibrate is not null)
            op = new OnnxRnnOperator(model.Attributes, OnnxRnnTensors.FromRoles(byRole)) { Precision = precision, CalibratedRanges = Calibrate(op, calibrate) };
        return new BoundModel(model, op, byRole);
    }

    /// <summary>Static int8's "prepare" for one node: its float32 weights over the calibration sequences, in the node's layout.</summary>
    private static Int8LayerRanges Calibrate(OnnxRnnOperator op, FileInfo file)
    {
        int inputSize = op.Options.InputSize;
        bool batchMajor = op.Layout == SequenceLayout.BatchMajor;
        var calibration = CalibrationSequences.Observe([op.Weights.Convert<float>()], file, v =>
        {
            if (v.Rank != 3 || v.Shape[2] != inputSize)
                throw new CliException($"--calibrate input has shape {NdArray.FormatShape(v.Shape)}: expected {(batchMajor ? "[batch, seq" : "[seq, batch")}, {inputSize}] (the node's layout)");
            int steps = batchMajor ? v.Shape[1] : v.Shape[0], batch = batchMajor ? v.Shape[0] : v.Shape[1];
            var xs = v.ToFloats();
            return (batchMajor ? CalibrationSequences.SwapFirstTwo(xs, batch, steps, inputSize) : xs, steps, batch);
        });
        return calibration.Layers[0];
    }

    private static NdArray ReadNpy(string name, string file)
    {
        if (!File.Exists(file))
            throw new CliException($"input '{name}': file not found: {file}");
        return NpyReader.Read(file);
    }

    private static void CheckAgainstDeclaration(OnnxGraphInput decl, NdArray value)
    {
        if (value.DType != decl.ElementType)
            throw new CliException($"input '{decl.Name}': expected {Name(decl.ElementType)}, got {Name(value.DType)}");
        if (decl.Dims is { } dims)
        {
            bool ok = dims.Length == value.Rank;
            for (int i = 0; ok && i < dims.Length; i++)
                ok = dims[i] is not { } d || d == value.Shape[i];
            if (!ok)
                throw new CliException($"input '{decl.Name}': expected shape {FormatDims(dims)}, got {NdArray.FormatShape(value.Shape)}");
        }
    }

    private static string Describe(OnnxGraphInput decl) =>
        decl.Dims is { } dims ? $"{Name(decl.ElementType)} {FormatDims(dims)}" : Name(decl.ElementType);

    private static string FormatDims(int?[] dims) => "[" + string.Join(", ", dims.Select(d => d?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?")) + "]";

    private static string Name(DType t) => t.ToString().ToLowerInvariant();

    /// <summary>
    /// Writes each tensor as <c>DIR/&lt;name&gt;.npy</c> as one set: every name is checked before anything is written,
    /// and the files are moved into place only when all of them are complete, so a failure leaves the old files.
    /// An output that would land on one of <paramref name="inputs"/> (the files the run read: <c>--input X=DIR/Y.npy
    /// --output-dir DIR</c>) is refused before anything is written, as predict and export refuse it.
    /// </summary>
    public static void WriteAll(DirectoryInfo dir, IEnumerable<(string Name, NdArray Value)> outputs, IEnumerable<string> inputs)
    {
        var list = outputs.ToList();
        var read = inputs.ToList();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, _) in list)
        {
            if (name.Length == 0 || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name.Contains('\\', StringComparison.Ordinal) || name is "." or "..")
                throw new CliException($"output name '{CliApp.Printable(name)}' cannot be used as a file name");
            if (!names.Add(name))
                throw new CliException($"two outputs are both named '{CliApp.Printable(name)}' (file names must differ, ignoring case)");
            foreach (string input in read)
                CommonOptions.RefuseOverwrite(Path.Combine(dir.FullName, name + ".npy"), $"output {CliApp.Printable(name)}", input, "one of the run's inputs");
        }
        try
        {
            Directory.CreateDirectory(dir.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot create output folder {dir.FullName}: {e.Message}");
        }
        AtomicFile.WriteAll(list.Select(o => (Path.Combine(dir.FullName, o.Name + ".npy"), (Action<Stream>)(s => NpyWriter.Write(s, o.Value)))).ToList());
    }
}

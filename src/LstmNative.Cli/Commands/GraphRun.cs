using System.Diagnostics;
using LstmNative.Formats;
using LstmNative.Model;
using LstmNative.Onnx;
using Onnx;

namespace LstmNative.Cli.Commands;

/// <summary>
/// <c>lstmnative run MODEL.onnx</c> for graphs of more than one node (a PyTorch export of an nn.LSTM, or our own export):
/// feeds the graph inputs from .npy files and writes every graph output as <c>DIR/&lt;name&gt;.npy</c>.
/// Single-node models keep the original path (BoundModel), which also serves <c>backward</c>.
/// </summary>
internal static class GraphRun
{
    /// <summary>Whether the file parses as an ONNX model with several nodes; anything else goes to the single-node path and its messages.</summary>
    public static bool Handles(FileInfo model)
    {
        if (!model.Exists || model.Extension.Equals(".safetensors", StringComparison.OrdinalIgnoreCase))
            return false;
        try
        {
            return ModelProto.Parser.ParseFrom(InputFile.ReadAllBytes(model.FullName)).Graph?.Node.Count > 1;
        }
        catch (Google.Protobuf.InvalidProtocolBufferException)
        {
            return false;
        }
    }

    public static void Execute(FileInfo modelFile, IReadOnlyDictionary<string, string> inputFiles, DirectoryInfo outputDir, int repeat, bool verbose, string device, TextWriter stdout)
    {
        var graph = OnnxGraphReader.Load(modelFile.FullName);
        var inputs = new Dictionary<string, NdArray>(StringComparer.Ordinal);
        foreach (var (name, file) in inputFiles)
        {
            if (!graph.Inputs.Any(i => i.Name == name))
                throw new CliException($"unknown input '{name}' (the model's inputs: {string.Join(", ", graph.Inputs.Select(i => i.Name))})");
            if (!File.Exists(file))
                throw new CliException($"input '{name}': file not found: {file}");
            inputs[name] = NpyReader.Read(file);
        }
        foreach (var input in graph.Inputs)
            if (!inputs.ContainsKey(input.Name))
                throw new CliException($"missing input '{input.Name}': pass --input {input.Name}=FILE.npy");

        IReadOnlyDictionary<string, NdArray> result = new Dictionary<string, NdArray>();
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < repeat; i++)
            result = graph.Run(inputs);
        watch.Stop();
        var outputs = graph.Outputs.Select(name => (name, result[name])).ToList();
        BoundModel.WriteAll(outputDir, outputs, inputFiles.Values.Append(modelFile.FullName));
        if (verbose)
        {
            stdout.WriteLine($"graph of {graph.Operators.Count} nodes ({string.Join(", ", graph.Operators.Distinct())}) on {device}");
            stdout.WriteLine($"{repeat} run(s): {watch.Elapsed.TotalMilliseconds / repeat:F3} ms per run");
            foreach (var (name, value) in outputs)
                stdout.WriteLine($"wrote {name}.npy {value}");
        }
    }
}

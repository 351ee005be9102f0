using System.CommandLine;
using LstmNative.Model;
using LstmNative.Onnx;

namespace LstmNative.Cli.Commands;

/// <summary>
/// <c>lstmnative backward MODEL.onnx --input ... --grad OUTPUT=FILE.npy ... --output-dir DIR</c>: back-propagates
/// upstream gradients and writes <c>DIR/grad_&lt;input name&gt;.npy</c> for every float input of the node.
/// </summary>
internal static class BackwardCommand
{
    public static Command Create(TextWriter stdout)
    {
        var model = CommonOptions.Model();
        var inputs = CommonOptions.Inputs();
        var outputDir = CommonOptions.OutputDir();
        var device = CommonOptions.Device();
        var verbose = CommonOptions.Verbose();
        var grads = new Option<string[]>("--grad", "-g")
        {
            Description = "upstream gradient of a graph output as OUTPUT=FILE.npy (repeat; missing outputs get zero)",
        };
        var command = new Command("backward", "back-propagate through an ONNX LSTM/GRU model and write DIR/grad_<input>.npy (float32)")
        {
            model, inputs, grads, outputDir, device, verbose,
        };
        command.SetAction(parse =>
        {
            string dev = parse.GetValue(device) == "cuda" ? GpuBackward.RequireGpu() : DeviceSelection.Resolve(parse.GetValue(device));
            var bound = BoundModel.Load(parse.GetValue(model)!, CommonOptions.ParsePairs(parse.GetValue(inputs), "--input"));
            var gradFiles = CommonOptions.ParsePairs(parse.GetValue(grads), "--grad");

            var upstream = new Dictionary<string, NdArray>(StringComparer.Ordinal);
            foreach (var (name, file) in gradFiles)
            {
                int position = IndexOf(bound.Model.NodeOutputs, name);
                if (position < 0)
                {
                    var known = bound.Model.NodeOutputs.Where(n => n.Length > 0);
                    throw new CliException($"--grad {name}: no such output (the node's outputs: {string.Join(", ", known)})");
                }
                if (!File.Exists(file))
                    throw new CliException($"--grad {name}: file not found: {file}");
                var value = Formats.NpyReader.Read(file);
                if (value.DType is not (DType.Float32 or DType.Float64))
                    throw new CliException($"--grad {name}: expected float32, got {value.DType.ToString().ToLowerInvariant()}");
                upstream[OnnxRnnTensors.OutputRoles[position]] = value;
            }

            var result = dev == "cuda" ? GpuBackward.Run(bound, upstream) : bound.Operator.Backward(upstream);
            var outputs = new List<(string, NdArray)>();
            for (int position = 0; position < bound.Model.NodeInputs.Count && position < OnnxRnnTensors.InputRoles.Count; position++)
            {
                string tensor = bound.Model.NodeInputs[position];
                string role = OnnxRnnTensors.InputRoles[position];
                if (tensor.Length > 0 && result.TryGetValue(role, out var g))
                    outputs.Add(("grad_" + tensor, g));
            }
            BoundModel.WriteAll(parse.GetValue(outputDir)!, outputs,
                CommonOptions.ParsePairs(parse.GetValue(inputs), "--input").Values.Concat(gradFiles.Values).Append(parse.GetValue(model)!.FullName));
            if (parse.GetValue(verbose))
            {
                stdout.WriteLine($"{bound.Model.OpType} backward on {dev}");
                foreach (var (name, value) in outputs)
                    stdout.WriteLine($"wrote {name}.npy {value}");
            }
            return CliApp.Ok;
        });
        return command;
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++)
            if (names[i].Length > 0 && names[i] == name)
                return i;
        return -1;
    }
}

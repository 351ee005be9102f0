using System.CommandLine;
using System.Diagnostics;
using LstmNative.Model;

namespace LstmNative.Cli.Commands;

/// <summary><c>lstmnative run MODEL.onnx --input NAME=FILE.npy ... --output-dir DIR</c>: runs the graph forward.</summary>
internal static class RunCommand
{
    public static Command Create(TextWriter stdout)
    {
        var model = CommonOptions.Model();
        var inputs = CommonOptions.Inputs();
        var outputDir = CommonOptions.OutputDir();
        var device = CommonOptions.Device();
        var verbose = CommonOptions.Verbose();
        var repeat = new Option<int>("--repeat")
        {
            Description = "run the forward pass N times on the same inputs and write the last result",
            DefaultValueFactory = _ => 1,
        };
        repeat.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
                r.AddError($"--repeat must be at least 1, got {r.GetValueOrDefault<int>()}");
        });
        var command = new Command("run", "run an ONNX LSTM/GRU model and write each graph output as DIR/<name>.npy (float32); " +
            "MODEL may also be an ONNX node-test folder (model.onnx, test_data_set_0/): then its inputs are used and the outputs checked")
        {
            model, inputs, outputDir, device, repeat, verbose,
        };
        command.SetAction(parse =>
        {
            string dev = DeviceSelection.Resolve(parse.GetValue(device), gpu: true);
            if (Directory.Exists(parse.GetValue(model)!.FullName))
                return NodeTestCase.Run(new DirectoryInfo(parse.GetValue(model)!.FullName), dev, parse.GetValue(outputDir)!, parse.GetValue(verbose), stdout);
            var bound = BoundModel.Load(parse.GetValue(model)!, CommonOptions.ParsePairs(parse.GetValue(inputs), "--input"));
            int n = parse.GetValue(repeat);
            var watch = Stopwatch.StartNew();
            var result = Forward(bound, dev, n);
            watch.Stop();

            var outputs = GraphOutputs(bound, result);
            BoundModel.WriteAll(parse.GetValue(outputDir)!, outputs);
            if (parse.GetValue(verbose))
            {
                stdout.WriteLine($"{bound.Model.OpType} {bound.Operator.Options.Direction} hidden={bound.Operator.Options.HiddenSize} T={bound.Operator.Steps} B={bound.Operator.Batch} on {dev}");
                stdout.WriteLine($"{n} run(s): {watch.Elapsed.TotalMilliseconds / n:F3} ms per run");
                foreach (var (name, value) in outputs)
                    stdout.WriteLine($"wrote {name}.npy {value}");
            }
            return CliApp.Ok;
        });
        return command;
    }

    /// <summary>The node's results by graph output name (only the node outputs the graph exposes).</summary>
    internal static List<(string Name, NdArray Value)> GraphOutputs(BoundModel bound, IReadOnlyDictionary<string, NdArray> result)
    {
        var outputs = new List<(string, NdArray)>();
        for (int position = 0; position < bound.Model.NodeOutputs.Count; position++)
        {
            string tensor = bound.Model.NodeOutputs[position];
            if (tensor.Length == 0 || !bound.Model.GraphOutputs.Contains(tensor))
                continue;
            string role = Onnx.OnnxRnnTensors.OutputRoles[position];
            if (!result.TryGetValue(role, out var value))
                throw new CliException($"the {bound.Model.OpType} node has no output {role} ('{tensor}')");
            outputs.Add((tensor, value));
        }
        return outputs;
    }

    /// <summary>Runs the node <paramref name="repeat"/> times on <paramref name="device"/> and returns the last result.</summary>
    internal static IReadOnlyDictionary<string, NdArray> Forward(BoundModel bound, string device, int repeat)
    {
        IReadOnlyDictionary<string, NdArray> result = new Dictionary<string, NdArray>();
        if (device != "cuda")
        {
            for (int i = 0; i < repeat; i++)
                result = bound.Operator.Forward();
            return result;
        }
        using var engine = Gpu.GpuRnnEngine.Create();
        using var runner = new Gpu.Inference.GpuLayerRunner(engine);
        for (int i = 0; i < repeat; i++)
            result = bound.Operator.Forward(runner.Forward);
        return result;
    }
}

using System.CommandLine;
using System.Diagnostics;
using LstmNative.Cpu;
using LstmNative.Model;

namespace LstmNative.Cli.Commands;

/// <summary>
/// <c>lstmnative run MODEL --input NAME=FILE.npy ... --output-dir DIR</c>: runs the model forward. MODEL is an ONNX
/// file (one LSTM/GRU node, or an exported graph: <see cref="GraphRun"/>) or PyTorch weights in a .safetensors file
/// (<see cref="StateDictRun"/>, with <c>--prefix</c> and <c>--batch-first</c>).
/// </summary>
internal static class RunCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = CommonOptions.Model();
        model.Description = "ONNX model (one LSTM/GRU node, or a graph exported from PyTorch), or nn.LSTM/nn.GRU weights in a .safetensors file";
        var inputs = CommonOptions.Inputs();
        var prefix = RunOptions.Prefix();
        var batchFirst = RunOptions.BatchFirst();
        var outputDir = CommonOptions.OutputDir();
        var device = CommonOptions.Device();
        var verbose = CommonOptions.Verbose();
        var repeat = new Option<int>("--repeat")
        {
            Description = "run the forward pass N times on the same inputs and write the last result",
            DefaultValueFactory = _ => 1,
        };
        var precision = new Option<string>("--precision")
        {
            Description = "CPU weight precision: fp32, bf16 or int8 (W and R only; inference, single-node ONNX models and safetensors state dicts; docs/benchmarks.md gives the accuracy); " +
                "int8-static: int8 with activation scales calibrated on --calibrate (safetensors state dicts, single-node ONNX)",
            DefaultValueFactory = _ => "fp32",
        };
        precision.AcceptOnlyFromAmong("fp32", "bf16", "int8", StaticInt8);
        var calibrate = new Option<FileInfo>("--calibrate")
        {
            Description = "with --precision int8-static: representative input sequences (.npy, float32, in X's layout) the float32 model runs over to fix each layer's activation ranges",
        };
        repeat.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
                r.AddError($"--repeat must be at least 1, got {r.GetValueOrDefault<int>()}");
        });
        var command = new Command("run", "run an ONNX LSTM/GRU model and write each graph output as DIR/<name>.npy (float32); " +
            "MODEL may also be an ONNX node-test folder (model.onnx, test_data_set_0/): then its inputs are used and the outputs checked")
        {
            model, inputs, outputDir, device, repeat, verbose, prefix, batchFirst, precision, calibrate,
        };
        command.SetAction(parse =>
        {
            var weights = ParsePrecision(parse.GetValue(precision));
            bool isStatic = parse.GetValue(precision) == StaticInt8;
            var calibration = parse.GetValue(calibrate);
            if (isStatic != calibration is not null)
                throw new CliException(isStatic
                    ? "--precision int8-static needs --calibrate FILE.npy: the input sequences whose activation ranges it fixes"
                    : "--calibrate applies to --precision int8-static only");
            if (weights != CpuPrecision.Fp32 && Directory.Exists(parse.GetValue(model)!.FullName))
                throw new CliException($"--precision {parse.GetValue(precision)} applies to a model file; a node-test folder is run and checked in float32");
            if (weights != CpuPrecision.Fp32 && parse.GetValue(device) == "cuda")
                throw new CliException($"--precision {parse.GetValue(precision)} runs on the CPU only: use --device cpu (or auto)");
            string dev = DeviceSelection.Resolve(parse.GetValue(device), gpu: true);
            if (weights != CpuPrecision.Fp32 && dev == "cuda")
                dev = "cpu"; // auto chose the GPU, but reduced-precision weights are a CPU feature
            if (Directory.Exists(parse.GetValue(model)!.FullName))
                return NodeTestCase.Run(new DirectoryInfo(parse.GetValue(model)!.FullName), dev, parse.GetValue(outputDir)!, parse.GetValue(verbose), stdout);
            var file = parse.GetValue(model)!;
            var pairs = CommonOptions.ParsePairs(parse.GetValue(inputs), "--input");
            if (weights != CpuPrecision.Fp32 && GraphRun.Handles(file))
                throw new CliException($"--precision {parse.GetValue(precision)} applies to single-node ONNX models and safetensors state dicts only so far; run this model with --precision fp32");
            if (StateDictRun.Handles(file))
            {
                return DeviceSelection.RunWithCpuFallback(parse.GetValue(device), dev, d =>
                {
                    StateDictRun.Execute(file, pairs, parse.GetValue(prefix), parse.GetValue(batchFirst), parse.GetValue(outputDir)!,
                        parse.GetValue(repeat), parse.GetValue(verbose), d, stdout, weights, calibration);
                    return CliApp.Ok;
                }, stderr);
            }
            if (parse.GetValue(prefix) is not null || parse.GetValue(batchFirst))
                throw new CliException("--prefix and --batch-first apply to .safetensors models only (an ONNX model records its own layout)");
            if (GraphRun.Handles(file))
            {
                return DeviceSelection.RunWithCpuFallback(parse.GetValue(device), dev, d =>
                {
                    GraphRun.Execute(file, pairs, parse.GetValue(outputDir)!, parse.GetValue(repeat), parse.GetValue(verbose), d, stdout);
                    return CliApp.Ok;
                }, stderr);
            }
            var bound = BoundModel.Load(parse.GetValue(model)!, CommonOptions.ParsePairs(parse.GetValue(inputs), "--input"), weights, calibration);
            OutputSizes.Check("Y", bound.Operator.Steps, bound.Operator.Options.DirectionCount, bound.Operator.Batch, bound.Operator.Options.HiddenSize);
            int n = parse.GetValue(repeat);
            var watch = Stopwatch.StartNew();
            var result = DeviceSelection.RunWithCpuFallback(parse.GetValue(device), dev, d =>
            {
                dev = d;
                return Forward(bound, d, n);
            }, stderr);
            watch.Stop();

            var outputs = GraphOutputs(bound, result);
            BoundModel.WriteAll(parse.GetValue(outputDir)!, outputs, pairs.Values.Append(file.FullName).Concat(parse.GetValue(calibrate) is { } cal ? [cal.FullName] : []));
            if (parse.GetValue(verbose))
            {
                stdout.WriteLine($"{bound.Model.OpType} {bound.Operator.Options.Direction} hidden={bound.Operator.Options.HiddenSize} T={bound.Operator.Steps} B={bound.Operator.Batch} on {dev}{(weights == CpuPrecision.Fp32 ? "" : $" ({parse.GetValue(precision)} weights)")}");
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
        // The same node on the GPU's layer engine (its inputs were checked when the model was bound).
        var op = new Onnx.OnnxRnnOperator(bound.Model.Attributes, Onnx.OnnxRnnTensors.FromRoles(bound.InputsByRole), runner);
        for (int i = 0; i < repeat; i++)
            result = op.Forward();
        return result;
    }

    /// <summary>The <c>--precision</c> value of static int8 (int8 weights; activation scales from <c>--calibrate</c>).</summary>
    private const string StaticInt8 = "int8-static";

    private static CpuPrecision ParsePrecision(string? name) => name switch
    {
        null or "fp32" => CpuPrecision.Fp32,
        "bf16" => CpuPrecision.Bf16,
        "int8" or StaticInt8 => CpuPrecision.Int8,
        _ => throw new CliException($"--precision must be fp32, bf16, int8 or {StaticInt8}, got '{name}'"),
    };
}

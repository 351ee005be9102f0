using System.Diagnostics;
using LstmNative.Cpu;
using LstmNative.Formats;
using LstmNative.Layers;
using LstmNative.Model;

namespace LstmNative.Cli.Commands;

/// <summary>
/// <c>lstmnative run MODEL.safetensors --input X=x.npy [--input h0=...] [--input c0=...]</c>: runs PyTorch nn.LSTM/nn.GRU
/// weights (configuration inferred from the state dict) like the module's forward, and writes PyTorch's results as
/// <c>output.npy</c>, <c>h_n.npy</c> and (LSTM) <c>c_n.npy</c>, float32. A 2-D input is one unbatched sequence, as in PyTorch.
/// With <c>--precision int8-static --calibrate FILE.npy</c> the float32 layers first run over the calibration sequences
/// (<see cref="Int8Calibrator"/>) and the model is packed with the ranges they give.
/// </summary>
internal static class StateDictRun
{
    private static readonly Dictionary<string, string> InputAliases = new(StringComparer.Ordinal)
    {
        ["X"] = "X", ["input"] = "X", ["h0"] = "h0", ["h_0"] = "h0", ["c0"] = "c0", ["c_0"] = "c0",
    };

    public static bool Handles(FileInfo model) => model.Extension.Equals(".safetensors", StringComparison.OrdinalIgnoreCase);

    /// <summary>Loads the state dict as a float64 model (the reference precision); errors name the tensor.</summary>
    public static RnnModel<T> LoadModel<T>(FileInfo modelFile, string? prefix, bool batchFirst)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (!modelFile.Exists)
            throw new CliException($"model file not found: {modelFile.FullName}");
        return PyTorchStateDict.Load<T>(SafetensorsReader.Read(modelFile.FullName), prefix, batchFirst);
    }

    public static void Execute(FileInfo modelFile, IReadOnlyDictionary<string, string> inputFiles, string? prefix, bool batchFirst,
        DirectoryInfo outputDir, int repeat, bool verbose, string device, TextWriter stdout, CpuPrecision precision = CpuPrecision.Fp32,
        FileInfo? calibrate = null)
    {
        var model = LoadModel<double>(modelFile, prefix, batchFirst);
        var o = model.Options;
        var inputs = new Dictionary<string, NdArray>(StringComparer.Ordinal);
        foreach (var (name, file) in inputFiles)
        {
            if (!InputAliases.TryGetValue(name, out var role) || (role == "c0" && o.Cell != RnnCellType.Lstm))
                throw new CliException($"unknown input '{name}': a safetensors {o.Cell.ToString().ToUpperInvariant()} takes X (the sequence){(o.Cell == RnnCellType.Lstm ? ", h0 and c0" : " and h0")}");
            if (inputs.ContainsKey(role))
                throw new CliException($"input {role} given twice (as '{name}')");
            if (!File.Exists(file))
                throw new CliException($"input '{name}': file not found: {file}");
            var value = NpyReader.Read(file);
            if (value.DType is not (DType.Float32 or DType.Float64))
                throw new CliException($"input '{name}': expected float32, got {value.DType.ToString().ToLowerInvariant()}");
            inputs[role] = value;
        }
        if (!inputs.TryGetValue("X", out var x))
            throw new CliException("missing input X: pass --input X=FILE.npy (the sequence, " + (batchFirst ? "[batch, seq, input_size]" : "[seq, batch, input_size]") + ")");

        var (xs, steps, batch, unbatched) = TimeMajor(x, "input X", batchFirst, o.InputSize);
        int states = o.NumLayers * o.DirectionCount;
        OutputSizes.Check("output", steps, batch, o.OutputSize);
        OutputSizes.Check("output (both directions)", steps, o.DirectionCount, batch, o.HiddenSize);
        double[] h0 = State(inputs, "h0", states, batch, o.StateSize, unbatched);
        double[] c0 = State(inputs, "c0", states, batch, o.HiddenSize, unbatched);

        // The fast engine runs the packed model (packed once, one zero-allocation session for every --repeat); LSTM
        // projections, which it does not support yet, run on the float64 reference.
        float[] output, hn, cn;
        var watch = Stopwatch.StartNew();
        if (o.ProjectionSize == 0)
        {
            var layers = model.Layers.Select(l => l.Convert<float>()).ToArray();
            var packed = calibrate is null ? new CpuRnnModel(layers, precision) : new CpuRnnModel(layers, CalibrationSequences.Observe(layers, calibrate, v =>
            {
                var (cx, cSteps, cBatch, _) = TimeMajor(v, "--calibrate input", batchFirst, o.InputSize);
                return (cx, cSteps, cBatch);
            }));
            using var session = packed.CreateSession(batch, steps);
            var y = new float[steps * o.DirectionCount * batch * o.HiddenSize];
            hn = new float[states * batch * o.HiddenSize];
            cn = new float[o.Cell == RnnCellType.Lstm ? hn.Length : 0];
            float[] h0f = ToFloats(h0), c0f = ToFloats(c0);
            for (int i = 0; i < repeat; i++)
                session.Run(xs, steps, batch, y, hn, cn, default, h0f, c0f);
            // [T, D, B, H] -> PyTorch's [T, B, D*H] (or [B, T, D*H] when batch-first)
            output = new float[y.Length];
            int d = o.DirectionCount, h = o.HiddenSize;
            for (int t = 0; t < steps; t++)
                for (int dir = 0; dir < d; dir++)
                    for (int b = 0; b < batch; b++)
                    {
                        int row = batchFirst && !unbatched ? b * steps + t : t * batch + b;
                        Array.Copy(y, ((t * d + dir) * batch + b) * h, output, (row * d + dir) * h, h);
                    }
        }
        else
        {
            if (precision != CpuPrecision.Fp32)
                throw new CliException($"--precision {precision.ToString().ToLowerInvariant()} needs the CPU engine, which does not run LSTM projections (proj_size {o.ProjectionSize}) yet: use --precision fp32");
            StackPass<double> trace = null!;
            for (int i = 0; i < repeat; i++)
                trace = ReferenceStack.Forward<double>(model, x.ToDoubles(), steps, batch, h0, c0);
            (output, hn, cn) = (ToFloats(trace.Output), ToFloats(trace.Hn), ToFloats(trace.Cn));
        }
        watch.Stop();

        int[] outShape = unbatched ? [steps, o.OutputSize] : batchFirst ? [batch, steps, o.OutputSize] : [steps, batch, o.OutputSize];
        var outputs = new List<(string, NdArray)>
        {
            ("output", new NdArray(output, outShape)),
            ("h_n", new NdArray(hn, unbatched ? [states, o.StateSize] : [states, batch, o.StateSize])),
        };
        if (o.Cell == RnnCellType.Lstm)
            outputs.Add(("c_n", new NdArray(cn, unbatched ? [states, o.HiddenSize] : [states, batch, o.HiddenSize])));
        BoundModel.WriteAll(outputDir, outputs, inputFiles.Values.Append(modelFile.FullName).Concat(calibrate is null ? [] : [calibrate.FullName]));
        if (verbose)
        {
            stdout.WriteLine($"{o.Cell.ToString().ToUpperInvariant()} layers={o.NumLayers} {(o.Bidirectional ? "bidirectional" : "unidirectional")} input={o.InputSize} hidden={o.HiddenSize}{(o.ProjectionSize > 0 ? $" proj={o.ProjectionSize}" : "")} T={steps} B={batch} on {device}{(o.ProjectionSize == 0 ? $" (packed model, {precision.ToString().ToLowerInvariant()}{(calibrate is null ? "" : "-static")} weights)" : " (reference engine)")}");
            stdout.WriteLine($"{repeat} run(s): {watch.Elapsed.TotalMilliseconds / repeat:F3} ms per run");
            foreach (var (name, value) in outputs)
                stdout.WriteLine($"wrote {name}.npy {value}");
        }
    }

    private static double[] State(Dictionary<string, NdArray> inputs, string role, int states, int batch, int size, bool unbatched)
    {
        if (!inputs.TryGetValue(role, out var v))
            return [];
        int[] expected = unbatched ? [states, size] : [states, batch, size];
        if (!v.Shape.SequenceEqual(expected))
            throw new CliException($"input {role} has shape {NdArray.FormatShape(v.Shape)}: expected {NdArray.FormatShape(expected)} (num_layers*num_directions{(unbatched ? "" : ", batch")}, {(role == "h0" ? "hidden or proj size" : "hidden_size")})");
        return v.ToDoubles();
    }

    /// <summary>
    /// A sequence tensor in PyTorch's layout (<c>[seq, batch, I]</c>, <c>[batch, seq, I]</c> when batch-first, or one
    /// unbatched <c>[seq, I]</c>) as the engine's time-major floats.
    /// </summary>
    private static (float[] X, int Steps, int Batch, bool Unbatched) TimeMajor(NdArray x, string name, bool batchFirst, int inputSize)
    {
        // PyTorch accepts one unbatched sequence as a 2-D input and then drops the batch axis from every result.
        bool unbatched = x.Rank == 2;
        if (x.Rank is not (2 or 3) || x.Shape[^1] != inputSize)
            throw new CliException($"{name} has shape {NdArray.FormatShape(x.Shape)}: expected {(batchFirst ? "[batch, seq" : "[seq, batch")}, {inputSize}] (or unbatched [seq, {inputSize}])");
        int steps = unbatched ? x.Shape[0] : batchFirst ? x.Shape[1] : x.Shape[0];
        int batch = unbatched ? 1 : batchFirst ? x.Shape[0] : x.Shape[1];
        float[] xs = ToFloats(x.ToDoubles());
        if (batchFirst && !unbatched)
            xs = CalibrationSequences.SwapFirstTwo(xs, batch, steps, inputSize);
        return (xs, steps, batch, unbatched);
    }

    private static float[] ToFloats(double[] v) => Array.ConvertAll(v, d => (float)d);
}

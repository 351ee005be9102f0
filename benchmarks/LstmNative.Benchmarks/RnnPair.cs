using LstmNative.Cpu;
using LstmNative.Model;
using Microsoft.ML.OnnxRuntime;

namespace LstmNative.Benchmarks;

/// <summary>
/// The same random network (I = H) in LstmNative (an <see cref="CpuRnnSession"/>) and ONNX Runtime, with inputs and
/// outputs allocated once. With <see cref="CpuPrecision.Int8"/> (one LSTM layer): our int8 model against ORT's
/// com.microsoft <c>DynamicQuantizeLSTM</c> of the same weights.
/// </summary>
internal sealed class RnnPair : IDisposable
{
    private readonly InferenceSession _ort;
    private readonly RunOptions _runOptions = new();
    private readonly OrtValue _ortX;
    private readonly OrtValue _ortY;
    private readonly string[] _inputNames = ["X"];
    private readonly string[] _outputNames;
    private readonly OrtValue[] _inputs;
    private readonly OrtValue[] _outputs;
    private readonly CpuRnnSession _session;
    private readonly float[] _x;
    private readonly float[] _y;
    private readonly float[] _yOrt;

    public RnnPair(RnnCellType cell, int hidden, int batch, int steps, int layers, int threads, CpuPrecision precision = CpuPrecision.Fp32)
    {
        if (precision == CpuPrecision.Int8 && (cell != RnnCellType.Lstm || layers != 1))
            throw new ArgumentException("the int8 pair is one LSTM layer (ORT's DynamicQuantizeLSTM)");
        if (precision == CpuPrecision.Bf16)
            throw new ArgumentException("ORT has no bf16 LSTM to pair with");
        Steps = steps;
        Batch = batch;
        var rng = new Random(1234);
        var stack = new List<LayerWeights<float>>();
        for (int l = 0; l < layers; l++)
        {
            var o = new RnnLayerOptions(cell, hidden, hidden) { LinearBeforeReset = cell == RnnCellType.Gru };
            stack.Add(new LayerWeights<float>(o).Randomize(rng, 1.0 / Math.Sqrt(hidden)));
        }
        _x = new float[steps * batch * hidden];
        for (int i = 0; i < _x.Length; i++)
            _x[i] = (float)(rng.NextDouble() * 2 - 1);
        _y = new float[steps * batch * hidden];
        _yOrt = new float[steps * batch * hidden];

        _session = new CpuRnnModel(stack, precision).CreateSession(batch, steps, threads);

        var so = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _ort = new InferenceSession(precision == CpuPrecision.Int8 ? OnnxModelBuilder.BuildDynamicQuantizeLstm(stack[0]) : OnnxModelBuilder.Build(stack), so);
        _outputNames = [_ort.OutputMetadata.Keys.First(k => k == $"Y{layers - 1}" || k == "Y")];
        _ortX = OrtValue.CreateTensorValueFromMemory(_x, [steps, batch, hidden]);
        _ortY = OrtValue.CreateTensorValueFromMemory(_yOrt, [steps, 1, batch, hidden]);
        _inputs = [_ortX];
        _outputs = [_ortY];
    }

    public int Steps { get; }

    public int Batch { get; }

    public void RunLstmNative() => _session.Run(_x, Steps, Batch, _y);

    public void RunOnnxRuntime() => _ort.Run(_runOptions, _inputNames, _inputs, _outputNames, _outputs);

    /// <summary>Largest |LstmNative − ORT| over Y after one run of each (a sanity check that both run the same model).</summary>
    public double MaxDifference()
    {
        RunLstmNative();
        RunOnnxRuntime();
        double worst = 0;
        for (int i = 0; i < _y.Length; i++)
            worst = Math.Max(worst, Math.Abs(_y[i] - _yOrt[i]));
        return worst;
    }

    public void Dispose()
    {
        _session.Dispose();
        _ortX.Dispose();
        _ortY.Dispose();
        _runOptions.Dispose();
        _ort.Dispose();
    }
}

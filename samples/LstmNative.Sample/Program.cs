using LstmNative.Cpu;
using LstmNative.Forecasting;
using LstmNative.Formats;
using LstmNative.Layers;
using LstmNative.Model;
using LstmNative.Onnx;
using LstmNative.Training;
using LstmNative.Training.Layers;
using LstmNative.Training.Losses;
using LstmNative.Training.Optimizers;

// A consumer's round trip through the package: PyTorch-style weights to safetensors and back, a forward pass,
// an ONNX export read back by the graph runner, the two results compared, then the file loaded straight into a
// zero-allocation int8 session (CpuRnnModel.Load); then, from the LstmNative.Training package, a small LSTM trained to
// predict the next value of a sine wave; then, from the LstmNative.Forecasting package, the forecasting job on its
// built-in synthetic load series, scored against persistence. Exit code 0 means all agree and the training converged.
var options = new RnnOptions(RnnCellType.Lstm, InputSize: 4, HiddenSize: 8, NumLayers: 2, BatchFirst: true, Bidirectional: true);
var model = new RnnModel<float>(options).InitializeUniform(seed: 7);

string dir = Directory.CreateTempSubdirectory("lstmnative-sample-").FullName;
try
{
    string weights = Path.Combine(dir, "model.safetensors");
    PyTorchStateDict.Save(weights, model, prefix: "encoder.lstm");
    var loaded = PyTorchStateDict.Load<float>(SafetensorsReader.Read(weights), prefix: "encoder.lstm", batchFirst: true);
    Console.WriteLine($"loaded {loaded.Options.Cell} layers={loaded.Options.NumLayers} hidden={loaded.Options.HiddenSize} bidirectional={loaded.Options.Bidirectional}");

    const int batch = 3, steps = 6;
    var rng = new Random(1);
    var input = new float[batch * steps * options.InputSize];
    for (int i = 0; i < input.Length; i++)
        input[i] = (float)(rng.NextDouble() * 2 - 1);
    var result = ReferenceStack.Forward<float>(loaded, input, steps, batch, h0: [], c0: []);

    string onnx = Path.Combine(dir, "model.onnx");
    OnnxExporter.Save(onnx, loaded);
    var graph = OnnxGraphReader.Load(onnx);
    var outputs = graph.Run(new Dictionary<string, NdArray> { ["input"] = NdArray.FromFloats(input, batch, steps, options.InputSize) });
    float[] fromOnnx = outputs["output"].ToFloats();

    double maxDiff = fromOnnx.Zip(result.Output, (a, b) => Math.Abs(a - b)).Max();
    Console.WriteLine($"output [{string.Join(", ", outputs["output"].Shape)}], h_n [{string.Join(", ", outputs["h_n"].Shape)}]; max |ONNX - direct| = {maxDiff:E2}");
    if (maxDiff > 1e-4)
    {
        Console.Error.WriteLine("sample: the ONNX export and the direct run disagree");
        return 1;
    }

    // The fast path: the same file packed once (int8 weights here) into a zero-allocation session. The session is
    // time-major, so the batch-first input is reordered first; its output [T, D, B, H] is compared with PyTorch's
    // [B, T, D*H] layout of the direct run.
    var packed = CpuRnnModel.Load(weights, CpuPrecision.Int8, prefix: "encoder.lstm");
    using var session = packed.CreateSession(maxBatch: batch, maxSteps: steps);
    int features = options.InputSize, dirs = 2, hidden = options.HiddenSize;
    var timeMajor = new float[input.Length];
    for (int b = 0; b < batch; b++)
        for (int t = 0; t < steps; t++)
            Array.Copy(input, (b * steps + t) * features, timeMajor, (t * batch + b) * features, features);
    var y = new float[steps * dirs * batch * hidden];
    session.Run(timeMajor, steps, batch, y);
    double maxInt8 = 0;
    for (int t = 0; t < steps; t++)
        for (int d = 0; d < dirs; d++)
            for (int b = 0; b < batch; b++)
                for (int k = 0; k < hidden; k++)
                    maxInt8 = Math.Max(maxInt8, Math.Abs(y[((t * dirs + d) * batch + b) * hidden + k] - result.Output[((b * steps + t) * dirs + d) * hidden + k]));
    Console.WriteLine($"CpuRnnModel.Load(int8) session: max |int8 - float32| = {maxInt8:E2}");
    if (maxInt8 > 2e-2)
    {
        Console.Error.WriteLine("sample: the int8 session is further from float32 than its documented bound");
        return 1;
    }
    // Training (LstmNative.Training): LSTM → last step → Linear, MSE, Adam, on the fast CPU engine.
    var trainRng = new Random(3);
    var net = new Sequential<float>(new Lstm<float>(1, 16, trainRng), new LastTimeStep<float>(), new Linear<float>(16, 1, trainRng));
    var optimizer = new Adam<float>(net.Parameters(), 0.01);
    var loss = new MseLoss<float>();
    const int window = 12, windows = 64;
    var xs = new float[windows * window];
    var ys = new float[windows];
    for (int w = 0; w < windows; w++)
    {
        for (int t = 0; t < window; t++)
            xs[w * window + t] = (float)Math.Sin(0.3 * (w + t));
        ys[w] = (float)Math.Sin(0.3 * (w + window));
    }
    var xTensor = new Tensor<float>(xs, windows, window, 1);
    var yTensor = new Tensor<float>(ys, windows, 1);
    double first = 0, last = 0;
    for (int epoch = 0; epoch < 150; epoch++)
    {
        optimizer.ZeroGrad();
        last = loss.Forward(net.Forward(xTensor), yTensor);
        if (epoch == 0)
            first = last;
        net.Backward(loss.Backward());
        optimizer.Step();
    }
    Console.WriteLine($"trained an LSTM(1, 16) on a sine: MSE {first:F4} -> {last:F5}");
    if (!(last < first / 10))
    {
        Console.Error.WriteLine("sample: training did not reduce the loss tenfold");
        return 1;
    }
    // The forecasting job (LstmNative.Forecasting): a short run on the built-in synthetic load series, day-ahead from
    // two days, checked against the persistence forecast on the same test windows.
    var series = SyntheticLoadSeries.Generate(hours: 120 * 24);
    var data = ForecastData.Chronological(series, "synthetic", SyntheticLoadSeries.Target, window: 48, horizon: 24);
    var job = new ForecastJob(new ForecasterShape(data.Features, data.TargetColumn, 48, 24, Hidden: 16, Layers: 1, Patch: 24),
        new TrainingSettings(Epochs: 8, WindowsPerEpoch: 512, LearningRate: 3e-3), Path.Combine(dir, "forecast"));
    var report = ForecastPipeline.Run(data, job).Report;
    var lstm = report.Results.First(r => r.Name == "LSTM");
    var persistence = report.Results.First(r => r.Name == "persistence");
    Console.WriteLine($"forecast: {lstm.Name} test MSE {lstm.Mse:F4}, {persistence.Name} {persistence.Mse:F4}");
    if (!(lstm.Mse < persistence.Mse))
    {
        Console.Error.WriteLine("sample: the forecaster did not beat persistence");
        return 1;
    }
    // The saved model forecasts the day after the series' end, in MW, from the raw series (as `lstmnative predict`).
    var saved = ForecasterCheckpoint.Open(Path.Combine(dir, "forecast", ForecastPipeline.ModelFile));
    var nextDay = saved.Forecast(series);
    Console.WriteLine($"next day: {nextDay[1, 0]:F2} MW in the first hour, {nextDay[24, 0]:F2} MW in the last (last observed {series[series.RowCount - 1, series.ColumnIndex("load")]:F2})");
    if (!nextDay.Values.All(double.IsFinite))
    {
        Console.Error.WriteLine("sample: the saved model's forecast is not finite");
        return 1;
    }
    Console.WriteLine("sample ok");
    return 0;
}
finally
{
    Directory.Delete(dir, recursive: true);
}

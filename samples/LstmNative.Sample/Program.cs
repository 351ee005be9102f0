using LstmNative.Formats;
using LstmNative.Layers;
using LstmNative.Model;

// A consumer's round trip through the package: PyTorch-style weights to safetensors and back, a forward pass,
// an ONNX export read back by the graph runner, and the two results compared. Exit code 0 means all agree.
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
    Console.WriteLine("sample ok");
    return 0;
}
finally
{
    Directory.Delete(dir, recursive: true);
}

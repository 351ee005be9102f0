using LstmNative.Cpu;
using LstmNative.Training.Layers;
using LstmNative.Training.Losses;
using LstmNative.Training.Optimizers;
using LstmNative.Training.Quantization;

namespace LstmNative.Tutorial.Samples;

/// <summary>
/// PyTorch's <c>quantize_dynamic(model, {nn.LSTM}, torch.qint8)</c>: <c>Quantize.Dynamic(model, CpuPrecision.Int8)</c>
/// returns an inference module with the same input and output, its LSTM weights int8.
/// </summary>
public static class DynamicInt8
{
    /// <summary>Runs the sample.</summary>
    public static void Run(SampleContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var (x, y) = Toy.NextStep(Toy.Series(300).Select(v => (v - 10) / 3).ToArray(), window: 48);
        var rng = new Random(10);
        var lstm = new Lstm<float>(1, 128, rng, numLayers: 2);
        var model = new Sequential<float>(lstm, new LastTimeStep<float>(), new Linear<float>(128, 1, rng));
        var loss = new MseLoss<float>();
        var optimizer = new Adam<float>(model.Parameters(), learningRate: 0.005);
        for (int epoch = 0; epoch < ctx.Epochs(20, 3); epoch++)
        {
            optimizer.ZeroGrad();
            loss.Forward(model.Forward(x), y);
            model.Backward(loss.Backward());
            optimizer.Step();
        }

        using var int8 = Quantize.Dynamic(model, CpuPrecision.Int8);
        var exact = model.Predict(x);
        var quantized = int8.Forward(x); // same input and output as the float model
        double diff = exact.Data.Zip(quantized.Data, (a, b) => Math.Abs(a - b)).Max();
        ctx.Print($"{x} -> {quantized}: max |int8 - float| {diff:G3}; MSE float {loss.Forward(exact, y):F5}, int8 {loss.Forward(quantized, y):F5}");
        ctx.Require(diff < 2e-2, $"int8 differs from float by {diff}");
    }
}

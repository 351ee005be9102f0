using LstmNative.Training.Layers;
using LstmNative.Training.Losses;
using LstmNative.Training.Optimizers;

namespace LstmNative.Tutorial.Samples;

/// <summary>
/// CNN-LSTM: <c>Conv1d</c> and <c>MaxPool1d</c> take <c>[B, C, L]</c>, the LSTM <c>[B, T, F]</c>; <c>Transpose</c>
/// converts between them. The convolution extracts local features, pooling halves the steps the LSTM runs.
/// </summary>
public static class CnnLstm
{
    /// <summary>Runs the sample.</summary>
    public static void Run(SampleContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var (x, y) = Toy.NextStep(Toy.Series(ctx.Quick ? 200 : 500).Select(v => (v - 10) / 3).ToArray(), window: 24);
        var rng = new Random(9);
        var model = new Sequential<float>(
            new Transpose<float>(1, 2),                         // [B, 24, 1] -> [B, 1, 24]
            new Conv1d<float>(1, 8, kernelSize: 3, rng, padding: 1), new Relu<float>(),
            new MaxPool1d<float>(2),                            // [B, 8, 12]
            new Transpose<float>(1, 2),                         // [B, 12, 8]
            new Lstm<float>(8, 16, rng), new LastTimeStep<float>(), new Linear<float>(16, 1, rng));
        var loss = new MseLoss<float>();
        var optimizer = new Adam<float>(model.Parameters(), learningRate: 0.01);
        double first = loss.Forward(model.Predict(x), y);
        for (int epoch = 0; epoch < ctx.Epochs(60, 10); epoch++)
        {
            optimizer.ZeroGrad();
            loss.Forward(model.Forward(x), y);
            model.Backward(loss.Backward());
            optimizer.Step();
        }
        double last = loss.Forward(model.Predict(x), y);
        ctx.Print($"input {x} -> output {model.Predict(x)}; MSE {first:F4} -> {last:F4}");
        ctx.Require(last < first, "training did not lower the loss");
    }
}

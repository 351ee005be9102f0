using LstmNative.Training.Layers;
using LstmNative.Training.Losses;
using LstmNative.Training.Optimizers;

namespace LstmNative.Tutorial.Samples;

/// <summary>
/// <c>BatchNorm1d</c> between two LSTM layers: with <c>featuresLast: true</c> it normalises the <c>[B, T, F]</c> the
/// first LSTM returns over B and T (PyTorch needs a transpose to <c>[B, F, T]</c> for this); evaluation mode uses the
/// running statistics.
/// </summary>
public static class BatchNormBetweenLstms
{
    /// <summary>Runs the sample.</summary>
    public static void Run(SampleContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var (x, y) = Toy.NextStep(Toy.Series(400).Select(v => (v - 10) / 3).ToArray(), window: 16);
        var rng = new Random(4);
        var norm = new BatchNorm1d<float>(24, featuresLast: true);
        var model = new Sequential<float>(
            new Lstm<float>(1, 24, rng), norm, new Lstm<float>(24, 24, rng), new LastTimeStep<float>(), new Linear<float>(24, 1, rng));
        var loss = new MseLoss<float>();
        var optimizer = new Adam<float>(model.Parameters(), learningRate: 0.01);
        double first = loss.Forward(model.Predict(x), y);
        for (int epoch = 0; epoch < ctx.Epochs(60, 15); epoch++)
        {
            optimizer.ZeroGrad();
            loss.Forward(model.Forward(x), y);
            model.Backward(loss.Backward());
            optimizer.Step();
        }
        double last = loss.Forward(model.Predict(x), y);
        var running = model.Buffers().Select(b => b.Name);
        ctx.Print($"buffers: {string.Join(", ", running)}; MSE (eval, running statistics) {first:F4} -> {last:F4}");
        ctx.Require(last < first, "training did not lower the loss");
    }
}

using LstmNative.Training;
using LstmNative.Training.Layers;
using LstmNative.Training.Losses;
using LstmNative.Training.Optimizers;

namespace LstmNative.Tutorial.Samples;

/// <summary>
/// A bidirectional LSTM (PyTorch's <c>nn.LSTM(1, 16, bidirectional=True, batch_first=True)</c>) classifying whether a
/// sequence's first value is positive: the forward direction carries it to the last step.
/// </summary>
public static class BiLstm
{
    /// <summary>Runs the sample.</summary>
    public static void Run(SampleContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        const int steps = 8, hidden = 16, n = 256;
        var rng = new Random(1);
        var lstm = new Lstm<float>(1, hidden, rng, bidirectional: true);
        var model = new Sequential<float>(lstm, new LastTimeStep<float>(), new Linear<float>(2 * hidden, 2, rng));
        var x = Toy.Random(rng, n, steps, 1);
        int[] labels = Enumerable.Range(0, n).Select(i => x.Data[i * steps] > 0 ? 1 : 0).ToArray();

        var y = model.Predict(x);
        ctx.Print($"output {lstm.Forward(x)}, h_n {lstm.FinalHidden}, logits {y}");
        long count = model.Layers[0].ParameterCount(); // PyTorch: 2 directions × (4H·I + 4H·H + 2·4H)
        ctx.Require(count == 2 * (4 * hidden * 1 + 4 * hidden * hidden + 2 * 4 * hidden), $"parameter count {count}");

        var loss = new CrossEntropyLoss<float>();
        var optimizer = new Adam<float>(model.Parameters(), learningRate: 0.01);
        double first = double.NaN, last = double.NaN;
        for (int epoch = 0; epoch < ctx.Epochs(60, 15); epoch++)
        {
            optimizer.ZeroGrad();
            last = loss.Forward(model.Forward(x), labels);
            model.Backward(loss.Backward());
            optimizer.Step();
            first = epoch == 0 ? last : first;
        }
        double accuracy = Toy.Accuracy(model.Predict(x), labels);
        ctx.Print($"LSTM parameters {count}; loss {first:F3} -> {last:F3}; accuracy {accuracy:P0}");
        ctx.Require(last < first, "training did not lower the loss");
        ctx.Require(ctx.Quick || accuracy > 0.9, $"accuracy {accuracy:P0}");
    }
}

using LstmNative.Training;
using LstmNative.Training.Layers;
using LstmNative.Training.Losses;
using LstmNative.Training.Optimizers;

namespace LstmNative.Tutorial.Samples;

/// <summary>
/// Tokens → <c>Embedding</c> → LSTM → linear → cross-entropy: does a sequence of 12 tokens (vocabulary 20) contain
/// token 7? Token ids travel as float values in a <c>[B, T]</c> tensor; the embedding returns <c>[B, T, 8]</c>.
/// </summary>
public static class EmbeddingLstm
{
    /// <summary>Runs the sample.</summary>
    public static void Run(SampleContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        const int vocabulary = 20, steps = 12, n = 256;
        var rng = new Random(8);
        var tokens = new Tensor<float>(n, steps);
        var labels = new int[n];
        for (int b = 0; b < n; b++)
        {
            for (int t = 0; t < steps; t++)
                tokens.Data[b * steps + t] = rng.Next(vocabulary); // about half the sequences hold a 7
            labels[b] = tokens.Data.AsSpan(b * steps, steps).Contains(7f) ? 1 : 0;
        }
        var model = new Sequential<float>(
            new Embedding<float>(vocabulary, 8, rng), new Lstm<float>(8, 32, rng), new LastTimeStep<float>(), new Linear<float>(32, 2, rng));
        var loss = new CrossEntropyLoss<float>();
        var optimizer = new Adam<float>(model.Parameters(), learningRate: 0.01);
        double first = double.NaN, last = double.NaN;
        for (int epoch = 0; epoch < ctx.Epochs(80, 15); epoch++)
        {
            optimizer.ZeroGrad();
            last = loss.Forward(model.Forward(tokens), labels);
            model.Backward(loss.Backward());
            optimizer.Step();
            first = epoch == 0 ? last : first;
        }
        double accuracy = Toy.Accuracy(model.Predict(tokens), labels);
        ctx.Print($"{labels.Count(l => l == 1)} of {n} sequences hold token 7; loss {first:F3} -> {last:F3}, accuracy {accuracy:P0}");
        ctx.Require(last < first, "training did not lower the loss");
        ctx.Require(ctx.Quick || accuracy > 0.85, $"accuracy {accuracy:P0}");
    }
}

using System.Numerics;
using LstmNative.Training.Losses;
using LstmNative.Training.Optimizers;

namespace LstmNative.Training.Layers;

/// <summary>
/// Stateful training over one long series with truncated back-propagation through time: the series is cut into
/// <c>streams</c> contiguous parallel streams (the batch), walked in chunks of <c>chunk</c> steps; the recurrent
/// layers carry their state from chunk to chunk (<see cref="RecurrentLayer{T}.Stateful"/>), and gradients stop at
/// each chunk boundary. Memory and time per step stay bounded however long the series is.
/// </summary>
public static class TruncatedBptt
{
    /// <summary>
    /// One epoch. <paramref name="inputs"/> is <c>[N, F]</c> and <paramref name="targets"/> <c>[N, K]</c> row-major
    /// (row t's target usually being row t+1's value); the model maps <c>[B, chunk, F]</c> to <c>[B, chunk, K]</c>.
    /// Returns the mean chunk loss. The layers' state is reset first, and left carrying the end of the epoch.
    /// </summary>
    public static double Epoch<T>(IModule<T> model, IReadOnlyList<RecurrentLayer<T>> recurrent, T[] inputs, int features, T[] targets, int outputs,
        int streams, int chunk, ILoss<T> loss, Optimizer<T> optimizer, double clipNorm = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(recurrent);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (features < 1 || outputs < 1 || streams < 1 || chunk < 1)
            throw new ArgumentException("features, outputs, streams and chunk must be positive");
        int rows = inputs.Length / features;
        if (inputs.Length != rows * features || targets.Length != rows * outputs)
            throw new ArgumentException($"inputs ({inputs.Length}) and targets ({targets.Length}) must hold the same rows of {features} and {outputs} values");
        int perStream = rows / streams;
        int chunks = perStream / chunk;
        if (chunks < 1)
            throw new ArgumentException($"{rows} rows are too few for {streams} streams of at least one chunk of {chunk}");

        foreach (var layer in recurrent)
        {
            layer.Stateful = true;
            layer.ResetState();
        }
        model.Train();
        var x = new Tensor<T>(streams, chunk, features);
        var y = new Tensor<T>(streams, chunk, outputs);
        double total = 0;
        for (int k = 0; k < chunks; k++)
        {
            for (int s = 0; s < streams; s++)
            {
                int row = s * perStream + k * chunk;
                inputs.AsSpan(row * features, chunk * features).CopyTo(x.Data.AsSpan(s * chunk * features));
                targets.AsSpan(row * outputs, chunk * outputs).CopyTo(y.Data.AsSpan(s * chunk * outputs));
            }
            optimizer.ZeroGrad();
            total += double.CreateChecked(loss.Forward(model.Forward(x), y));
            model.Backward(loss.Backward());
            if (clipNorm > 0)
                GradientClipping.ClipByGlobalNorm(optimizer.Parameters, clipNorm);
            optimizer.Step();
        }
        return total / chunks;
    }
}

using LstmNative.Training;
using LstmNative.Training.Layers;
using LstmNative.Training.Losses;
using LstmNative.Training.Optimizers;

namespace LstmNative.Tutorial.Samples;

/// <summary>
/// Exploding gradients: an LSTM with oversized recurrent weights over 200 steps, clipped as PyTorch's
/// <c>clip_grad_norm_</c> and <c>clip_grad_value_</c> do, between <c>Backward</c> and <c>optimizer.Step()</c>.
/// </summary>
public static class Clipping
{
    /// <summary>Runs the sample.</summary>
    public static void Run(SampleContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var rng = new Random(2);
        var model = new Sequential<float>(new Lstm<float>(4, 32, rng), new LastTimeStep<float>(), new Linear<float>(32, 1, rng));
        foreach (var p in model.Parameters().Where(p => p.Name.Contains("weight_hh", StringComparison.Ordinal)))
            for (int i = 0; i < p.Value.Length; i++)
                p.Value.Data[i] *= 4; // a recurrence that amplifies: the gradient grows with the sequence
        var x = Toy.Random(rng, 8, ctx.Quick ? 100 : 200, 4);
        var loss = new MseLoss<float>();

        loss.Forward(model.Forward(x), new Tensor<float>(8, 1));
        model.Backward(loss.Backward());
        var parameters = model.Parameters().ToArray();
        double before = GradientClipping.ClipByGlobalNorm(parameters, maxNorm: 1.0); // returns the norm before clipping
        double after = GradientNorms.Global(parameters);
        ctx.Print($"global gradient norm {before:G4} clipped to {after:G4}");
        ctx.Require(after <= 1.0 + 1e-5 && (before <= 1.0 || Math.Abs(after - 1.0) < 1e-3), $"clipping gave {after}");

        GradientClipping.ClipByValue(parameters, clipValue: 0.01);
        double largest = parameters.Max(p => p.Grad.Data.Max(Math.Abs));
        ctx.Print($"after clipping by value 0.01: largest |gradient| {largest:G3}");
        ctx.Require(largest <= 0.01f, $"largest gradient {largest}");
    }
}

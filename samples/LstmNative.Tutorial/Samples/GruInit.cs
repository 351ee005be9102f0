using LstmNative.Training;
using LstmNative.Training.Init;
using LstmNative.Training.Layers;
using LstmNative.Training.Losses;
using LstmNative.Training.Optimizers;

namespace LstmNative.Tutorial.Samples;

/// <summary>
/// A two-layer GRU: PyTorch's parameter count, recurrent weights initialised orthogonal (the default here, Keras'),
/// PyTorch's uniform ±1/√H on request, and the per-layer gradient norms after one backward pass.
/// </summary>
public static class GruInit
{
    /// <summary>Runs the sample.</summary>
    public static void Run(SampleContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        const int input = 4, hidden = 32;
        var rng = new Random(11);
        var gru = new Gru<float>(input, hidden, rng, numLayers: 2);
        long expected = 3 * hidden * (input + hidden + 2) + 3 * hidden * (hidden + hidden + 2); // torch: sum(p.numel())
        ctx.Require(gru.ParameterCount() == expected, $"parameter count {gru.ParameterCount()}");

        // weight_hh_l0 is [3H, H]: orthogonal columns, so R^T R = I.
        var r = gru.Parameters().Single(p => p.Name == "weight_hh_l0").Value.Data;
        double worst = 0;
        for (int i = 0; i < hidden; i++)
            for (int j = 0; j < hidden; j++)
            {
                double dot = 0;
                for (int k = 0; k < 3 * hidden; k++)
                    dot += (double)r[k * hidden + i] * r[k * hidden + j];
                worst = Math.Max(worst, Math.Abs(dot - (i == j ? 1 : 0)));
            }
        ctx.Print($"GRU parameters {expected}; max |R^T R - I| of weight_hh_l0: {worst:G3}");
        ctx.Require(worst < 1e-5, "the recurrent weights are not orthogonal");

        var model = new Sequential<float>(gru, new LastTimeStep<float>(), new Linear<float>(hidden, 1, rng));
        var loss = new MseLoss<float>();
        loss.Forward(model.Forward(Toy.Random(rng, 16, 30, input)), Toy.Random(rng, 16, 1));
        model.Backward(loss.Backward());
        foreach (var norm in GradientNorms.PerLayer(model.Parameters()))
            ctx.Print($"  gradient norm {norm.Name,-10} {norm.Norm:G4}");

        foreach (var layer in gru.Weights.Layers)
            RnnInitializers.InitializeLikePyTorch(layer, rng); // PyTorch's reset_parameters: uniform ±1/sqrt(H)
        double bound = 1 / Math.Sqrt(hidden);
        ctx.Require(gru.Parameters().All(p => p.Value.Data.All(v => Math.Abs(v) <= bound)), "PyTorch's init is bounded by 1/sqrt(H)");
        ctx.Print($"after InitializeLikePyTorch every weight and bias lies in ±{bound:G3}");
    }
}

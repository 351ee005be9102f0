using LstmNative.Training;
using LstmNative.Training.Layers;
using LstmNative.Training.Losses;
using LstmNative.Training.Optimizers;
using LstmNative.Training.Schedulers;

namespace LstmNative.Tutorial.Samples;

/// <summary>
/// PyTorch's <c>ReduceLROnPlateau(optimizer, factor=0.5, patience=2)</c>: the scheduler is built on the optimizer and
/// <c>Step(validationLoss)</c> lowers the optimizer's learning rate when the loss stops improving.
/// </summary>
public static class Plateau
{
    /// <summary>Runs the sample.</summary>
    public static void Run(SampleContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var (x, y) = Toy.NextStep(Toy.Series(300).Select(v => (v - 10) / 3).ToArray(), window: 12);
        var rng = new Random(3);
        var model = new Sequential<float>(new Lstm<float>(1, 16, rng), new LastTimeStep<float>(), new Linear<float>(16, 1, rng));
        var loss = new MseLoss<float>();
        var optimizer = new Adam<float>(model.Parameters(), learningRate: 0.05);
        var scheduler = new ReduceLROnPlateau(optimizer, factor: 0.5, patience: 2, threshold: 0.05);
        for (int epoch = 0; epoch < ctx.Epochs(40, 20); epoch++)
        {
            model.Train();
            optimizer.ZeroGrad();
            loss.Forward(model.Forward(x), y);
            model.Backward(loss.Backward());
            optimizer.Step();
            double validation = loss.Forward(model.Predict(x), y); // (a real run scores held-out data)
            scheduler.Step(validation);
            ctx.Print($"epoch {epoch,2}: loss {validation:F4}, learning rate {optimizer.LearningRate:G3}");
        }
        ctx.Require(optimizer.LearningRate < 0.05, "the plateau never lowered the optimizer's rate");
        ctx.Require(optimizer.LearningRate == scheduler.LearningRate, "the scheduler and the optimizer disagree");
    }
}

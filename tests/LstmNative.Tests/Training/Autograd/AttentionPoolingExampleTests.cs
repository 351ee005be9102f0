using System.Diagnostics;
using LstmNative.Training;
using LstmNative.Training.Autograd;
using LstmNative.Training.Layers;
using LstmNative.Training.Optimizers;
using NUnit.Framework;

namespace LstmNative.Tests.Training.Autograd;

/// <summary>
/// The custom model of docs/autograd.md, trained with no hand-written backward: attention pooling over the outputs of
/// an LSTM on the fast engine. The task needs one step out of twelve: the target is the value at the step a marker
/// channel points to, so predicting the mean (chance) scores the variance of the values, 1/3.
/// </summary>
public class AttentionPoolingExampleTests
{
    private const int Steps = 12, Batch = 32, Hidden = 16;

    [Test]
    public void TrainsWellBelowChanceInSeconds()
    {
        var rng = new Random(7);
        var lstm = new Lstm<float>(inputSize: 2, hiddenSize: Hidden, rng);
        var attention = new Parameter<float>("attention.w", Init(rng, Hidden, Hidden));
        var score = new Parameter<float>("attention.v", Init(rng, Hidden, 1));
        var headW = new Parameter<float>("head.weight", Init(rng, Hidden, 1));
        var headB = new Parameter<float>("head.bias", new Tensor<float>(1));
        var optimizer = new Adam<float>(lstm.Parameters().Concat([attention, score, headW, headB]), learningRate: 1e-2);

        Var<float> Predict(Tensor<float> x)
        {
            var h = lstm.Call(new Var<float>(x));                                                   // [B, T, H]
            var e = h.MatMul(Var<float>.Parameter(attention)).Tanh().MatMul(Var<float>.Parameter(score)); // [B, T, 1]
            var a = e.Softmax(1);                                                                    // over time
            var context = (a * h).Sum(1);                                                           // [B, H]
            return context.MatMul(Var<float>.Parameter(headW)) + Var<float>.Parameter(headB);        // [B, 1]
        }

        var clock = Stopwatch.StartNew();
        double last = double.NaN;
        for (int step = 0; step < 400; step++)
        {
            var (x, y) = Batch32(rng);
            optimizer.ZeroGrad();
            var loss = Predict(x).MseLoss(y);
            loss.Backward();
            GradientClipping.ClipByGlobalNorm(optimizer.Parameters, 1.0);
            optimizer.Step();
            last = loss.Item();
        }
        double test = 0;
        using (NoGrad.Enter())
            for (int i = 0; i < 10; i++)
            {
                var (x, y) = Batch32(rng);
                test += Predict(x).MseLoss(y).Item() / 10;
            }
        TestContext.Out.WriteLine($"400 steps in {clock.Elapsed.TotalSeconds:F1} s; last training loss {last:F4}; test MSE {test:F4} (chance 0.333)");
        Assert.That(test, Is.LessThan(0.05), "well below chance (1/3)");
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)));
    }

    private static (Tensor<float> X, Tensor<float> Y) Batch32(Random rng)
    {
        var x = new Tensor<float>(Batch, Steps, 2);
        var y = new Tensor<float>(Batch, 1);
        for (int b = 0; b < Batch; b++)
        {
            int marked = rng.Next(Steps);
            for (int t = 0; t < Steps; t++)
            {
                float v = (float)(rng.NextDouble() * 2 - 1);
                x.Data[(b * Steps + t) * 2] = v;
                x.Data[(b * Steps + t) * 2 + 1] = t == marked ? 1 : 0;
                if (t == marked)
                    y.Data[b] = v;
            }
        }
        return (x, y);
    }

    private static Tensor<float> Init(Random rng, int rows, int cols)
    {
        var t = new Tensor<float>(rows, cols);
        double bound = Math.Sqrt(6.0 / (rows + cols));
        for (int i = 0; i < t.Length; i++)
            t.Data[i] = (float)((rng.NextDouble() * 2 - 1) * bound);
        return t;
    }
}

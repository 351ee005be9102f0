using LstmNative.Training;
using LstmNative.Training.Data;
using LstmNative.Training.Layers;
using LstmNative.Training.Losses;
using LstmNative.Training.Optimizers;
using LstmNative.Training.Schedulers;
using NUnit.Framework;

namespace LstmNative.Tests.Training;

/// <summary>
/// The building blocks together, as a forecaster will use them (an MLP stands in for the recurrent layer):
/// split, scale on train only, window, train with clipping, warm-up + cosine, early stopping, restore, unscale.
/// </summary>
public class TrainingLoopTests
{
    [Test]
    public void MlpForecasterLearnsASineWave()
    {
        const int window = 8, horizon = 2;
        int rows = 400;
        var data = new double[rows * 2];
        for (int r = 0; r < rows; r++)
        {
            data[2 * r] = 10 + 3 * Math.Sin(r * 0.2);
            data[2 * r + 1] = Math.Cos(r * 0.05);
        }
        var table = new NumericTable(["load", "season"], data);
        var (train, validation, _) = ChronologicalSplit.Split(table, 0.7, 0.15, contextRows: window);
        var scaler = new StandardScaler();
        scaler.Fit(train);
        var trainSet = new SlidingWindowDataset(scaler.Transform(train), window, horizon, ["load"]);
        var valSet = new SlidingWindowDataset(scaler.Transform(validation), window, horizon, ["load"]);

        var rng = new Random(7);
        var model = new Sequential<float>(new Flatten<float>(), new Linear<float>(window * 2, 16, rng), new Tanh<float>(), new Linear<float>(16, horizon, rng));
        var loss = new MseLoss<float>();
        var optimizer = new AdamW<float>(model.Parameters(), learningRate: 0.01);
        var schedule = new LinearWarmup(new CosineAnnealingLR(0.01, 40, 1e-4), warmupEpochs: 3);
        var stopper = new EarlyStopping<float>(model, patience: 5, minDelta: 1e-5);
        var shuffle = new Random(11);

        double firstValidation = double.NaN;
        for (int epoch = 0; epoch < 40; epoch++)
        {
            optimizer.LearningRate = schedule.LearningRate;
            model.Train();
            foreach (var batch in trainSet.Batches<float>(32, shuffle))
            {
                optimizer.ZeroGrad();
                loss.Forward(model.Forward(batch.Inputs), batch.Targets);
                model.Backward(loss.Backward());
                double norm = GradientClipping.ClipByGlobalNorm(optimizer.Parameters, 1.0);
                Assert.That(double.IsFinite(norm));
                optimizer.Step();
            }
            double val = Evaluate(model, loss, valSet);
            if (epoch == 0)
                firstValidation = val;
            schedule.Step(val);
            if (stopper.Step(val))
                break;
        }
        stopper.RestoreBest();

        double restored = Evaluate(model, loss, valSet);
        Assert.Multiple(() =>
        {
            Assert.That(restored, Is.EqualTo(stopper.BestMetric).Within(1e-6), "restoring gives back the best epoch's model");
            Assert.That(restored, Is.LessThan(firstValidation / 10));
            Assert.That(restored, Is.LessThan(0.02));
        });

        // Predictions back in the data's units: the load swings between 7 and 13.
        model.Eval();
        var first = valSet.Batches<float>(1).First();
        var prediction = model.Forward(first.Inputs).ToDoubles();
        var truth = first.Targets.ToDoubles();
        scaler.InverseTransformFeature(prediction, 0);
        scaler.InverseTransformFeature(truth, 0);
        Assert.That(prediction, Is.EqualTo(truth).Within(0.5));
    }

    private static double Evaluate(Sequential<float> model, MseLoss<float> loss, SlidingWindowDataset set)
    {
        model.Eval();
        double total = 0;
        int count = 0;
        foreach (var batch in set.Batches<float>(64))
        {
            total += loss.Forward(model.Forward(batch.Inputs), batch.Targets) * batch.Samples.Length;
            count += batch.Samples.Length;
        }
        return total / count;
    }
}

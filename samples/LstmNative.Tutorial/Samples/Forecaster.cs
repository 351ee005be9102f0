using LstmNative.Training.Data;
using LstmNative.Training.Layers;
using LstmNative.Training.Losses;
using LstmNative.Training.Optimizers;

namespace LstmNative.Tutorial.Samples;

/// <summary>
/// The classic forecaster: a chronological split, a <c>MinMaxScaler</c> fitted on the training rows only, sliding
/// windows (24 steps in, 6 out), an LSTM with a linear head; forecasts scaled back and scored against persistence.
/// </summary>
public static class Forecaster
{
    /// <summary>Runs the sample.</summary>
    public static void Run(SampleContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        const int window = 24, horizon = 6;
        var table = new NumericTable(["load"], Toy.Series(ctx.Quick ? 600 : 1500));
        var (train, _, test) = ChronologicalSplit.Split(table, 0.8, 0, contextRows: window);
        var scaler = new MinMaxScaler();
        scaler.Fit(train);
        var trainSet = new SlidingWindowDataset(scaler.Transform(train), window, horizon, ["load"]);
        var testSet = new SlidingWindowDataset(scaler.Transform(test), window, horizon, ["load"]);

        var rng = new Random(6);
        var model = new Sequential<float>(new Lstm<float>(1, 32, rng), new LastTimeStep<float>(), new Linear<float>(32, horizon, rng));
        var loss = new MseLoss<float>();
        var optimizer = new Adam<float>(model.Parameters(), learningRate: 0.01);
        var shuffle = new Random(7);
        for (int epoch = 0; epoch < ctx.Epochs(30, 4); epoch++)
        {
            model.Train();
            foreach (var batch in trainSet.Batches<float>(32, shuffle))
            {
                optimizer.ZeroGrad();
                loss.Forward(model.Forward(batch.Inputs), batch.Targets);
                model.Backward(loss.Backward());
                GradientClipping.ClipByGlobalNorm(optimizer.Parameters, 1.0);
                optimizer.Step();
            }
        }

        double modelError = 0, persistenceError = 0;
        int count = 0;
        foreach (var batch in testSet.Batches<float>(64))
        {
            double[] forecast = model.Predict(batch.Inputs).ToDoubles(), actual = batch.Targets.ToDoubles();
            double[] last = Enumerable.Range(0, actual.Length).Select(i => (double)batch.Inputs.Data[((i / horizon) + 1) * window - 1]).ToArray();
            foreach (var values in new[] { forecast, actual, last })
                scaler.InverseTransformFeature(values, 0); // back to the data's units
            for (int i = 0; i < actual.Length; i++)
            {
                modelError += Math.Abs(forecast[i] - actual[i]);
                persistenceError += Math.Abs(last[i] - actual[i]);
            }
            count += actual.Length;
        }
        ctx.Print($"test MAE in data units: LSTM {modelError / count:F3}, persistence {persistenceError / count:F3}");
        ctx.Require(ctx.Quick || modelError < persistenceError, "the LSTM did not beat persistence");
        ctx.Require(double.IsFinite(modelError), "the forecast is not finite");
    }
}

using LstmNative.Gpu.Tests.Emulation;
using LstmNative.Gpu.Device;
using LstmNative.Gpu.Training;
using LstmNative.Training;
using LstmNative.Forecasting;
using LstmNative.Training.Layers;
using LstmNative.Training.Losses;
using LstmNative.Training.Optimizers;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Training;

/// <summary>The accelerator's checks on the CPU emulation of the device (they run everywhere).</summary>
public class EmulatedForecastTests : ForecastAcceleratorTests
{
    private protected override DeviceArena NewDevice() => new EmulatedBackend().CreateArena();
}

/// <summary>
/// The forecaster trained through <see cref="GpuForecastAccelerator"/>: the same forecasts as
/// <see cref="LstmForecaster{T}"/> on the CPU, the same optimizer step, and the training loop end to end. The device
/// is the CPU emulation (<see cref="EmulatedForecastTests"/>) or the GPU (<see cref="GpuForecastTests"/>).
/// </summary>
public abstract class ForecastAcceleratorTests
{
    private protected abstract DeviceArena NewDevice();

    /// <summary>Absolute tolerance on forecasts and weights (the GPU's GEMMs sum in another order than the host's).</summary>
    protected virtual double Tolerance => 1e-5;

    private static ForecastData Data() =>
        ForecastData.Chronological(SyntheticLoadSeries.Generate(24 * 40, seed: 3), "small", "load", 48, 6);

    private static ForecasterShape Shape(ForecastData d, bool highway, int patch = 24) =>
        new(d.Features, d.TargetColumn, d.Window, d.Horizon, Hidden: 5, Layers: 2, Patch: patch, Highway: highway);

    private GpuForecastAccelerator Accelerator(LstmForecaster<float> model, TrainingSettings settings, int maxBatch)
    {
        var trainer = new GpuRnnTrainer(NewDevice(), GpuForecastAccelerator.OptionsFor(model, settings, maxBatch), ownsDevice: true);
        return new GpuForecastAccelerator(trainer, model.Shape, maxBatch, "emulated");
    }

    [Test]
    public void PerWindowScalingIsRefusedWithTheReason()
    {
        // The device step's loss is MSE on the change from the last value; RevIN's per-window scale is not part of it.
        var data = Data();
        var model = new LstmForecaster<float>(Shape(data, highway: true) with { InstanceScale = true }, new Random(1));
        Assert.That(() => GpuForecastAccelerator.OptionsFor(model, new TrainingSettings(), 8),
            Throws.ArgumentException.With.Message.Contains("instance scale").And.Message.Contains("CPU only"));
    }

    /// <summary>A model whose head and highway are not zero (they start at zero: the forecast would be persistence).</summary>
    private static LstmForecaster<float> RandomModel(ForecasterShape shape, int seed)
    {
        var model = new LstmForecaster<float>(shape, new Random(seed));
        var rng = new Random(seed + 1);
        foreach (var p in model.Parameters().Where(p => p.Name.StartsWith("head", StringComparison.Ordinal) || p.Name.StartsWith("highway", StringComparison.Ordinal)))
            for (int i = 0; i < p.Value.Length; i++)
                p.Value.Data[i] = (float)(rng.NextDouble() - 0.5) * 0.4f;
        return model;
    }

    private static (Tensor<float> X, Tensor<float> Y) Batch(ForecastData data, int count, int seed)
    {
        var origins = data.TrainOrigins.OrderBy(_ => 0).Skip(new Random(seed).Next(data.TrainOrigins.Length - count)).Take(count).ToArray();
        var x = new Tensor<float>(count, data.Window, data.Features);
        var y = new Tensor<float>(count, data.Horizon);
        data.Fill<float>(origins, x, y);
        return (x, y);
    }

    [TestCase(true, 24, 5)]
    [TestCase(false, 24, 1)]
    [TestCase(true, 8, 3)]
    public void ForecastsMatchTheCpuForecaster(bool highway, int patch, int batch)
    {
        var data = Data();
        int seed = TestContext.CurrentContext.Random.Next(1000);
        var model = RandomModel(Shape(data, highway, patch), seed);
        model.Eval();
        var (x, _) = Batch(data, batch, seed);
        var cpu = model.Forward(x).Data;
        using var accelerator = Accelerator(model, new TrainingSettings(), batch);
        accelerator.Upload(model);
        var gpu = new float[batch * data.Horizon];
        accelerator.Predict(x, gpu);
        Assert.That(gpu, Is.EqualTo(cpu).Within(10 * Tolerance), $"seed {seed}");
    }

    [Test]
    public void DownloadGivesBackAModelWithTheSameForecasts()
    {
        var data = Data();
        var model = RandomModel(Shape(data, highway: true), 11);
        model.Eval();
        var (x, _) = Batch(data, 4, 2);
        var before = model.Forward(x).Data.ToArray();
        using var accelerator = Accelerator(model, new TrainingSettings(), 4);
        accelerator.Upload(model);
        var copy = new LstmForecaster<float>(model.Shape, new Random(99));
        copy.Eval();
        accelerator.Download(copy);
        Assert.Multiple(() =>
        {
            Assert.That(copy.Forward(x).Data, Is.EqualTo(before).Within(Tolerance), "head and highway biases are folded into one: the same function");
            Assert.That(copy.Highway!.Bias!.Value.Data, Is.All.Zero);
        });
    }

    [TestCase(false, 0.5)]
    [TestCase(true, 0.0)]
    public void OneStepMovesTheWeightsAsTheCpuTrainerDoes(bool highway, double clip)
    {
        // SGD's first step is plain gradient descent (after clipping), so the weights after one step compare the whole
        // gradient. Without the highway the GPU network is the CPU one parameter for parameter. With it, the head's and
        // the highway's biases are one on the device: each CPU bias gets the gradient g, the device's sum gets g once,
        // so it moves by half the CPU's sum (and clipping, which sees g twice on the CPU, is off in that case).
        var data = Data();
        var settings = new TrainingSettings(Optimizer: "sgd", LearningRate: 0.05, ClipNorm: clip);
        var cpu = RandomModel(Shape(data, highway), 5);
        var gpuModel = RandomModel(Shape(data, highway), 5);
        var biasBefore = BiasSum(cpu);
        var (x, y) = Batch(data, 6, 8);

        var parameters = cpu.Parameters().ToArray();
        var optimizer = new Sgd<float>(parameters, settings.LearningRate, momentum: 0.9);
        var loss = new MseLoss<float>();
        cpu.Train();
        optimizer.ZeroGrad();
        double cpuLoss = loss.Forward(cpu.Forward(x), y);
        cpu.Backward(loss.Backward());
        if (clip > 0)
            GradientClipping.ClipByGlobalNorm(parameters, settings.ClipNorm);
        optimizer.Step();

        using var accelerator = Accelerator(gpuModel, settings, 6);
        accelerator.Upload(gpuModel);
        accelerator.TrainStep(x, y);
        var (sum, count) = accelerator.ReadLoss(reset: true);
        accelerator.Download(gpuModel);
        Assert.Multiple(() =>
        {
            Assert.That(count, Is.EqualTo(1));
            Assert.That(sum, Is.EqualTo(cpuLoss).Within(100 * Tolerance).Percent); // float sums in another order
            foreach (var (a, b) in cpu.Parameters().Zip(gpuModel.Parameters()))
                if (!(highway && a.Name is "head.bias" or "highway.bias"))
                    Assert.That(b.Value.Data, Is.EqualTo(a.Value.Data).Within(Tolerance), a.Name);
            var cpuMove = BiasSum(cpu).Zip(biasBefore, (after, before) => (after - before) / 2);
            var gpuMove = BiasSum(gpuModel).Zip(biasBefore, (after, before) => after - before);
            if (highway)
                Assert.That(gpuMove, Is.EqualTo(cpuMove).Within(Tolerance), "the folded bias");
        });
    }

    private static float[] BiasSum(LstmForecaster<float> model) =>
        model.Head.Bias!.Value.Data.Select((b, i) => b + (model.Highway?.Bias!.Value.Data[i] ?? 0)).ToArray();

    [Test]
    public void TheTrainingLoopRunsOnTheAcceleratorAndLearns()
    {
        var data = Data();
        var settings = new TrainingSettings(Epochs: 3, BatchSize: 16, LearningRate: 3e-3, WindowsPerEpoch: 64, Patience: 3, Seed: 4);
        var model = new LstmForecaster<float>(Shape(data, highway: true), new Random(4));
        double persistence = ForecastTrainer.Evaluate(model, data, data.ValidationOrigins);
        using var accelerator = Accelerator(model, settings, Math.Max(settings.BatchSize, ForecastTrainer.PredictionBatch));
        var progress = new List<TrainingProgress>();
        var result = ForecastTrainer.Train(model, data, settings, new Progress(progress.Add), accelerator: accelerator);
        double cpuView = ForecastTrainer.Evaluate(model, data, data.ValidationOrigins);
        Assert.Multiple(() =>
        {
            Assert.That(result.Epochs, Has.Count.EqualTo(3));
            Assert.That(result.BestValidationLoss, Is.LessThan(persistence), "it learns beyond the persistence it starts from");
            Assert.That(cpuView, Is.EqualTo(result.BestValidationLoss).Within(1e-4).Percent, "the host model holds the best epoch's weights");
            Assert.That(result.GradientFlow.Steps, Is.Empty, "gradients stay on the device");
            Assert.That(result.Epochs.Select(e => e.TrainLoss), Has.All.GreaterThan(0));
            Assert.That(progress.Select(p => p.Batch).Max(), Is.EqualTo(4));
        });
    }

    [Test]
    public void AFittedHighwayIsWhereTheDeviceStarts()
    {
        var data = Data();
        var settings = new TrainingSettings(Epochs: 2, BatchSize: 16, LearningRate: 3e-3, WindowsPerEpoch: 64, Patience: 3, Seed: 5, HighwayInit: "ridge");
        var model = new LstmForecaster<float>(Shape(data, highway: true), new Random(5));
        var fitted = new LstmForecaster<float>(Shape(data, highway: true), new Random(5));
        var fit = HighwayRidge.Fit(fitted, data);
        double host = ForecastTrainer.Evaluate(fitted, data, data.ValidationOrigins);
        using var accelerator = Accelerator(model, settings, Math.Max(settings.BatchSize, ForecastTrainer.PredictionBatch));
        var result = ForecastTrainer.Train(model, data, settings, accelerator: accelerator);
        Assert.Multiple(() =>
        {
            Assert.That(result.Highway!.Penalty, Is.EqualTo(fit.Penalty));
            Assert.That(result.Initial!.ValidationLoss, Is.EqualTo(host).Within(1e-4).Percent, "epoch 0 on the device scores the host's fit");
            Assert.That(() => ForecastTrainer.Train(model, data, settings with { FreezeHighway = true }, accelerator: accelerator),
                Throws.ArgumentException.With.Message.Contains("CPU only"));
        });
    }

    [Test]
    public void BadBatchesAreRefused()
    {
        var data = Data();
        var model = new LstmForecaster<float>(Shape(data, highway: true), new Random(1));
        using var accelerator = Accelerator(model, new TrainingSettings(), 4);
        var (x, y) = Batch(data, 5, 1);
        Assert.Multiple(() =>
        {
            Assert.That(() => accelerator.TrainStep(x, y), Throws.ArgumentException.With.Message.Contains("sized for"));
            Assert.That(() => accelerator.Predict(new Tensor<float>(2, 3, 4), new float[12]), Throws.ArgumentException.With.Message.Contains("expects [B, 48, 2]"));
            var other = new LstmForecaster<float>(Shape(data, highway: false), new Random(1));
            Assert.That(() => accelerator.Upload(other), Throws.ArgumentException.With.Message.Contains("shape"));
        });
    }

    private sealed class Progress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}

using LstmNative.Gpu.Training;
using LstmNative.Model;
using LstmNative.Reference;
using LstmNative.Training;
using LstmNative.Training.Losses;
using LstmNative.Training.Optimizers;

namespace LstmNative.Gpu.Tests.Training;

/// <summary>
/// The same training as <see cref="GpuRnnTrainer"/> done on the CPU with the reference engine (float) and
/// LstmNative.Training's losses, clipping and optimizers: the loss curve a GPU run must reproduce.
/// </summary>
internal sealed class CpuReferenceTraining
{
    private readonly GpuTrainerOptions _options;
    private readonly LayerWeights<float>[] _weights, _grads;
    private readonly float[] _headW, _headB, _headGW, _headGB;
    private readonly Optimizer<float> _optimizer;
    private readonly ILoss<float> _loss;

    public CpuReferenceTraining(GpuTrainerOptions options, IReadOnlyList<LayerWeights<float>> weights, float[] headWeight, float[] headBias)
    {
        _options = options;
        _weights = weights.Select(w => w.Clone()).ToArray();
        _grads = options.Layers.Select(o => new LayerWeights<float>(o)).ToArray();
        _headW = (float[])headWeight.Clone();
        _headB = (float[])headBias.Clone();
        _headGW = new float[_headW.Length];
        _headGB = new float[_headB.Length];
        var parameters = new List<Parameter<float>>();
        for (int l = 0; l < _weights.Length; l++)
            for (int d = 0; d < _weights[l].Directions.Length; d++)
            {
                var values = _weights[l].Directions[d].Parameters().ToArray();
                var grads = _grads[l].Directions[d].Parameters().ToArray();
                for (int k = 0; k < values.Length; k++)
                    parameters.Add(new Parameter<float>($"l{l}.d{d}.{k}", new Tensor<float>(values[k], values[k].Length), new Tensor<float>(grads[k], grads[k].Length)));
            }
        if (_headW.Length > 0)
        {
            parameters.Add(new Parameter<float>("head.weight", new Tensor<float>(_headW, _headW.Length), new Tensor<float>(_headGW, _headGW.Length)));
            parameters.Add(new Parameter<float>("head.bias", new Tensor<float>(_headB, _headB.Length), new Tensor<float>(_headGB, _headGB.Length)));
        }
        var s = options.Optimizer;
        _optimizer = s.Kind switch
        {
            DeviceOptimizerKind.Adam => new Adam<float>(parameters, s.LearningRate, s.Beta1, s.Beta2, s.Eps, s.WeightDecay),
            DeviceOptimizerKind.AdamW => new AdamW<float>(parameters, s.LearningRate, s.Beta1, s.Beta2, s.Eps, s.WeightDecay),
            _ => new Sgd<float>(parameters, s.LearningRate, s.Momentum, s.Dampening, s.WeightDecay, s.Nesterov),
        };
        var reduction = options.MeanLoss ? Reduction.Mean : Reduction.Sum;
        _loss = options.Loss switch
        {
            DeviceLossKind.Mse => new MseLoss<float>(reduction),
            DeviceLossKind.L1 => new L1Loss<float>(reduction),
            _ => new HuberLoss<float>(options.HuberDelta, reduction),
        };
    }

    public double LearningRate
    {
        get => _optimizer.LearningRate;
        set => _optimizer.LearningRate = value;
    }

    public IReadOnlyList<LayerWeights<float>> Weights => _weights;

    /// <summary>One step on a time-major batch; returns the loss.</summary>
    public double Step(float[] x, float[] target, int steps, int batch)
    {
        _optimizer.ZeroGrad();
        int layers = _weights.Length;
        var traces = new LayerTrace<float>[layers];
        float[] input = x;
        for (int l = 0; l < layers; l++)
        {
            traces[l] = ReferenceRnn.Forward<float>(_weights[l], input, steps, batch, [], [], []);
            var o = _options.Layers[l];
            input = Interleave(traces[l].Y, steps, o.DirectionCount, batch, o.HiddenSize);
        }
        int f = _options.RecurrentOutputs, outs = _options.HeadOutputs;
        int rows = _options.PredictionRows(steps, batch);
        float[] features = _options.HeadOutputs > 0 && _options.HeadOnLastStep ? input.AsSpan((steps - 1) * batch * f, batch * f).ToArray() : input;
        float[] prediction;
        if (outs > 0)
        {
            prediction = new float[rows * outs];
            for (int r = 0; r < rows; r++)
                for (int o = 0; o < outs; o++)
                {
                    float acc = 0;
                    for (int k = 0; k < f; k++)
                        acc += features[r * f + k] * _headW[o * f + k];
                    prediction[r * outs + o] = acc + _headB[o];
                }
        }
        else
        {
            prediction = features;
        }
        float loss = _loss.Forward(new Tensor<float>(prediction, prediction.Length), new Tensor<float>(target, target.Length));
        float[] g = _loss.Backward().Data;

        float[] dOut = new float[steps * batch * f];
        if (outs > 0)
        {
            int start = _options.HeadOnLastStep ? (steps - 1) * batch * f : 0;
            for (int r = 0; r < rows; r++)
                for (int o = 0; o < outs; o++)
                {
                    float go = g[r * outs + o];
                    _headGB[o] += go;
                    for (int k = 0; k < f; k++)
                    {
                        _headGW[o * f + k] += go * features[r * f + k];
                        dOut[start + r * f + k] += go * _headW[o * f + k];
                    }
                }
        }
        else
        {
            g.CopyTo(dOut, 0);
        }
        for (int l = layers - 1; l >= 0; l--)
        {
            var o = _options.Layers[l];
            var grads = ReferenceRnn.Backward<float>(traces[l], Split(dOut, steps, o.DirectionCount, batch, o.HiddenSize), [], []);
            for (int d = 0; d < o.DirectionCount; d++)
            {
                using var src = grads.Weights.Directions[d].Parameters().GetEnumerator();
                using var dst = _grads[l].Directions[d].Parameters().GetEnumerator();
                while (src.MoveNext() && dst.MoveNext())
                    for (int i = 0; i < src.Current.Length; i++)
                        dst.Current[i] += src.Current[i];
            }
            dOut = grads.DX;
        }
        switch (_options.Clip.Mode)
        {
            case GradientClipMode.GlobalNorm:
                GradientClipping.ClipByGlobalNorm(_optimizer.Parameters, _options.Clip.Limit);
                break;
            case GradientClipMode.Value:
                GradientClipping.ClipByValue(_optimizer.Parameters, _options.Clip.Limit);
                break;
        }
        _optimizer.Step();
        return loss;
    }

    private static float[] Interleave(float[] y, int steps, int dirs, int batch, int h)
    {
        var r = new float[y.Length];
        for (int t = 0; t < steps; t++)
            for (int d = 0; d < dirs; d++)
                for (int b = 0; b < batch; b++)
                    Array.Copy(y, ((t * dirs + d) * batch + b) * h, r, ((t * batch + b) * dirs + d) * h, h);
        return r;
    }

    private static float[] Split(float[] y, int steps, int dirs, int batch, int h)
    {
        var r = new float[y.Length];
        for (int t = 0; t < steps; t++)
            for (int d = 0; d < dirs; d++)
                for (int b = 0; b < batch; b++)
                    Array.Copy(y, ((t * batch + b) * dirs + d) * h, r, ((t * dirs + d) * batch + b) * h, h);
        return r;
    }
}

/// <summary>Training runs shared by the emulated and the GPU tests: the same model trained both ways.</summary>
internal static class TrainingRuns
{
    public static GpuTrainerOptions LstmRegressor(bool graph = false) =>
        new GpuTrainerOptions(
            [new RnnLayerOptions(RnnCellType.Lstm, 3, 8, RnnDirection.Bidirectional), new RnnLayerOptions(RnnCellType.Gru, 16, 6) { LinearBeforeReset = true }],
            MaxSteps: 9, MaxBatch: 5)
        {
            HeadOutputs = 2,
            Optimizer = DeviceOptimizerSettings.Adam(0.02),
            Clip = DeviceGradientClip.ByGlobalNorm(1.0),
            UseCudaGraph = graph,
        };

    public static GpuTrainerOptions SequenceToSequence() =>
        new GpuTrainerOptions([new RnnLayerOptions(RnnCellType.Gru, 2, 5, RnnDirection.Bidirectional)], MaxSteps: 6, MaxBatch: 4)
        {
            HeadOutputs = 1,
            HeadOnLastStep = false,
            Loss = DeviceLossKind.Huber,
            HuberDelta = 0.3,
            Optimizer = DeviceOptimizerSettings.Sgd(0.1, momentum: 0.9),
            Clip = DeviceGradientClip.ByValue(0.05),
        };

    /// <summary>
    /// Trains the same initial model with <paramref name="trainer"/> and on the CPU for <paramref name="stepCount"/>
    /// batches (a sine-like task), halving the learning rate half way; returns both loss curves.
    /// </summary>
    public static (double[] Gpu, double[] Cpu) Run(GpuRnnTrainer trainer, int stepCount, int steps, int batch, int seed = 5)
    {
        var options = trainer.Options;
        var rng = new Random(seed);
        var weights = options.Layers.Select(o => new LayerWeights<float>(o).Randomize(rng, 0.4)).ToArray();
        int f = options.RecurrentOutputs;
        float[] headW = StackCases.Random(rng, options.HeadOutputs * f, 0.4), headB = StackCases.Random(rng, options.HeadOutputs, 0.1);
        trainer.LoadWeights(weights, headW, headB);
        var cpu = new CpuReferenceTraining(options, weights, headW, headB);
        var gpuLosses = new double[stepCount];
        var cpuLosses = new double[stepCount];
        int inputs = options.Layers[0].InputSize, width = options.PredictionWidth;
        for (int s = 0; s < stepCount; s++)
        {
            if (s == stepCount / 2)
            {
                trainer.LearningRate /= 2;
                cpu.LearningRate /= 2;
            }
            var x = new float[steps * batch * inputs];
            for (int t = 0; t < steps; t++)
                for (int b = 0; b < batch; b++)
                    for (int i = 0; i < inputs; i++)
                        x[(t * batch + b) * inputs + i] = (float)Math.Sin(0.4 * t + b + i + 0.05 * s);
            var target = new float[options.PredictionRows(steps, batch) * width];
            for (int i = 0; i < target.Length; i++)
                target[i] = (float)(0.5 * Math.Cos(0.7 * i));
            gpuLosses[s] = trainer.TrainStep(x, target, steps, batch, readLoss: true)!.Value;
            cpuLosses[s] = cpu.Step(x, target, steps, batch);
        }
        return (gpuLosses, cpuLosses);
    }
}

using LstmNative.Cpu;
using LstmNative.Engines;
using LstmNative.Training.Layers;

namespace LstmNative.Training.Quantization;

/// <summary>
/// A model with quantized recurrent weights (<see cref="Quantize.Dynamic"/>, <see cref="Quantize.ConvertStatic"/>): the same input and output as the float
/// model, evaluation mode only. <see cref="Forward"/> runs the float model with its recurrent modules switched to the
/// packed reduced-precision weights for the duration of the call (so the float model must not be used by another
/// thread meanwhile) and returns a new tensor the caller owns. Dispose it to release the packed sessions.
/// </summary>
public sealed class QuantizedModule : IModule<float>, IDisposable
{
    private readonly IModule<float> _model;
    private readonly CpuPackedLayerEngine _engine;
    private readonly RecurrentLayer<float>[] _layers;
    private readonly RecurrentCell<float>[] _cells;

    internal QuantizedModule(IModule<float> model, CpuPrecision precision, CpuPackedLayerEngine engine,
        IEnumerable<RecurrentLayer<float>> layers, IEnumerable<RecurrentCell<float>> cells, bool isStatic = false)
    {
        _model = model;
        _engine = engine;
        _layers = layers.ToArray();
        _cells = cells.ToArray();
        Precision = precision;
        IsStatic = isStatic;
    }

    /// <summary>The weight precision of the recurrent modules.</summary>
    public CpuPrecision Precision { get; }

    /// <summary>Whether the int8 activations have fixed, calibrated scales (<see cref="Quantize.ConvertStatic"/>) rather than dynamic ones.</summary>
    public bool IsStatic { get; }

    /// <summary>The float model this one runs.</summary>
    public IModule<float> Source => _model;

    /// <summary>Always false; setting it to true throws (a quantized model cannot be trained).</summary>
    public bool IsTraining
    {
        get => false;
        set
        {
            if (value)
                throw new InvalidOperationException("a quantized model is for inference only: train the float model, then quantize it again");
        }
    }

    /// <summary>Runs the model in evaluation mode on the quantized weights; returns a new tensor.</summary>
    public Tensor<float> Forward(Tensor<float> input) => RunOn(_model, _layers, _cells, _engine, input);

    /// <summary>
    /// Runs <paramref name="model"/> in evaluation mode with its recurrent modules switched to <paramref name="engine"/>
    /// for the call (restored after, even on failure); returns a new tensor.
    /// </summary>
    internal static Tensor<float> RunOn(IModule<float> model, RecurrentLayer<float>[] layers, RecurrentCell<float>[] cells,
        IRnnLayerEngine<float> engine, Tensor<float> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var layerEngines = Array.ConvertAll(layers, l => l.Engine);
        var cellEngines = Array.ConvertAll(cells, c => c.Engine);
        bool training = model.IsTraining;
        try
        {
            model.IsTraining = false;
            foreach (var l in layers)
                l.Engine = engine;
            foreach (var c in cells)
                c.Engine = engine;
            return model.Forward(input).Clone();
        }
        finally
        {
            for (int i = 0; i < layers.Length; i++)
                layers[i].Engine = layerEngines[i];
            for (int i = 0; i < cells.Length; i++)
                cells[i].Engine = cellEngines[i];
            model.IsTraining = training;
        }
    }

    /// <summary>Not supported: a quantized model is for inference only.</summary>
    public Tensor<float> Backward(Tensor<float> gradOutput) =>
        throw new NotSupportedException("a quantized model is for inference only: train the float model, then quantize it again");

    /// <summary>None: a quantized model has nothing to train.</summary>
    public IEnumerable<Parameter<float>> Parameters() => [];

    /// <summary>The float model's buffers (running statistics), which it uses as they are.</summary>
    public IEnumerable<NamedTensor<float>> Buffers() => _model.Buffers();

    /// <summary>Releases the packed weights' sessions.</summary>
    public void Dispose() => _engine.Dispose();
}

using LstmNative.Engines;
using LstmNative.Training.Layers;

namespace LstmNative.Training.Quantization;

/// <summary>
/// A model prepared for static int8 (<see cref="Quantize.PrepareStatic"/>): the same input and output as the float
/// model, evaluation mode only. <see cref="Forward"/> runs the float model (its recurrent modules on the fast float32
/// CPU engine for the call, so the model must not be used by another thread meanwhile) and records each recurrent
/// layer's activation ranges; <see cref="Quantize.ConvertStatic"/> then builds the int8 model from them.
/// </summary>
public sealed class ObservedModule : IModule<float>
{
    internal ObservedModule(IModule<float> model, RecurrentLayer<float>[] layers, RecurrentCell<float>[] cells)
    {
        Source = model;
        Layers = layers;
        Cells = cells;
        Observer = new Int8ObservingEngine(CpuLayerEngine.Default);
    }

    /// <summary>The float model this one runs.</summary>
    public IModule<float> Source { get; }

    /// <summary>Calls of <see cref="Forward"/> so far.</summary>
    public int Batches { get; private set; }

    internal RecurrentLayer<float>[] Layers { get; }

    internal RecurrentCell<float>[] Cells { get; }

    internal Int8ObservingEngine Observer { get; }

    /// <summary>Always false; setting it to true throws (calibration runs the model in evaluation mode).</summary>
    public bool IsTraining
    {
        get => false;
        set
        {
            if (value)
                throw new InvalidOperationException("a prepared model only runs calibration data: train the float model itself");
        }
    }

    /// <summary>Runs the float model on <paramref name="input"/> (evaluation mode), recording the recurrent layers' activation ranges; returns a new tensor.</summary>
    public Tensor<float> Forward(Tensor<float> input)
    {
        var output = QuantizedModule.RunOn(Source, Layers, Cells, Observer, input);
        Batches++;
        return output;
    }

    /// <summary>Not supported: a prepared model only runs calibration data.</summary>
    public Tensor<float> Backward(Tensor<float> gradOutput) =>
        throw new NotSupportedException("a prepared model only runs calibration data: train the float model itself");

    /// <summary>None: a prepared model has nothing to train.</summary>
    public IEnumerable<Parameter<float>> Parameters() => [];

    /// <summary>The float model's buffers (running statistics), which it uses as they are.</summary>
    public IEnumerable<NamedTensor<float>> Buffers() => Source.Buffers();
}

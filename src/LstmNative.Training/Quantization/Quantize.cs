using LstmNative.Cpu;
using LstmNative.Engines;
using LstmNative.Training.Layers;

namespace LstmNative.Training.Quantization;

/// <summary>Post-training quantization of a trained model, as PyTorch's <c>torch.ao.quantization</c>.</summary>
public static class Quantize
{
    /// <summary>
    /// PyTorch's <c>quantize_dynamic(model, {nn.LSTM, nn.GRU}, dtype)</c>: returns an inference-only module with the
    /// same input and output as <paramref name="model"/> whose LSTM and GRU layers and cells run with their W and R
    /// matrices in <paramref name="precision"/> (<see cref="CpuPrecision.Int8"/>: per-row int8 weights, activations
    /// quantized on the fly; <see cref="CpuPrecision.Bf16"/>) on the fast CPU engine. Everything else (linear heads,
    /// norms, embeddings, biases, states) stays float32. The recurrent weights are packed now: quantize after training,
    /// and again after any further training. Accuracy: within the documented bounds of <see cref="CpuPrecision"/>
    /// (max |Δ| below 2e-2 for int8, 1e-2 for bf16 on a recurrent layer's outputs and states).
    /// </summary>
    /// <param name="model">A float model whose recurrent modules (<see cref="RecurrentLayer{T}"/>, <see cref="RecurrentCell{T}"/>)
    /// are reachable through <see cref="Module{T}.Children"/> (or is one).</param>
    /// <param name="precision">The weight precision.</param>
    /// <param name="threads">Worker threads per recurrent layer (1: on the caller's thread, best at small batches).</param>
    /// <exception cref="ArgumentException">The model has no LSTM or GRU module.</exception>
    public static QuantizedModule Dynamic(IModule<float> model, CpuPrecision precision = CpuPrecision.Int8, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        if (!Enum.IsDefined(precision))
            throw new ArgumentOutOfRangeException(nameof(precision), $"unknown precision {precision}");
        var (layers, cells) = Recurrent(model);
        var engine = new CpuPackedLayerEngine(precision, threads);
        foreach (var layer in layers)
            foreach (var weights in layer.Weights.Layers)
                engine.Add(weights);
        foreach (var cell in cells)
            engine.Add(cell.Weights);
        return new QuantizedModule(model, precision, engine, layers, cells);
    }

    /// <summary>
    /// PyTorch's static <c>prepare</c> for the recurrent modules: returns a module with the same input and output as
    /// <paramref name="model"/> that runs it in float32 (evaluation mode) and records, for every LSTM/GRU layer and cell,
    /// the magnitudes of its input and hidden state at every valid step. Run it over representative inputs, then
    /// <see cref="ConvertStatic"/> it. The model's weights must not change in between.
    /// </summary>
    /// <param name="model">As for <see cref="Dynamic"/>.</param>
    /// <exception cref="ArgumentException">The model has no LSTM or GRU module.</exception>
    public static ObservedModule PrepareStatic(IModule<float> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (layers, cells) = Recurrent(model);
        return new ObservedModule(model, layers, cells);
    }

    /// <summary>
    /// PyTorch's <c>convert</c> after <see cref="PrepareStatic"/>: an inference-only module whose LSTM and GRU weights are
    /// int8 and whose activations (each layer's x and h) are quantized with the fixed ranges <paramref name="observed"/>
    /// recorded (<see cref="Int8Calibration"/>; saturating), instead of each row's own scale as in <see cref="Dynamic"/>.
    /// </summary>
    /// <param name="observed">The prepared model, after its calibration runs.</param>
    /// <param name="percentile">100: each range is the largest magnitude seen; less: that percentile of them
    /// (<see cref="Int8Calibrator.ToCalibration"/>).</param>
    /// <param name="threads">Worker threads per recurrent layer.</param>
    /// <exception cref="InvalidOperationException">A recurrent layer or cell saw no calibration data.</exception>
    public static QuantizedModule ConvertStatic(ObservedModule observed, double percentile = 100, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(observed);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var engine = new CpuPackedLayerEngine(CpuPrecision.Int8, threads);
        try
        {
            foreach (var layer in observed.Layers)
                foreach (var weights in layer.Weights.Layers)
                    engine.Add(weights, observed.Observer.Ranges(weights, percentile));
            foreach (var cell in observed.Cells)
                engine.Add(cell.Weights, observed.Observer.Ranges(cell.Weights, percentile));
        }
        catch
        {
            engine.Dispose();
            throw;
        }
        return new QuantizedModule(observed.Source, CpuPrecision.Int8, engine, observed.Layers, observed.Cells, isStatic: true);
    }

    /// <summary>The model's recurrent layers and cells (what quantization packs).</summary>
    private static (RecurrentLayer<float>[] Layers, RecurrentCell<float>[] Cells) Recurrent(IModule<float> model)
    {
        var layers = new List<RecurrentLayer<float>>();
        var cells = new List<RecurrentCell<float>>();
        Collect(model, layers, cells, new HashSet<IModule<float>>(ReferenceEqualityComparer.Instance));
        if (layers.Count == 0 && cells.Count == 0)
            throw new ArgumentException($"{TypeNames.Friendly(model.GetType())} has no LSTM or GRU module to quantize (only modules reachable through Module.Children are seen)");
        return ([.. layers], [.. cells]);
    }

    private static void Collect(IModule<float> module, List<RecurrentLayer<float>> layers, List<RecurrentCell<float>> cells, HashSet<IModule<float>> seen)
    {
        if (!seen.Add(module))
            return;
        if (module is RecurrentLayer<float> layer)
            layers.Add(layer);
        else if (module is RecurrentCell<float> cell)
            cells.Add(cell);
        if (module is Module<float> container)
            foreach (var (_, child) in container.Children)
                Collect(child, layers, cells, seen);
    }
}

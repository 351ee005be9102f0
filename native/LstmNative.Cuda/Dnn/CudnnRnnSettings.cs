namespace LstmNative.Cuda;

/// <summary>What cudnnSetRNNDescriptor_v8 takes, with the defaults a float LSTM baseline uses.</summary>
/// <param name="Mode">The cell.</param>
/// <param name="InputSize">Features of the first layer's input.</param>
/// <param name="HiddenSize">Hidden units per direction.</param>
/// <param name="Layers">Stacked layers.</param>
/// <param name="Direction">One or two directions.</param>
public sealed record CudnnRnnSettings(CudnnRnnMode Mode, int InputSize, int HiddenSize, int Layers = 1, CudnnDirectionMode Direction = CudnnDirectionMode.Unidirectional)
{
    /// <summary>The algorithm.</summary>
    public CudnnRnnAlgorithm Algorithm { get; init; } = CudnnRnnAlgorithm.Standard;

    /// <summary>Bias layout (two biases, like ONNX and PyTorch).</summary>
    public CudnnRnnBiasMode BiasMode { get; init; } = CudnnRnnBiasMode.DoubleBias;

    /// <summary>First-layer input mode.</summary>
    public CudnnRnnInputMode InputMode { get; init; } = CudnnRnnInputMode.LinearInput;

    /// <summary>Data and weight type.</summary>
    public CudnnDataType DataType { get; init; } = CudnnDataType.Float;

    /// <summary>Compute precision.</summary>
    public CudnnDataType MathPrecision { get; init; } = CudnnDataType.Float;

    /// <summary>Tensor-core policy.</summary>
    public CudnnMathType MathType { get; init; } = CudnnMathType.Default;

    /// <summary>LSTM projection size (equal to <see cref="HiddenSize"/> for none).</summary>
    public int? ProjectionSize { get; init; }

    /// <summary>Whether padded input/output is allowed (CUDNN_RNN_PADDED_IO_ENABLED), needed for unpacked layouts with unequal lengths.</summary>
    public bool PaddedIo { get; init; } = true;

    /// <summary>1 or 2.</summary>
    public int DirectionCount => Direction == CudnnDirectionMode.Bidirectional ? 2 : 1;

    /// <summary>Matrices per layer and direction: 8 for LSTM, 6 for GRU, 2 for plain RNNs (input ones, then recurrent ones).</summary>
    public int LinearLayersPerPseudoLayer => Mode switch
    {
        CudnnRnnMode.Lstm => 8,
        CudnnRnnMode.Gru => 6,
        _ => 2,
    };
}

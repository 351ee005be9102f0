namespace LstmNative.Cuda;

/// <summary>cudnnDataType_t (the values the RNN API accepts).</summary>
public enum CudnnDataType
{
    /// <summary>float.</summary>
    Float = 0,

    /// <summary>double.</summary>
    Double = 1,

    /// <summary>IEEE half.</summary>
    Half = 2,

    /// <summary>bfloat16.</summary>
    BFloat16 = 9,
}

/// <summary>cudnnRNNMode_t: the cell.</summary>
public enum CudnnRnnMode
{
    /// <summary>Plain RNN with ReLU.</summary>
    RnnRelu = 0,

    /// <summary>Plain RNN with tanh.</summary>
    RnnTanh = 1,

    /// <summary>LSTM, gates i, f, g, o.</summary>
    Lstm = 2,

    /// <summary>GRU, gates r, z, n (PyTorch's formula, ONNX linear_before_reset=1).</summary>
    Gru = 3,
}

/// <summary>cudnnRNNBiasMode_t.</summary>
public enum CudnnRnnBiasMode
{
    /// <summary>No biases.</summary>
    NoBias = 0,

    /// <summary>One bias in the input GEMM.</summary>
    SingleInputBias = 1,

    /// <summary>Two biases (input and recurrent), as PyTorch and ONNX.</summary>
    DoubleBias = 2,

    /// <summary>One bias in the recurrent GEMM.</summary>
    SingleRecurrentBias = 3,
}

/// <summary>cudnnDirectionMode_t.</summary>
public enum CudnnDirectionMode
{
    /// <summary>Forward in time only.</summary>
    Unidirectional = 0,

    /// <summary>Both directions, outputs concatenated.</summary>
    Bidirectional = 1,
}

/// <summary>cudnnRNNInputMode_t.</summary>
public enum CudnnRnnInputMode
{
    /// <summary>A weight matrix on the first layer's input.</summary>
    LinearInput = 0,

    /// <summary>Identity on the first layer's input (input size must equal hidden size).</summary>
    SkipInput = 1,
}

/// <summary>cudnnMathType_t.</summary>
public enum CudnnMathType
{
    /// <summary>No tensor cores unless the data type needs them.</summary>
    Default = 0,

    /// <summary>Tensor cores allowed.</summary>
    TensorOp = 1,

    /// <summary>Tensor cores allowed, converting FP32 down.</summary>
    TensorOpAllowConversion = 2,

    /// <summary>FMA only, no tensor cores.</summary>
    Fma = 3,
}

/// <summary>cudnnRNNAlgo_t.</summary>
public enum CudnnRnnAlgorithm
{
    /// <summary>The general algorithm.</summary>
    Standard = 0,

    /// <summary>Persistent kernel, weights kept on chip (small hidden sizes).</summary>
    PersistStatic = 1,

    /// <summary>Persistent kernel compiled at run time.</summary>
    PersistDynamic = 2,

    /// <summary>Persistent kernel for very small hidden sizes.</summary>
    PersistStaticSmallH = 3,
}

/// <summary>cudnnForwardMode_t.</summary>
public enum CudnnForwardMode
{
    /// <summary>Inference: no reserve space written.</summary>
    Inference = 0,

    /// <summary>Training: fills the reserve space the backward passes read.</summary>
    Training = 1,
}

/// <summary>cudnnRNNDataLayout_t.</summary>
public enum CudnnRnnDataLayout
{
    /// <summary>[T, B, V], padded.</summary>
    SequenceMajorUnpacked = 0,

    /// <summary>[T, B, V], sequences sorted by length and packed.</summary>
    SequenceMajorPacked = 1,

    /// <summary>[B, T, V], padded.</summary>
    BatchMajorUnpacked = 2,
}

/// <summary>cudnnWgradMode_t.</summary>
public enum CudnnWeightGradientMode
{
    /// <summary>Add to the gradient buffer.</summary>
    Add = 0,

    /// <summary>Overwrite the gradient buffer.</summary>
    Set = 1,
}

namespace LstmNative.Cuda;

/// <summary>cublasOperation_t: how a GEMM operand is read.</summary>
public enum CublasOperation
{
    /// <summary>As stored (column-major).</summary>
    None = 0,

    /// <summary>Transposed.</summary>
    Transpose = 1,
}

/// <summary>cublasMath_t: the handle's default math mode.</summary>
public enum CublasMathMode
{
    /// <summary>Default: FP32 GEMMs in FP32 (no TF32 unless the environment asks for it).</summary>
    Default = 0,

    /// <summary>Bit-reproducible pedantic FP32.</summary>
    Pedantic = 2,

    /// <summary>Allow TF32 tensor cores for FP32 GEMMs.</summary>
    Tf32TensorOp = 3,
}

/// <summary>cublasComputeType_t for <see cref="CublasHandle.GemmEx"/>.</summary>
public enum CublasComputeType
{
    /// <summary>FP16 accumulation (alpha and beta are halves).</summary>
    Fp16 = 64,

    /// <summary>FP32 accumulation, FP32 inputs stay FP32.</summary>
    Fp32 = 68,

    /// <summary>FP32, pedantic (no reduced-precision reductions).</summary>
    Fp32Pedantic = 69,

    /// <summary>FP32 accumulation; inputs may be rounded to FP16 (tensor cores).</summary>
    Fp32FastFp16 = 74,

    /// <summary>FP32 accumulation; inputs may be rounded to BF16 (tensor cores).</summary>
    Fp32FastBf16 = 75,

    /// <summary>FP32 accumulation; inputs may be rounded to TF32 (tensor cores).</summary>
    Fp32FastTf32 = 77,
}

/// <summary>cudaDataType_t: element types of GemmEx operands.</summary>
public enum CudaDataType
{
    /// <summary>float.</summary>
    Fp32 = 0,

    /// <summary>IEEE half.</summary>
    Fp16 = 2,

    /// <summary>bfloat16.</summary>
    Bf16 = 14,
}

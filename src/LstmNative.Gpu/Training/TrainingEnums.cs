namespace LstmNative.Gpu.Training;

/// <summary>How the GPU training GEMMs multiply FP32 matrices.</summary>
public enum GpuMathMode
{
    /// <summary>Plain FP32 (cuBLAS default math; cuDNN CUDNN_FMA_MATH for the baseline).</summary>
    Fp32,

    /// <summary>TF32 tensor cores for the GEMMs (inputs rounded to 10-bit mantissas, FP32 accumulation).</summary>
    Tf32,
}

/// <summary>Gradient clipping applied by the fused optimizer step (LNTR_CLIP_* in kernels/optimizer.cu).</summary>
public enum GradientClipMode
{
    /// <summary>No clipping.</summary>
    None = 0,

    /// <summary>Every gradient element clamped to [-value, value] (PyTorch's <c>clip_grad_value_</c>).</summary>
    Value = 1,

    /// <summary>All gradients scaled together to a global L2 norm of at most the limit (PyTorch's <c>clip_grad_norm_</c>).</summary>
    GlobalNorm = 2,
}

/// <summary>The pointwise losses the device computes (LNTR_LOSS_* in kernels/loss.cu).</summary>
public enum DeviceLossKind
{
    /// <summary>Mean squared error, as LstmNative.Training's <c>MseLoss</c>.</summary>
    Mse = 0,

    /// <summary>Mean absolute error, as <c>L1Loss</c>.</summary>
    L1 = 1,

    /// <summary>Huber loss with a threshold, as <c>HuberLoss</c>.</summary>
    Huber = 2,
}

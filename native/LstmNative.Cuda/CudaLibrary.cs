namespace LstmNative.Cuda;

/// <summary>The native CUDA libraries the binding loads.</summary>
public enum CudaLibrary
{
    /// <summary>The driver API, libcuda.so.1 (installed with the NVIDIA driver, never with the toolkit).</summary>
    Driver,

    /// <summary>cuBLAS (libcublas.so.13, .12 or .11; libcublasLt is loaded beside it).</summary>
    Cublas,

    /// <summary>cuDNN (libcudnn.so.9, or .8), used by the baselines only.</summary>
    Cudnn,
}

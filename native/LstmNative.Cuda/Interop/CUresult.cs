namespace LstmNative.Cuda.Interop;

/// <summary>The CUDA driver's status codes that the binding branches on (the full table is in <see cref="CudaErrorTable"/>).</summary>
internal enum CUresult
{
    Success = 0,
    InvalidValue = 1,
    OutOfMemory = 2,
    NotInitialized = 3,
    Deinitialized = 4,
    NoDevice = 100,
    InvalidContext = 201,
    NoBinaryForGpu = 209,
    NotReady = 600,
}

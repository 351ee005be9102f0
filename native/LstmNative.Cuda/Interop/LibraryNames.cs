namespace LstmNative.Cuda.Interop;

/// <summary>
/// Logical library names used by the [LibraryImport] declarations. They are not file names: the resolver
/// (<see cref="NativeLibraryResolver"/>) maps each one to the sonames of CUDA 11, 12 and 13 and to the places
/// NVIDIA installs them (toolkit, driver, Python wheels).
/// </summary>
internal static class LibraryNames
{
    public const string Driver = "lstmnative-cuda-driver";
    public const string Cublas = "lstmnative-cublas";
    public const string Cudnn = "lstmnative-cudnn";
}

namespace LstmNative.Cuda;

/// <summary>A CUDA library (driver, cuBLAS, cuDNN) could not be loaded. The message lists every path tried.</summary>
public sealed class CudaLibraryNotFoundException : DllNotFoundException
{
    /// <summary>Creates the exception for <paramref name="library"/> with the attempts made.</summary>
    public CudaLibraryNotFoundException(CudaLibrary library, IReadOnlyList<string> attempts)
        : base(NativeLibraryResolver.FormatFailure(library, attempts))
    {
        Library = library;
        Attempts = attempts;
    }

    /// <summary>The library that was looked for.</summary>
    public CudaLibrary Library { get; }

    /// <summary>Every candidate tried, in order, each with the loader's reason for refusing it.</summary>
    public IReadOnlyList<string> Attempts { get; }
}

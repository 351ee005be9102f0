using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LstmNative.Cpu.Kernels;

/// <summary>The SIMD width a CPU kernel runs with.</summary>
public enum KernelWidth
{
    /// <summary>Plain scalar float code: the fallback that runs everywhere.</summary>
    Scalar = 1,

    /// <summary>256-bit vectors with FMA (AVX2 + FMA): the baseline fast path.</summary>
    Vector256 = 8,

    /// <summary>512-bit vectors (AVX-512F).</summary>
    Vector512 = 16,
}

/// <summary>
/// Picks the kernel width at run time from what the CPU (and the runtime's <c>DOTNET_Enable*</c> switches) allow:
/// Vector512 when AVX-512F is accelerated, Vector256 when AVX2 and FMA are, scalar otherwise.
/// </summary>
public static class CpuKernels
{
    private static KernelWidth? _override;

    /// <summary>The widest path this process can run accelerated.</summary>
    public static KernelWidth Detected { get; } =
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Fma.IsSupported ? KernelWidth.Vector512
        : Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported ? KernelWidth.Vector256
        : KernelWidth.Scalar;

    /// <summary>The width new engines use: <see cref="Detected"/> unless a test forced another one.</summary>
    public static KernelWidth Active => _override ?? Detected;

    /// <summary>
    /// Test hook: forces a width (a wider one than the hardware has still runs, through the runtime's software
    /// fallback, slowly, which lets tests check the Vector512 code on machines without AVX-512). Null restores detection.
    /// </summary>
    internal static void ForceWidth(KernelWidth? width) => _override = width;
}

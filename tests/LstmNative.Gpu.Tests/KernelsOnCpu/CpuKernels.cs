using System.Runtime.InteropServices;
using LstmNative.Cuda;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.KernelsOnCpu;

/// <summary>
/// The real kernels/*.cu compiled as C++ with the CPU shim (kernels/cpu/, built by <c>dotnet cake --target=KernelsCpu</c>
/// into artifacts/kernels-cpu/liblstmnative_cpukernels.so): launches a kernel by name with a grid, a block, dynamic
/// shared memory and cuLaunchKernel-style parameters. One OS thread per CUDA thread; see docs/gpu.md.
/// </summary>
internal static unsafe class CpuKernels
{
    public const string LibraryName = "liblstmnative_cpukernels.so";
    private const int Concurrent = 1, Cooperative = 2;

    private static readonly Lazy<Loaded> Library = new(Load);

    private sealed record Loaded(string? SkipReason, nint Launch, IReadOnlyList<string> Names);

    /// <summary>Why the kernels cannot run on the CPU here, or null when they can.</summary>
    public static string? SkipReason => Library.Value.SkipReason;

    /// <summary>The kernels the library holds.</summary>
    public static IReadOnlyList<string> Names => Library.Value.Names;

    /// <summary>Marks the calling test as ignored with the reason when the library is missing.</summary>
    public static void RequireAvailable()
    {
        if (SkipReason is { } reason)
            Assert.Ignore(reason);
    }

    /// <summary>The library's path: LSTMNATIVE_CPU_KERNELS, else artifacts/kernels-cpu/ in the first folder above the tests that has it.</summary>
    public static string? Find()
    {
        var configured = Environment.GetEnvironmentVariable("LSTMNATIVE_CPU_KERNELS");
        if (!string.IsNullOrEmpty(configured))
            return configured;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "artifacts", "kernels-cpu", LibraryName);
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }

    private static Loaded Load()
    {
        static Loaded Skip(string reason) => new(reason, 0, []);
        if (!OperatingSystem.IsLinux())
            return Skip("the kernels run on the CPU only on Linux (kernels/cpu/ uses pthreads)");
        foreach (var variable in new[] { "DOTNET_EnableAVX2", "DOTNET_EnableAVX512" })
            if (Environment.GetEnvironmentVariable(variable) == "0")
                return Skip($"{variable}=0: the kernels on the CPU are native code, which the .NET SIMD switches do not change (they ran in the default pass)");
        var path = Find();
        if (path is null || !File.Exists(path))
            return Skip($"{LibraryName} was not built (dotnet cake --target=KernelsCpu needs clang++-14, clang++ or g++): the real kernels cannot run on the CPU");
        if (!NativeLibrary.TryLoad(path, out var handle))
            return Skip($"{path} could not be loaded");
        var launch = NativeLibrary.GetExport(handle, "lncpu_launch");
        var count = (delegate* unmanaged<int>)NativeLibrary.GetExport(handle, "lncpu_kernel_count_get");
        var name = (delegate* unmanaged<int, byte*>)NativeLibrary.GetExport(handle, "lncpu_kernel_name");
        var names = new List<string>();
        for (int i = 0; i < count(); i++)
            names.Add(Marshal.PtrToStringUTF8((nint)name(i))!);
        return new Loaded(null, launch, names);
    }

    /// <summary>
    /// Launches <paramref name="kernel"/> and waits for it. <paramref name="concurrent"/> runs every block at once (a
    /// persistent kernel's grid is resident); <paramref name="cooperative"/> also allows grid.sync(). Throws with the
    /// runtime's reason (unknown kernel, bad configuration, __trap, timeout).
    /// </summary>
    public static void Launch(string kernel, LaunchConfig config, void** parameters, bool concurrent = false, bool cooperative = false)
    {
        var lib = Library.Value;
        if (lib.SkipReason is { } reason)
            throw new InvalidOperationException(reason);
        var name = System.Text.Encoding.UTF8.GetBytes(kernel + "\0");
        var error = new byte[1024];
        int flags = (concurrent ? Concurrent : 0) | (cooperative ? Cooperative : 0);
        int status;
        fixed (byte* n = name)
        fixed (byte* e = error)
        {
            var launch = (delegate* unmanaged<byte*, uint, uint, uint, uint, uint, uint, uint, void**, int, byte*, int, int>)lib.Launch;
            status = launch(n, config.Grid.X, config.Grid.Y, config.Grid.Z, config.Block.X, config.Block.Y, config.Block.Z,
                config.SharedMemoryBytes, parameters, flags, e, error.Length);
        }
        if (status != 0)
            throw new InvalidOperationException($"CPU launch of {kernel} {config} failed ({status}): {System.Text.Encoding.UTF8.GetString(error).TrimEnd('\0')}");
    }

    /// <summary>Launches a kernel whose one parameter is <paramref name="parameters"/> (every training and inference kernel).</summary>
    public static void Launch<T>(string kernel, LaunchConfig config, T parameters, bool concurrent = false, bool cooperative = false) where T : unmanaged
    {
        void* p = &parameters;
        Launch(kernel, config, &p, concurrent, cooperative);
    }
}

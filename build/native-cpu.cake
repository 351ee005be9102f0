// The NativeCpu target: native/cpu/lstmnative_cpu.c -> artifacts/native/linux-x64/liblstmnative_cpu.so (clang), which
// LstmNative.Core copies next to its assembly and packs as runtimes/linux-x64/native. The kernels are compiled per
// function for their instruction sets (target attributes) and dispatched at run time, so the library builds and loads on
// any x86-64 CPU. Without clang the engine runs its managed kernels (a warning here; an error under CI).

string FindClang()
{
    if (!string.IsNullOrEmpty(EnvironmentVariable("CLANG")))
        return string.Equals(EnvironmentVariable("CLANG"), "none", StringComparison.OrdinalIgnoreCase) ? null : EnvironmentVariable("CLANG");
    foreach (var name in new[] { "clang-14", "clang", "clang-15", "clang-16", "clang-17", "clang-18" })
        if (FindOnPath(name) is { } found)
            return found;
    return null;
}

void CompileNativeCpu(DirectoryPath root, bool ci)
{
    var source = root.CombineWithFilePath("native/cpu/lstmnative_cpu.c");
    var outDir = root.Combine("artifacts/native/linux-x64");
    var library = outDir.CombineWithFilePath("liblstmnative_cpu.so");
    if (!IsRunningOnLinux() || System.Runtime.InteropServices.RuntimeInformation.OSArchitecture != System.Runtime.InteropServices.Architecture.X64)
    {
        Warning("native CPU kernels are built for linux-x64 only: the managed kernels will run");
        return;
    }
    var clang = FindClang();
    if (clang == null)
    {
        var message = "clang was not found (CLANG, clang-14, clang on PATH) or CLANG=none: the native CPU kernels (int8 VNNI, bf16 AVX512-BF16, fp32 batch-1) are NOT built; " +
                      "the managed kernels will run. Install clang (apt-get install clang-14).";
        if (ci)
            throw new Exception(message + " CI=true requires them.");
        Warning(message);
        return;
    }
    EnsureDirectoryExists(outDir);
    // The source is the .c file and what it includes from its folder (int8_quads.inc).
    var newestSource = System.IO.Directory.GetFiles(source.GetDirectory().FullPath).Max(f => System.IO.File.GetLastWriteTimeUtc(f));
    if (FileExists(library) && System.IO.File.GetLastWriteTimeUtc(library.FullPath) > newestSource)
    {
        Information($"native CPU kernels up to date: {library}");
        return;
    }
    var args = $"-O2 -fPIC -shared -fvisibility=hidden -ffp-contract=off -Wall -Wextra -Werror -o \"{library.FullPath}\" \"{source.FullPath}\"";
    Information($"{clang} {args}");
    var exit = StartProcess(clang, new ProcessSettings { Arguments = args });
    if (exit != 0)
    {
        if (ci)
            throw new Exception($"clang failed to build the native CPU kernels (exit {exit})");
        Warning($"clang failed to build the native CPU kernels (exit {exit}): the managed kernels will run");
    }
}

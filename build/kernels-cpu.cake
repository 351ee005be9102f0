// The KernelsCpu target: the REAL kernels/*.cu compiled as C++ with the CPU shim (kernels/cpu/cuda_cpu_shim.h) into
// artifacts/kernels-cpu/liblstmnative_cpukernels.so, which tests/LstmNative.Gpu.Tests/KernelsOnCpu/ P/Invokes
// (docs/gpu.md, "The kernels on the CPU"). Like the Kernels target: all .cu files in one translation unit.
//
// The generated unit (artifacts/kernels-cpu/lstmnative_cpu_kernels.cpp):
//   - includes the shim, then every .cu; a .cu that declares `extern __shared__` arrays is included with __shared__ as
//     thread_local and each such array renamed to a per-thread pointer that the launcher binds to its block's memory
//     (lncpu_bind_dynamic_shared); static __shared__ variables stay `static` (blocks of non-concurrent launches run one
//     at a time), so a file may not mix the two (an error here);
//   - ends with the registry of kernels (name -> thunk), found by preprocessing the unit with __global__ as a mark.

using System.Text.RegularExpressions;

// The C++ compiler: LSTMNATIVE_CPU_CXX, else clang++-14 (CI installs clang-14), clang++, g++ on PATH. "none": skip.
string FindCpuCompiler()
{
    var chosen = EnvironmentVariable("LSTMNATIVE_CPU_CXX");
    if (string.Equals(chosen, "none", StringComparison.OrdinalIgnoreCase))
        return null;
    if (!string.IsNullOrEmpty(chosen))
        return System.IO.File.Exists(chosen) ? chosen : FindOnPath(chosen);
    return new[] { "clang++-14", "clang++", "g++" }.Select(FindOnPath).FirstOrDefault(p => p != null);
}

static readonly Regex ExternSharedPattern = new Regex(
    @"extern\s+__shared__\s+(?:__align__\s*\(\s*\d+\s*\)\s+)?([A-Za-z_][\w:]*)\s+([A-Za-z_]\w*)\s*\[\s*\]", RegexOptions.Compiled);
static readonly Regex AnySharedPattern = new Regex(@"(?<!extern\s+)__shared__", RegexOptions.Compiled);
static readonly Regex LocalIncludePattern = new Regex(@"^\s*#\s*include\s+""([^""]+)""", RegexOptions.Compiled | RegexOptions.Multiline);

// The text of a kernel source and of the local headers it includes, transitively.
string KernelSourceWithIncludes(DirectoryPath kernels, string file, HashSet<string> seen = null)
{
    seen ??= new HashSet<string>();
    var path = kernels.CombineWithFilePath(file).FullPath;
    if (!seen.Add(path) || !System.IO.File.Exists(path))
        return "";
    var text = System.IO.File.ReadAllText(path);
    return text + string.Concat(LocalIncludePattern.Matches(text).Select(m => "\n" + KernelSourceWithIncludes(kernels, m.Groups[1].Value, seen)));
}

void CompileCpuKernels(DirectoryPath root, bool ci)
{
    var kernels = root.Combine("kernels");
    var shim = kernels.Combine("cpu");
    var outDir = root.Combine("artifacts/kernels-cpu");
    var library = outDir.CombineWithFilePath("liblstmnative_cpukernels.so");
    var cxx = FindCpuCompiler();
    if (cxx == null)
    {
        var message = "no C++ compiler (LSTMNATIVE_CPU_CXX, clang++-14, clang++, g++) or LSTMNATIVE_CPU_CXX=none: the kernels are NOT " +
                      "built for the CPU, and the KernelsOnCpu tests are skipped. Install clang-14 (apt-get install clang-14).";
        if (ci)
            throw new Exception("CI=true: " + message);
        Warning(message);
        return;
    }

    var sources = GetFiles(kernels.FullPath + "/*.cu").OrderBy(f => f.FullPath).ToList();
    var inputs = sources.Concat(GetFiles(kernels.FullPath + "/*.cuh")).Concat(GetFiles(shim.FullPath + "/**/*"))
        .Select(f => System.IO.File.GetLastWriteTimeUtc(f.FullPath)).DefaultIfEmpty(DateTime.MinValue).Max();
    if (FileExists(library) && System.IO.File.GetLastWriteTimeUtc(library.FullPath) >= inputs)
    {
        Information($"KernelsCpu: {library} is up to date");
        return;
    }
    EnsureDirectoryExists(outDir);

    // Which files declare dynamic shared memory, and under which names and types.
    var plain = new List<string>();
    var dynamic = new List<(string File, List<(string Type, string Name)> Arrays)>();
    foreach (var source in sources)
    {
        var file = source.GetFilename().ToString();
        var text = KernelSourceWithIncludes(kernels, file);
        var arrays = ExternSharedPattern.Matches(text).Select(m => (m.Groups[1].Value, m.Groups[2].Value)).Distinct().ToList();
        if (arrays.Count == 0)
        {
            plain.Add(file);
            continue;
        }
        if (AnySharedPattern.IsMatch(ExternSharedPattern.Replace(text, "")))
            throw new Exception($"KernelsCpu: {file} (with its headers) has both extern and static __shared__ variables, which the CPU shim " +
                                "cannot give per-block storage at once (see kernels/cpu/cuda_cpu_shim.h); move the static ones into the dynamic array");
        dynamic.Add((file, arrays));
    }
    var allArrays = dynamic.SelectMany(d => d.Arrays).Distinct().ToList();
    var clash = allArrays.GroupBy(a => a.Name).FirstOrDefault(g => g.Count() > 1);
    if (clash != null)
        throw new Exception($"KernelsCpu: extern __shared__ array '{clash.Key}' is declared with different types ({string.Join(", ", clash.Select(c => c.Type))})");

    var unit = new System.Text.StringBuilder();
    unit.AppendLine("// Generated by build/kernels-cpu.cake: every kernels/*.cu in one translation unit, compiled with the CPU shim.");
    unit.AppendLine("#include \"cuda_cpu_shim.h\"");
    foreach (var file in plain)
        unit.AppendLine($"#include \"{file}\"");
    foreach (var (file, arrays) in dynamic)
    {
        unit.AppendLine("#undef __shared__");
        unit.AppendLine("#define __shared__ thread_local");
        foreach (var (_, name) in arrays)
            unit.AppendLine($"#define {name} (*lncpu_dyn_{name})");
        unit.AppendLine($"#include \"{file}\"");
        foreach (var (_, name) in arrays)
            unit.AppendLine($"#undef {name}");
        unit.AppendLine("#undef __shared__");
        unit.AppendLine("#define __shared__ static");
    }
    foreach (var (type, name) in allArrays)
        unit.AppendLine($"thread_local {type} (*lncpu_dyn_{name})[] = nullptr;");
    unit.AppendLine("void lncpu_bind_dynamic_shared(void* memory)");
    unit.AppendLine("{");
    foreach (var (type, name) in allArrays)
        unit.AppendLine($"    lncpu_dyn_{name} = reinterpret_cast<{type} (*)[]>(memory);");
    unit.AppendLine("    (void)memory;");
    unit.AppendLine("}");
    unit.AppendLine("#ifndef LNCPU_SCAN");
    unit.AppendLine("#include \"lstmnative_cpu_registry.inc\"");
    unit.AppendLine("#endif");
    var unitFile = outDir.CombineWithFilePath("lstmnative_cpu_kernels.cpp");
    System.IO.File.WriteAllText(unitFile.FullPath, unit.ToString());

    var includes = $"-I \"{shim.Combine("include").FullPath}\" -I \"{shim.FullPath}\" -I \"{kernels.FullPath}\"";
    const string Flags = "-std=c++17 -O2 -fPIC -pthread -ffp-contract=off -fno-fast-math -Wall -Wextra -Wno-unknown-pragmas -Wno-unused-parameter";

    int Run(string arguments, out List<string> output)
    {
        var exit = StartProcess(cxx, new ProcessSettings { Arguments = arguments, RedirectStandardOutput = true, RedirectStandardError = true }, out var stdout, out var stderr);
        output = stdout.Concat(stderr).ToList();
        return exit;
    }
    void Require(int exit, List<string> output, string what)
    {
        foreach (var line in output.Where(l => l.Contains("warning:")))
            Warning("KernelsCpu: " + line);
        if (exit == 0)
            return;
        foreach (var line in output)
            Error(line);
        throw new Exception($"KernelsCpu: {what} failed with exit code {exit} ({cxx})");
    }

    // The kernels: preprocess with __global__ as a mark and collect the names that follow it.
    var scanned = outDir.CombineWithFilePath("lstmnative_cpu_scan.i");
    Require(Run($"{Flags} -DLNCPU_SCAN -E -P {includes} -o \"{scanned.FullPath}\" \"{unitFile.FullPath}\"", out var scanOutput), scanOutput, "the scan pass");
    var names = Regex.Matches(System.IO.File.ReadAllText(scanned.FullPath), @"LNCPU_KERNEL_MARK\s+void\s+([A-Za-z_]\w*)\s*\(")
        .Select(m => m.Groups[1].Value).Distinct().ToList();
    if (names.Count == 0)
        throw new Exception("KernelsCpu: no kernels found in kernels/*.cu");
    var registry = new System.Text.StringBuilder();
    registry.AppendLine("// Generated by build/kernels-cpu.cake: the kernels the CPU runtime can launch by name.");
    registry.AppendLine("extern const lncpu::KernelEntry lncpu_kernels[];");
    registry.AppendLine("extern const int lncpu_kernel_count;");
    registry.AppendLine("const lncpu::KernelEntry lncpu_kernels[] = {");
    foreach (var name in names)
        registry.AppendLine($"    LNCPU_KERNEL({name})");
    registry.AppendLine("};");
    registry.AppendLine("const int lncpu_kernel_count = sizeof(lncpu_kernels) / sizeof(lncpu_kernels[0]);");
    System.IO.File.WriteAllText(outDir.CombineWithFilePath("lstmnative_cpu_registry.inc").FullPath, registry.ToString());

    var temporary = outDir.CombineWithFilePath("liblstmnative_cpukernels.so.tmp");
    var runtime = shim.CombineWithFilePath("cuda_cpu_runtime.cpp");
    Information($"KernelsCpu: {cxx}: {sources.Count} source(s), {names.Count} kernels");
    Require(Run($"{Flags} -shared -Wl,--no-undefined {includes} -I \"{outDir.FullPath}\" -o \"{temporary.FullPath}\" \"{unitFile.FullPath}\" \"{runtime.FullPath}\"",
                out var compileOutput), compileOutput, "compiling");
    System.IO.File.Move(temporary.FullPath, library.FullPath, overwrite: true);
    Information($"KernelsCpu: {library} ({new System.IO.FileInfo(library.FullPath).Length} bytes)");
}

// LstmNative build script (Cake). Targets: Clean, Kernels (nvcc), KernelsCpu (the kernels as C++ on the CPU), Build, Test (default), GpuBundle (device bundle),
// Bench (a short BenchmarkDotNet job), Pack (NuGet package), Sample (the package consumed from a local feed),
// Fuzz (a fixed budget of fuzzing the readers).
#load "build/kernels.cake"
#load "build/kernels-cpu.cake"
#load "build/gpu-bundle.cake"
#load "build/native-cpu.cake"

var target = Argument("target", "Test");
var configuration = Argument("configuration", "Release");
var root = MakeAbsolute(Directory("."));
var solution = root.CombineWithFilePath("LstmNative.sln");
var testResults = root.Combine("artifacts/test-results");

Task("Clean")
    .Does(() =>
{
    CleanDirectories("./src/**/bin/" + configuration);
    CleanDirectories("./src/**/obj");
    CleanDirectories("./tests/**/bin/" + configuration);
    CleanDirectories("./tests/**/obj");
    CleanDirectories("./native/**/bin/" + configuration);
    CleanDirectories("./benchmarks/**/bin/" + configuration);
    CleanDirectory("./artifacts");
});

Task("Kernels")
    .Description("Compiles kernels/*.cu into artifacts/kernels/lstmnative.fatbin with nvcc (a warning when there is no nvcc; an error under CI)")
    .Does(() => CompileKernels(root, InCi()));

Task("KernelsCpu")
    .Description("Compiles the real kernels/*.cu as C++ with the CPU shim into artifacts/kernels-cpu/liblstmnative_cpukernels.so (KernelsOnCpu tests)")
    .Does(() => CompileCpuKernels(root, InCi()));

Task("NativeCpu")
    .Description("Compiles native/cpu/lstmnative_cpu.c into artifacts/native/linux-x64/liblstmnative_cpu.so with clang (a warning when there is no clang; an error under CI)")
    .Does(() => CompileNativeCpu(root, InCi()));

Task("Build")
    .IsDependentOn("Kernels")
    .IsDependentOn("NativeCpu")
    .Does(() =>
{
    DotNetBuild(solution.FullPath, new DotNetBuildSettings { Configuration = configuration });
    CheckFatbinEmbedded(root, configuration, InCi());
});

Task("GpuBundle")
    .Description("Builds gpu-bundle/: the GPU tests, the CLI and the benchmarks (framework-dependent), the .NET runtime, run.sh")
    .IsDependentOn("Build")
    .Does(() => BuildGpuBundle(root, configuration));

// Every failure and every flaky test of every run, repeated at the end of the Test target: CI logs keep only their tail.
var failedTests = new List<string>();
var flakyTests = new List<string>();

// Runs one test executable (Microsoft.Testing.Platform + NUnit) and returns its TRX counters. A test that fails is run
// once more on its own: one that passes then is counted as passed but listed as FLAKY (and must be fixed); one that
// fails again is a failure. A crash of the runner is always a failure.
(int passed, int failed, int skipped) RunTestProject(FilePath project, string label, IDictionary<string, string> env)
{
    // --testfilter="FullyQualifiedName~Gate": run part of the suites (NUnit's filter syntax).
    var only = Argument("testfilter", "");
    var extraArgs = only.Length > 0 ? $"--filter \"{only}\"" : "";
    var name = project.GetFilenameWithoutExtension().ToString();
    var dll = root.CombineWithFilePath($"tests/{name}/bin/{configuration}/net10.0/{name}.dll");
    var resultsDir = testResults.Combine(label);
    EnsureDirectoryExists(resultsDir);
    CleanDirectory(resultsDir);
    Information($"== {name} [{label}]");
    var (exit, doc) = RunTestExecutable(dll, resultsDir, name, env, extraArgs, label);
    var counters = doc.Descendants().First(e => e.Name.LocalName == "Counters");
    int Get(string a) => int.Parse(counters.Attribute(a)?.Value ?? "0");
    int total = Get("total"), passed = Get("passed"), failed = Get("failed") + Get("error") + Get("timeout") + Get("aborted");
    int skipped = total - passed - failed;
    if (exit == 8 && total == 0)
        return (0, 0, 0); // --testfilter selected nothing in this project
    if (exit != 0 && failed == 0)
    {
        failedTests.Add($"FAILED [{label}] {name}: the test runner exited with code {exit} and reported no failed test");
        Error(failedTests[^1]);
        return (passed, 1, skipped); // never report green
    }
    var failures = FailedResults(doc).ToList();
    if (failures.Count == 0)
    {
        Information($"{name} [{label}]: {passed} passed, {failed} failed, {skipped} skipped");
        return (passed, failed, skipped);
    }
    foreach (var (test, _, message) in failures)
        Warning($"failed [{label}] {test}: {message}; running it again");
    // Rerun every failed method (all its cases): NUnit's filter on the class and method name.
    var filter = string.Join("|", failures.Select(f => $"FullyQualifiedName~{f.Method}").Distinct());
    var rerunDir = resultsDir.Combine("rerun");
    EnsureDirectoryExists(rerunDir);
    var (_, rerun) = RunTestExecutable(dll, rerunDir, name, env, $"--filter \"{filter}\"", label + " rerun");
    var outcomes = rerun.Descendants().Where(e => e.Name.LocalName == "UnitTestResult")
        .GroupBy(e => (string)e.Attribute("testName") ?? "").ToDictionary(g => g.Key, g => (string)g.First().Attribute("outcome"));
    foreach (var (test, _, message) in failures)
    {
        if (outcomes.TryGetValue(test, out var again) && again == "Passed")
        {
            flakyTests.Add($"FLAKY [{label}] {test}: failed once, passed when run again: {message}");
            Warning(flakyTests[^1]);
            failed--;
            passed++;
        }
        else
        {
            failedTests.Add($"FAILED [{label}] {test}: {message}");
            Error(failedTests[^1]);
        }
    }
    Information($"{name} [{label}]: {passed} passed, {failed} failed, {skipped} skipped");
    return (passed, failed, skipped);
}

(int exit, System.Xml.Linq.XDocument doc) RunTestExecutable(FilePath dll, DirectoryPath resultsDir, string name, IDictionary<string, string> env, string extraArgs, string label)
{
    var args = $"exec \"{dll.FullPath}\" --results-directory \"{resultsDir.FullPath}\" --report-trx --report-trx-filename {name}.trx {extraArgs}";
    var exit = StartProcess("dotnet", new ProcessSettings { Arguments = args, EnvironmentVariables = env });
    var trx = resultsDir.CombineWithFilePath($"{name}.trx");
    if (!FileExists(trx))
        throw new Exception($"{name} [{label}] wrote no TRX report (exit code {exit})");
    return (exit, System.Xml.Linq.XDocument.Load(trx.FullPath));
}

// The failed results of a TRX report: the test's name, its class-qualified method (for a filter) and the first line of its message.
IEnumerable<(string Test, string Method, string Message)> FailedResults(System.Xml.Linq.XDocument doc)
{
    var methods = doc.Descendants().Where(e => e.Name.LocalName == "UnitTest").ToDictionary(
        e => (string)e.Attribute("id") ?? "",
        e => e.Descendants().First(m => m.Name.LocalName == "TestMethod"));
    foreach (var result in doc.Descendants().Where(e => e.Name.LocalName == "UnitTestResult" && (string)e.Attribute("outcome") == "Failed"))
    {
        var test = (string)result.Attribute("testName") ?? "";
        var message = result.Descendants().FirstOrDefault(e => e.Name.LocalName == "Message")?.Value ?? "";
        var method = methods[(string)result.Attribute("testId") ?? ""];
        var methodName = ((string)method.Attribute("name") ?? test).Split('(')[0];
        yield return (test, $"{(string)method.Attribute("className")}.{methodName}", message.Split('\n')[0].Trim());
    }
}

Task("Test")
    .IsDependentOn("Build")
    .IsDependentOn("KernelsCpu")
    .Does(() =>
{
    int passed = 0, failed = 0, skipped = 0;
    var projects = GetFiles("./tests/*/*.Tests.csproj");
    foreach (var project in projects)
    {
        var r = RunTestProject(project, "default", new Dictionary<string, string>());
        passed += r.passed; failed += r.failed; skipped += r.skipped;
    }
    // The CPU engine picks its SIMD width at run time; rerun the whole suite with the wider instruction sets switched
    // off through the runtime's own switches so the Vector256 and scalar dispatch paths run in CI on any machine.
    foreach (var (label, env) in new[]
    {
        // .NET 10 reads DOTNET_EnableAVX512 (DOTNET_EnableAVX512F is ignored since .NET 8 folded the AVX-512 subsets).
        ("no-avx512", new Dictionary<string, string> { ["DOTNET_EnableAVX512"] = "0" }),
        ("no-avx2", new Dictionary<string, string> { ["DOTNET_EnableAVX2"] = "0" }),
    })
    {
        foreach (var project in projects)
        {
            var r = RunTestProject(project, label, env);
            passed += r.passed; failed += r.failed; skipped += r.skipped;
        }
    }
    foreach (var line in flakyTests.Concat(failedTests))
        Console.WriteLine(line);
    // The plain closing line CI reads.
    Console.WriteLine($"{passed} passed, {failed} failed, {skipped} skipped");
    if (failed > 0)
        throw new Exception($"{failed} test(s) failed");
});

bool InCi() => string.Equals(EnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

// A short BenchmarkDotNet job: the target rows of docs/benchmarks.md (LstmNative vs ONNX Runtime, LSTM, T = 100).
// Override the selection with --benchfilter="*Inference*" (any BenchmarkDotNet filter) for the full grid.
Task("Bench")
    .Does(() =>
{
    var project = root.CombineWithFilePath("benchmarks/LstmNative.Benchmarks/LstmNative.Benchmarks.csproj");
    DotNetBuild(project.FullPath, new DotNetBuildSettings { Configuration = "Release" });
    var dll = root.CombineWithFilePath("benchmarks/LstmNative.Benchmarks/bin/Release/net10.0/LstmNative.Benchmarks.dll");
    var filter = Argument("benchfilter", "");
    var artifacts = root.Combine("artifacts/bench");
    void Bench(string arguments)
    {
        var exit = StartProcess("dotnet", new ProcessSettings { Arguments = $"exec \"{dll.FullPath}\" {arguments}", WorkingDirectory = root });
        if (exit != 0)
            throw new Exception($"benchmark run failed (exit code {exit})");
    }
    Bench("peak");
    if (filter != "")
    {
        Bench($"--filter \"{filter}\" --artifacts \"{artifacts.FullPath}\"");
        return;
    }
    // The short grid (LSTMNATIVE_BENCH_SHORT=1), the training step and streaming Step.
    var exit = StartProcess("dotnet", new ProcessSettings
    {
        Arguments = $"exec \"{dll.FullPath}\" --filter *InferenceBenchmarks* *TrainingBenchmarks* *StepBenchmarks* --artifacts \"{artifacts.FullPath}\"",
        WorkingDirectory = root,
        EnvironmentVariables = new Dictionary<string, string> { ["LSTMNATIVE_BENCH_SHORT"] = "1", ["LSTMNATIVE_BENCH_ITERATIONS"] = "5" },
    });
    if (exit != 0)
        throw new Exception($"benchmark run failed (exit code {exit})");
});

var packages = root.Combine("artifacts/packages");
const long MaxPackageBytes = 20L * 1024 * 1024;

// dotnet pack of the engine: Core, the GPU engine and the CUDA binding with its embedded kernels, XML docs, README, licence.
Task("Pack")
    .IsDependentOn("Build")
    .Does(() =>
{
    EnsureDirectoryExists(packages);
    CleanDirectory(packages);
    DotNetPack("./src/LstmNative.Core/LstmNative.Core.csproj", new DotNetPackSettings
    {
        Configuration = configuration,
        NoBuild = true,
        OutputDirectory = packages,
    });
    // The training stack as its own package, depending on LstmNative (the engine): what a user trains with; the two
    // jobs as packages of their own above it (domain libraries depend on the engine, never the reverse).
    var layered = new (string Id, string Project, string DependsOn)[]
    {
        ("LstmNative.Training", "./src/LstmNative.Training/LstmNative.Training.csproj", "LstmNative"),
        ("LstmNative.Forecasting", "./src/LstmNative.Forecasting/LstmNative.Forecasting.csproj", "LstmNative.Training"),
        ("LstmNative.Translation", "./src/LstmNative.Translation/LstmNative.Translation.csproj", "LstmNative.Training"),
    };
    foreach (var (id, project, dependsOn) in layered)
    {
        DotNetPack(project, new DotNetPackSettings
        {
            Configuration = configuration,
            NoBuild = true,
            OutputDirectory = packages,
        });
        CheckLayeredPackage(GetFiles($"{packages.FullPath}/{id}.0*.nupkg").Single(), id, dependsOn);
    }
    var package = GetFiles(packages.FullPath + "/LstmNative.0*.nupkg").Single();
    long size = new System.IO.FileInfo(package.FullPath).Length;
    using (var zip = System.IO.Compression.ZipFile.OpenRead(package.FullPath))
    {
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        foreach (var required in new[] { "lib/net10.0/LstmNative.Core.dll", "lib/net10.0/LstmNative.Core.xml", "lib/net10.0/LstmNative.Gpu.dll",
            "lib/net10.0/LstmNative.Cuda.dll", "lib/net10.0/LstmNative.Cuda.xml", "README.md", "LICENSE" })
            if (!entries.Contains(required))
                throw new Exception($"{package.GetFilename()} lacks {required} (it has: {string.Join(", ", entries)})");
        // Wherever the kernels were compiled (always under CI), the packed binding must carry them.
        if (InCi() || FileExists(root.CombineWithFilePath("artifacts/kernels/lstmnative.fatbin")))
        {
            using var cuda = new System.IO.MemoryStream();
            using (var entry = zip.GetEntry("lib/net10.0/LstmNative.Cuda.dll").Open())
                entry.CopyTo(cuda);
            cuda.Position = 0;
            using var pe = new System.Reflection.PortableExecutable.PEReader(cuda);
            var metadata = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
            if (!metadata.ManifestResources.Any(h => metadata.GetString(metadata.GetManifestResource(h).Name) == FatbinResourceName))
                throw new Exception($"{package.GetFilename()}: LstmNative.Cuda.dll does not embed the kernels ({FatbinResourceName})");
            Information("the package's LstmNative.Cuda.dll embeds the kernels");
        }
    }
    if (size > MaxPackageBytes)
        throw new Exception($"{package.GetFilename()} is {size} bytes, over the {MaxPackageBytes}-byte limit");
    Information($"{package.GetFilename()}: {size / 1024.0:F1} KiB");
});

// A package above the engine must carry its assembly and docs and depend on the package below it, never on projects
// that are no package of their own (the GPU engine and the CUDA binding ship inside LstmNative).
void CheckLayeredPackage(FilePath package, string id, string dependsOn)
{
    using var zip = System.IO.Compression.ZipFile.OpenRead(package.FullPath);
    var entries = zip.Entries.Select(e => e.FullName).ToList();
    foreach (var required in new[] { $"lib/net10.0/{id}.dll", $"lib/net10.0/{id}.xml" })
        if (!entries.Contains(required))
            throw new Exception($"{package.GetFilename()} lacks {required} (it has: {string.Join(", ", entries)})");
    var nuspec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec"));
    using var reader = new System.IO.StreamReader(nuspec.Open());
    var text = reader.ReadToEnd();
    if (!text.Contains($"id=\"{dependsOn}\""))
        throw new Exception($"{package.GetFilename()} does not depend on the {dependsOn} package");
    foreach (var project in new[] { "LstmNative.Gpu", "LstmNative.Cuda", "LstmNative.Core" })
        if (text.Contains($"id=\"{project}\""))
            throw new Exception($"{package.GetFilename()} depends on {project}, which is no package of its own (it ships in LstmNative)");
    Information($"{package.GetFilename()}: depends on {dependsOn}");
}

// Builds and runs samples/LstmNative.Sample against the freshly packed package from the local feed.
Task("Sample")
    .IsDependentOn("Pack")
    .Does(() =>
{
    // NuGet caches packages by id and version: drop the cached copy so the sample gets the package just built.
    var cache = EnvironmentVariable("NUGET_PACKAGES")
        ?? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
    foreach (var id in new[] { "lstmnative", "lstmnative.training", "lstmnative.forecasting" })
    {
        var cached = System.IO.Path.Combine(cache, id);
        if (System.IO.Directory.Exists(cached))
            System.IO.Directory.Delete(cached, recursive: true);
    }
    var project = root.CombineWithFilePath("samples/LstmNative.Sample/LstmNative.Sample.csproj");
    DotNetRun(project.FullPath, new DotNetRunSettings { Configuration = configuration });
});

// The CI fuzz run: a fixed-seed mutation loop over every reader, a fixed number of inputs per target (time-capped).
// The real fuzzers (AFL, libFuzzer) are described in fuzz/README.md.
Task("Fuzz")
    .IsDependentOn("Build")
    .Does(() =>
{
    var dll = root.CombineWithFilePath($"fuzz/LstmNative.Fuzz/bin/{configuration}/net10.0/LstmNative.Fuzz.dll");
    int exit = StartProcess("dotnet", new ProcessSettings
    {
        Arguments = $"exec \"{dll.FullPath}\" smoke --iterations 200000 --seconds 60 --seed 1 --crashes \"{root.Combine("artifacts/fuzz-crashes").FullPath}\"",
    });
    if (exit != 0)
        throw new Exception("the fuzz run found inputs that crash a reader (saved under artifacts/fuzz-crashes)");
});

RunTarget(target);

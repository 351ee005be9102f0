// The GpuBundle target: gpu-bundle/ holds what a GPU machine without .NET needs to run our GPU checks:
// framework-dependent builds of the GPU tests, the CLI and the benchmarks (apps.tar.xz), the .NET runtime packed
// from the local installation (dotnet-runtime.tar.xz), the conformance cases, and run.sh. It must stay under 64 MiB.

const long GpuBundleLimitBytes = 64L * 1024 * 1024;

void BuildGpuBundle(DirectoryPath root, string configuration)
{
    var bundle = root.Combine("gpu-bundle");
    var staging = root.Combine("artifacts/gpu-bundle-staging");
    EnsureDirectoryExists(bundle);
    CleanDirectory(bundle);
    EnsureDirectoryExists(staging);
    CleanDirectory(staging);
    var apps = staging.Combine("apps");

    // Framework-dependent: the runtime travels once, beside them. --no-build reuses what Build just made.
    void Publish(FilePath project, DirectoryPath output) => DotNetPublish(project.FullPath, new DotNetPublishSettings
    {
        Configuration = configuration,
        SelfContained = false,
        NoBuild = true,
        OutputDirectory = output,
    });
    Publish(root.CombineWithFilePath("tests/LstmNative.Gpu.Tests/LstmNative.Gpu.Tests.csproj"), apps.Combine("gpu-tests"));
    Publish(root.CombineWithFilePath("src/LstmNative.Cli/LstmNative.Cli.csproj"), apps.Combine("cli"));
    // Only the GPU benchmarks travel (the CPU suite and its ONNX Runtime have no business on the device machine).
    var benchmarks = GetFiles(root.FullPath + "/benchmarks/*Gpu*/*.csproj").ToList();
    foreach (var bench in benchmarks)
        Publish(bench, apps.Combine("bench/" + bench.GetFilenameWithoutExtension()));
    if (benchmarks.Count == 0)
        Information("GpuBundle: no benchmarks project (benchmarks/*/*.csproj) yet: run.sh will report the benchmark as skipped");

    // The device machine is linux-x64: native assets of every other platform (SkiaSharp's, through the plots) stay behind.
    foreach (var runtimes in System.IO.Directory.GetDirectories(apps.FullPath, "runtimes", System.IO.SearchOption.AllDirectories))
        foreach (var rid in System.IO.Directory.GetDirectories(runtimes))
            if (System.IO.Path.GetFileName(rid) != "linux-x64")
                System.IO.Directory.Delete(rid, recursive: true);

    SlimApps(apps);
    Tar(bundle.CombineWithFilePath("apps.tar.xz"), apps, ".");

    // The runtime: the host (dotnet, host/fxr) and Microsoft.NETCore.App of the version the apps target.
    var dotnetRoot = FindDotnetRoot();
    var runtimeVersion = System.IO.Directory.GetDirectories(System.IO.Path.Combine(dotnetRoot, "shared/Microsoft.NETCore.App"), "10.*")
        .Select(System.IO.Path.GetFileName).OrderBy(v => Version.TryParse(v.Split('-')[0], out var parsed) ? parsed : new Version(0, 0)).LastOrDefault()
        ?? throw new Exception($"no Microsoft.NETCore.App 10.x under {dotnetRoot}");
    var runtimeParts = new[] { "dotnet", "host", $"shared/Microsoft.NETCore.App/{runtimeVersion}", "LICENSE.txt", "ThirdPartyNotices.txt" }
        .Where(p => System.IO.File.Exists(System.IO.Path.Combine(dotnetRoot, p)) || System.IO.Directory.Exists(System.IO.Path.Combine(dotnetRoot, p)));
    Tar(bundle.CombineWithFilePath("dotnet-runtime.tar.xz"), new DirectoryPath(dotnetRoot), string.Join(" ", runtimeParts.Select(p => $"\"{p}\"")));

    // The ONNX node tests for the CLI's GPU parity run: ../shared is not carried to the GPU machine, so copy them.
    var conformance = root.Combine("../shared/conformance/onnx-node");
    if (DirectoryExists(conformance))
        CopyDirectory(conformance, bundle.Combine("conformance/onnx-node"));
    else
        Warning($"GpuBundle: {conformance} not found: run.sh will skip the CLI parity checks");

    CopyFile(root.CombineWithFilePath("bundle/run.sh"), bundle.CombineWithFilePath("run.sh"));
    CopyFile(root.CombineWithFilePath("bundle/torch_rnn_bench.py"), bundle.CombineWithFilePath("torch_rnn_bench.py"));
    CopyFile(root.CombineWithFilePath("bundle/README.md"), bundle.CombineWithFilePath("README.md"));
    var report = root.CombineWithFilePath("artifacts/kernels/ptxas-report.txt");
    if (FileExists(report))
        CopyFile(report, bundle.CombineWithFilePath("ptxas-report.txt"));
    StartProcess("chmod", new ProcessSettings { Arguments = $"+x \"{bundle.CombineWithFilePath("run.sh").FullPath}\"" });

    var commit = GitOutput(root, "rev-parse HEAD");
    var dirty = GitOutput(root, "status --porcelain").Length > 0;
    System.IO.File.WriteAllLines(bundle.CombineWithFilePath("MANIFEST.txt").FullPath, new[]
    {
        $"commit={commit}{(dirty ? "+uncommitted" : "")}",
        $"built_utc={DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}",
        $"dotnet_runtime={runtimeVersion}",
        $"configuration={configuration}",
        $"kernels_embedded={(FileExists(root.CombineWithFilePath("artifacts/kernels/lstmnative.fatbin")) ? "yes" : "no")}",
        $"benchmarks={string.Join(",", benchmarks.Select(b => b.GetFilenameWithoutExtension().ToString()))}",
    });

    var files = System.IO.Directory.GetFiles(bundle.FullPath, "*", System.IO.SearchOption.AllDirectories);
    var total = files.Sum(f => new System.IO.FileInfo(f).Length);
    foreach (var file in files.Where(f => new System.IO.FileInfo(f).Length > 100_000))
        Information($"  {System.IO.Path.GetRelativePath(bundle.FullPath, file)}: {new System.IO.FileInfo(file).Length / 1048576.0:F1} MiB");
    Information($"GpuBundle: {bundle} = {total / 1048576.0:F1} MiB in {files.Length} files (limit 64 MiB)");
    if (total >= GpuBundleLimitBytes)
        throw new Exception($"gpu-bundle is {total} bytes, over the 64 MiB limit");
}

// Leaves out what the GPU machine never uses and stores what the apps share once, so the bundle has room to grow
// under the 64 MiB a device call carries: the code-coverage collector (with Windows and macOS binaries) that the test
// platform publishes, BenchmarkDotNet's Windows-only tracing folders, and second copies of identical files (the
// fatbin-carrying LstmNative.Cuda.dll, SkiaSharp...) become hard links, which tar stores once.
void SlimApps(DirectoryPath apps)
{
    foreach (var dir in System.IO.Directory.GetDirectories(apps.FullPath, "*", System.IO.SearchOption.AllDirectories)
                 .Where(d => System.IO.Path.GetFileName(d) == "Microsoft.CodeCoverage"
                          || (System.IO.Path.GetFileName(d) is "amd64" or "arm64" or "x86" && System.IO.File.Exists(System.IO.Path.Combine(d, "msdia140.dll"))))
                 .ToList())
        if (System.IO.Directory.Exists(dir))
            System.IO.Directory.Delete(dir, recursive: true);
    var firstByContent = new Dictionary<string, string>();
    long saved = 0;
    foreach (var file in System.IO.Directory.GetFiles(apps.FullPath, "*", System.IO.SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal))
    {
        var info = new System.IO.FileInfo(file);
        if (info.Length < 64 * 1024)
            continue;
        using var sha = System.Security.Cryptography.SHA256.Create();
        string key;
        using (var stream = System.IO.File.OpenRead(file))
            key = info.Length + ":" + Convert.ToHexString(sha.ComputeHash(stream));
        if (!firstByContent.TryGetValue(key, out var original))
        {
            firstByContent[key] = file;
            continue;
        }
        System.IO.File.Delete(file);
        if (StartProcess("ln", new ProcessSettings { Arguments = $"\"{original}\" \"{file}\"" }) != 0)
            throw new Exception($"could not link {file} to {original}");
        saved += info.Length;
    }
    Information($"GpuBundle: {saved / 1048576.0:F1} MiB of duplicate files stored once (hard links)");
}

// tar | xz with every core: the runtime is ~70 MB before compression.
void Tar(FilePath archive, DirectoryPath from, string what)
{
    var exit = StartProcess("bash", new ProcessSettings
    {
        Arguments = $"-c \"set -o pipefail; tar -C '{from.FullPath}' -cf - {what.Replace("\"", "\\\"")} | xz -T0 -6 > '{archive.FullPath}'\"",
    });
    if (exit != 0)
        throw new Exception($"packing {archive} failed ({exit})");
}

string FindDotnetRoot()
{
    var fromEnv = EnvironmentVariable("DOTNET_ROOT");
    if (!string.IsNullOrEmpty(fromEnv) && System.IO.Directory.Exists(System.IO.Path.Combine(fromEnv, "shared")))
        return fromEnv;
    var onPath = FindOnPath("dotnet");
    if (onPath != null)
    {
        var real = new System.IO.FileInfo(onPath).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? onPath;
        var dir = System.IO.Path.GetDirectoryName(real);
        if (System.IO.Directory.Exists(System.IO.Path.Combine(dir, "shared")))
            return dir;
    }
    return "/usr/share/dotnet";
}

string GitOutput(DirectoryPath root, string arguments)
{
    StartProcess("git", new ProcessSettings { Arguments = arguments, WorkingDirectory = root, RedirectStandardOutput = true }, out var lines);
    return string.Join("\n", lines).Trim();
}

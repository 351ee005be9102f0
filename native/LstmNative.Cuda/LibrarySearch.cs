namespace LstmNative.Cuda;

/// <summary>
/// Where the CUDA libraries may be, in the order they are tried. Pure: it reads the environment and the
/// site-packages folders it is given and touches no file, so the order is testable on any machine.
/// </summary>
public static class LibrarySearch
{
    /// <summary>Exact path of libcuda.so.1 to use; tried before anything else.</summary>
    public const string DriverOverrideVariable = "LSTMNATIVE_LIBCUDA";

    /// <summary>Exact path of libcublas to use; tried before anything else.</summary>
    public const string CublasOverrideVariable = "LSTMNATIVE_LIBCUBLAS";

    /// <summary>Exact path of libcudnn to use; tried before anything else.</summary>
    public const string CudnnOverrideVariable = "LSTMNATIVE_LIBCUDNN";

    /// <summary>Folders (separated like PATH) searched first for every library.</summary>
    public const string LibraryPathVariable = "LSTMNATIVE_CUDA_LIBRARY_PATH";

    /// <summary>Python site-packages folders (separated like PATH) whose nvidia/*/lib wheels are searched.</summary>
    public const string SitePackagesVariable = "LSTMNATIVE_PYTHON_SITE_PACKAGES";

    private static readonly int[] CublasVersions = [13, 12, 11];
    private static readonly int[] CudnnVersions = [9, 8];

    /// <summary>The environment variable that names an exact file for <paramref name="library"/>.</summary>
    public static string OverrideVariable(CudaLibrary library) => library switch
    {
        CudaLibrary.Driver => DriverOverrideVariable,
        CudaLibrary.Cublas => CublasOverrideVariable,
        CudaLibrary.Cudnn => CudnnOverrideVariable,
        _ => throw new ArgumentOutOfRangeException(nameof(library)),
    };

    /// <summary>
    /// The candidates for <paramref name="library"/>, best first: the override file, then for each soname
    /// (newest CUDA first) the folders of <see cref="LibraryPathVariable"/>, the bare soname (the system loader's
    /// own search: LD_LIBRARY_PATH, ld.so.cache), the CUDA toolkit folders, and NVIDIA's Python wheels.
    /// Bare sonames are file names; everything else is an absolute path.
    /// </summary>
    public static IReadOnlyList<string> Candidates(CudaLibrary library, Func<string, string?> environment, IEnumerable<string> sitePackages, bool windows = false)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(sitePackages);
        var result = new List<string>();
        void Add(string candidate)
        {
            if (!result.Contains(candidate))
                result.Add(candidate);
        }

        var overrideFile = environment(OverrideVariable(library));
        if (!string.IsNullOrWhiteSpace(overrideFile))
            Add(overrideFile.Trim());

        var userDirs = SplitPath(environment(LibraryPathVariable));
        var sites = sitePackages.Concat(SplitPath(environment(SitePackagesVariable))).Distinct().ToList();
        var toolkitDirs = new List<string>();
        foreach (var variable in new[] { "CUDA_PATH", "CUDA_HOME", "CUDA_ROOT" })
        {
            var root = environment(variable);
            if (!string.IsNullOrWhiteSpace(root))
            {
                toolkitDirs.Add(Path.Combine(root, windows ? "bin" : "lib64"));
                if (!windows)
                    toolkitDirs.Add(Path.Combine(root, "lib"));
            }
        }
        if (!windows)
        {
            toolkitDirs.Add("/usr/local/cuda/lib64");
            toolkitDirs.Add("/usr/local/cuda/targets/x86_64-linux/lib");
        }

        foreach (var (soname, wheelDirs) in Sonames(library, windows))
        {
            foreach (var dir in userDirs)
                Add(Path.Combine(dir, soname));
            Add(soname);
            if (library == CudaLibrary.Driver)
            {
                foreach (var dir in DriverDirs(windows))
                    Add(Path.Combine(dir, soname));
                continue;
            }
            foreach (var dir in toolkitDirs)
                Add(Path.Combine(dir, soname));
            foreach (var site in sites)
                foreach (var wheelDir in wheelDirs)
                    Add(Path.Combine(site, wheelDir, soname));
        }
        return result;
    }

    /// <summary>Each soname with the wheel folders (relative to site-packages) that ship it.</summary>
    private static IEnumerable<(string Soname, string[] WheelDirs)> Sonames(CudaLibrary library, bool windows)
    {
        var lib = windows ? "bin" : "lib";
        switch (library)
        {
            case CudaLibrary.Driver:
                yield return (windows ? "nvcuda.dll" : "libcuda.so.1", []);
                break;
            case CudaLibrary.Cublas:
                foreach (var v in CublasVersions)
                {
                    // CUDA 13 wheels put every library in nvidia/cu13/lib; CUDA 11/12 wheels use nvidia/cublas/lib.
                    string[] dirs = v >= 13 ? [$"nvidia/cu{v}/{lib}", $"nvidia/cublas/{lib}"] : [$"nvidia/cublas/{lib}", $"nvidia/cu{v}/{lib}"];
                    yield return (windows ? $"cublas64_{v}.dll" : $"libcublas.so.{v}", dirs);
                }
                break;
            case CudaLibrary.Cudnn:
                foreach (var v in CudnnVersions)
                    yield return (windows ? $"cudnn64_{v}.dll" : $"libcudnn.so.{v}", [$"nvidia/cudnn/{lib}", $"nvidia/cu13/{lib}", $"nvidia/cu12/{lib}"]);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(library));
        }
    }

    private static string[] DriverDirs(bool windows) => windows
        ? [Environment.GetFolderPath(Environment.SpecialFolder.System)]
        : ["/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib/aarch64-linux-gnu", "/usr/local/nvidia/lib64", "/usr/lib/wsl/lib", "/run/opengl-driver/lib"];

    private static string[] SplitPath(string? value) =>
        string.IsNullOrWhiteSpace(value) ? [] : value.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// The Python site-packages folders present on this machine where NVIDIA's wheels may live: virtual
    /// environments, conda, pyenv, the user's and the system's. Only folders that exist are returned.
    /// </summary>
    public static IReadOnlyList<string> DefaultSitePackages()
    {
        var roots = new List<string>();
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        foreach (var prefix in new[] { Environment.GetEnvironmentVariable("VIRTUAL_ENV"), Environment.GetEnvironmentVariable("CONDA_PREFIX"), "/usr/local", "/usr", "/opt/conda", string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".local") })
        {
            if (!string.IsNullOrEmpty(prefix))
                roots.AddRange(PythonSiteDirs(prefix));
        }
        if (!string.IsNullOrEmpty(home))
        {
            var pyenv = Path.Combine(home, ".pyenv", "versions");
            foreach (var version in SafeDirectories(pyenv, "*"))
                roots.AddRange(PythonSiteDirs(version));
        }
        // Virtual environments installed for a tool under /opt (e.g. /opt/torch/.venv): GPU images put PyTorch and
        // NVIDIA's cuBLAS/cuDNN wheels there, and that venv need not be active nor its python first on PATH.
        foreach (var venv in OptVirtualEnvironments("/opt"))
            roots.AddRange(PythonSiteDirs(venv));
        roots.Add("/usr/lib/python3/dist-packages");
        return roots.Where(Directory.Exists).Distinct().ToList();
    }

    /// <summary>The virtual environments one level below <paramref name="root"/>: <c>root/*/.venv</c> and <c>root/*/venv</c>.</summary>
    public static IReadOnlyList<string> OptVirtualEnvironments(string root) =>
        SafeDirectories(root, "*").OrderBy(d => d, StringComparer.Ordinal)
            .SelectMany(tool => new[] { Path.Combine(tool, ".venv"), Path.Combine(tool, "venv") })
            .Where(Directory.Exists)
            .ToList();

    private static IEnumerable<string> PythonSiteDirs(string prefix)
    {
        foreach (var python in SafeDirectories(Path.Combine(prefix, "lib"), "python3*"))
        {
            yield return Path.Combine(python, "site-packages");
            yield return Path.Combine(python, "dist-packages");
        }
    }

    private static string[] SafeDirectories(string path, string pattern)
    {
        try
        {
            return Directory.Exists(path) ? Directory.GetDirectories(path, pattern) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}

using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using LstmNative.Cuda.Interop;

namespace LstmNative.Cuda;

/// <summary>
/// The one place that loads the CUDA libraries. It is registered as this assembly's DllImport resolver, so every
/// [LibraryImport] in the binding goes through it; it walks <see cref="LibrarySearch.Candidates"/>, remembers what
/// it loaded, and when nothing loads it throws <see cref="CudaLibraryNotFoundException"/> listing every attempt.
/// </summary>
public static class NativeLibraryResolver
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<CudaLibrary, (nint Handle, string Path)> Loaded = [];
    private static readonly Dictionary<CudaLibrary, IReadOnlyList<string>> Failures = [];

    // cuDNN 9 is a small shim that dlopens its sub-libraries by soname. When it comes from a folder the system
    // loader does not search (a Python wheel), load them first from that folder so the shim finds them loaded.
    private static readonly string[] CudnnSubLibraries =
        ["graph", "engines_runtime_compiled", "engines_precompiled", "heuristic", "ops", "cnn", "adv"];

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries",
        Justification = "The resolver must be in place before the first P/Invoke of this assembly, whoever calls first.")]
    internal static void Register() => NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) => name switch
    {
        LibraryNames.Driver => Load(CudaLibrary.Driver),
        LibraryNames.Cublas => Load(CudaLibrary.Cublas),
        LibraryNames.Cudnn => Load(CudaLibrary.Cudnn),
        _ => 0,
    };

    /// <summary>Whether <paramref name="library"/> has been loaded in this process.</summary>
    public static bool IsLoaded(CudaLibrary library)
    {
        lock (Gate)
            return Loaded.ContainsKey(library);
    }

    /// <summary>The file <paramref name="library"/> was loaded from (the soname when the system loader found it), or null.</summary>
    public static string? LoadedFrom(CudaLibrary library)
    {
        lock (Gate)
            return Loaded.TryGetValue(library, out var entry) ? entry.Path : null;
    }

    /// <summary>Loads <paramref name="library"/>, or throws <see cref="CudaLibraryNotFoundException"/> with every path tried.</summary>
    public static nint Load(CudaLibrary library) =>
        TryLoad(library, out var handle, out var attempts) ? handle : throw new CudaLibraryNotFoundException(library, attempts);

    /// <summary>Loads <paramref name="library"/> without throwing; <paramref name="attempts"/> tells what was tried and why each failed.</summary>
    public static bool TryLoad(CudaLibrary library, out nint handle, out IReadOnlyList<string> attempts)
    {
        lock (Gate)
        {
            if (Loaded.TryGetValue(library, out var done))
            {
                handle = done.Handle;
                attempts = [$"{done.Path}: loaded"];
                return true;
            }
            // A failure is remembered: the search touches the file system and would repeat on every call.
            if (Failures.TryGetValue(library, out var failed))
            {
                handle = 0;
                attempts = failed;
                return false;
            }
        }

        if (library == CudaLibrary.Cudnn)
            TryLoad(CudaLibrary.Cublas, out _, out _); // cuDNN's sub-libraries link cuBLAS(Lt)

        var log = new List<string>();
        foreach (var candidate in LibrarySearch.Candidates(library, Environment.GetEnvironmentVariable, LibrarySearch.DefaultSitePackages(), OperatingSystem.IsWindows()))
        {
            if (Path.IsPathRooted(candidate) && !File.Exists(candidate))
            {
                log.Add($"{candidate}: not found");
                continue;
            }
            if (Path.IsPathRooted(candidate))
                LoadCompanions(library, candidate);
            try
            {
                var loaded = NativeLibrary.Load(candidate);
                lock (Gate)
                    Loaded[library] = (loaded, candidate);
                log.Add($"{candidate}: loaded");
                handle = loaded;
                attempts = log;
                return true;
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                log.Add($"{candidate}: {LoaderReason(candidate, e.Message)}");
            }
        }
        lock (Gate)
            Failures[library] = log;
        handle = 0;
        attempts = log;
        return false;
    }

    /// <summary>Loads the libraries that sit beside <paramref name="path"/> and that it needs, best effort.</summary>
    private static void LoadCompanions(CudaLibrary library, string path)
    {
        var dir = Path.GetDirectoryName(path)!;
        var file = Path.GetFileName(path);
        var suffix = file[(file.IndexOf(".so", StringComparison.Ordinal) is var i and >= 0 ? i : file.Length)..];
        IEnumerable<string> companions = library switch
        {
            CudaLibrary.Cublas when suffix.Length > 0 => [Path.Combine(dir, "libcublasLt" + suffix)],
            CudaLibrary.Cudnn when suffix.Length > 0 => CudnnSubLibraries.Select(s => Path.Combine(dir, $"libcudnn_{s}{suffix}")),
            _ => [],
        };
        foreach (var companion in companions.Where(File.Exists))
            NativeLibrary.TryLoad(companion, out _);
    }

    /// <summary>
    /// The loader's own words for <paramref name="candidate"/>. .NET's message starts with a generic sentence and
    /// then lists dlerror() for each file it tried; the line for the candidate itself is the useful one.
    /// </summary>
    internal static string LoaderReason(string candidate, string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = lines.FirstOrDefault(l => l.StartsWith(candidate + ":", StringComparison.Ordinal)) is { } own
            ? own[(candidate.Length + 1)..].Trim()
            : lines.LastOrDefault(l => l.Contains(": ", StringComparison.Ordinal) && !l.StartsWith("Unable to load", StringComparison.Ordinal))
              ?? (lines.Length > 0 ? lines[0] : message);
        return line.Length > 300 ? line[..300] + "…" : line;
    }

    internal static string FormatFailure(CudaLibrary library, IReadOnlyList<string> attempts)
    {
        var text = new StringBuilder();
        text.Append("Could not load ").Append(Describe(library)).Append(". Tried ").Append(attempts.Count).Append(" candidate(s):");
        foreach (var attempt in attempts)
            text.Append("\n  - ").Append(attempt);
        text.Append("\nSet ").Append(LibrarySearch.OverrideVariable(library)).Append(" to the library's path, or ")
            .Append(LibrarySearch.LibraryPathVariable).Append(" / ").Append(LibrarySearch.SitePackagesVariable).Append(" to folders to search.");
        return text.ToString();
    }

    internal static string Describe(CudaLibrary library) => library switch
    {
        CudaLibrary.Driver => "the CUDA driver (libcuda.so.1)",
        CudaLibrary.Cublas => "cuBLAS (libcublas.so.13/.12/.11)",
        CudaLibrary.Cudnn => "cuDNN (libcudnn.so.9/.8)",
        _ => library.ToString(),
    };

    /// <summary>Forgets remembered failures so the next load searches again (for tests that change the environment).</summary>
    internal static void ForgetFailures()
    {
        lock (Gate)
            Failures.Clear();
    }
}

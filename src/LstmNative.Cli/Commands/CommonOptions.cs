using System.CommandLine;

namespace LstmNative.Cli.Commands;

/// <summary>Options several commands share, and the parsing of <c>NAME=FILE</c> pairs.</summary>
internal static class CommonOptions
{
    public static Argument<FileInfo> Model() => new("MODEL") { Description = "ONNX model holding one LSTM or GRU node" };

    public static Option<string[]> Inputs() => new("--input", "-i")
    {
        Description = "a graph input as NAME=FILE.npy (repeat for each input)",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<DirectoryInfo> OutputDir() => new("--output-dir", "-o")
    {
        Description = "folder for the .npy results (created if missing)",
        Required = true,
    };

    public static Option<string> Device()
    {
        var option = new Option<string>("--device")
        {
            Description = "where to run: cpu, cuda or auto (cuda when a usable GPU is present, else cpu)",
            DefaultValueFactory = _ => "auto",
        };
        option.AcceptOnlyFromAmong("cpu", "cuda", "auto");
        return option;
    }

    public static Option<bool> Verbose() => new("--verbose", "-v") { Description = "print what was run and how long it took" };

    /// <summary>
    /// Whether two paths name the same file: compared after resolving them to full paths and following symbolic links
    /// (ignoring case on Windows and macOS, whose usual file systems do).
    /// </summary>
    public static bool SameFile(string a, string b) =>
        string.Equals(Resolve(a), Resolve(b), OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    /// <summary>Refuses to write <paramref name="output"/> when it is <paramref name="input"/> (which it would destroy).</summary>
    public static void RefuseOverwrite(string output, string outputWhat, string input, string inputWhat)
    {
        if (SameFile(output, input))
            throw new CliException($"{outputWhat} '{output}' is {inputWhat} ('{input}'); writing it would destroy it: choose another path");
    }

    private static string Resolve(string path)
    {
        string full = Path.GetFullPath(path);
        try
        {
            // Follow links in the folder part too: resolve the deepest existing ancestor.
            string? dir = Path.GetDirectoryName(full);
            string name = Path.GetFileName(full);
            if (dir is not null && Directory.Exists(dir) && new DirectoryInfo(dir).ResolveLinkTarget(returnFinalTarget: true) is { } target)
                full = Path.Combine(target.FullName, name);
            if (File.Exists(full) && new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true) is { } fileTarget)
                full = fileTarget.FullName;
        }
        catch (IOException)
        {
            // A broken or looping link: compare the path as written.
        }
        return Path.TrimEndingDirectorySeparator(full);
    }

    /// <summary>Parses repeated <c>NAME=FILE</c> values; rejects malformed and duplicate names.</summary>
    public static IReadOnlyDictionary<string, string> ParsePairs(IEnumerable<string>? values, string option)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values ?? [])
        {
            int eq = value.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == value.Length - 1)
                throw new CliException($"{option} expects NAME=FILE.npy, got '{value}'");
            string name = value[..eq], file = value[(eq + 1)..];
            if (!result.TryAdd(name, file))
                throw new CliException($"{option} {name} given twice");
        }
        return result;
    }
}

namespace LstmNative.Formats;

/// <summary>
/// Checks, before a long run starts, that it can write every file it will write: a bad path then fails in seconds, in
/// one line, instead of after training has already replaced the model saved in the output folder. The one home of
/// these checks for the jobs (forecast, translate) and the CLI; failures are <see cref="IOException"/>s whose message
/// names the option or file and the reason.
/// </summary>
public static class OutputPaths
{
    /// <summary>
    /// Refuses <paramref name="folder"/> as an output folder when it is a file, or when it (or, while it does not exist
    /// yet, the nearest folder above it, where it would be created) is not writable. Creates nothing.
    /// </summary>
    /// <param name="folder">The output folder.</param>
    /// <param name="option">How the user named it (an option such as <c>-o</c>), for the message.</param>
    /// <exception cref="IOException">The folder cannot be created or written.</exception>
    public static void CheckFolder(string folder, string option)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        string full = Path.GetFullPath(folder);
        if (File.Exists(full))
            throw new IOException($"{option} '{folder}' is a file: {option} must be a folder (it is created if missing)");
        string? existing = full;
        while (existing is not null && !Directory.Exists(existing))
        {
            if (File.Exists(existing))
                throw new IOException($"{option} '{folder}': '{existing}' is a file, so the folder cannot be created there");
            existing = Path.GetDirectoryName(existing);
        }
        if (existing is not null)
            Probe(existing, $"{option} '{folder}'");
    }

    /// <summary>
    /// Refuses <paramref name="path"/> as a file the run will write: a folder of that name, or a parent folder that
    /// neither exists nor is <paramref name="createdFolder"/> (the output folder the run creates first), or that is not writable.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="what">What it is, for the message (e.g. <c>--report</c>, <c>the model</c>).</param>
    /// <param name="createdFolder">The output folder the run creates before writing, if any.</param>
    /// <exception cref="IOException">The file cannot be written there.</exception>
    public static void CheckFile(string path, string what, string? createdFolder = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new IOException($"cannot write {what} '{path}': it is a folder, not a file");
        string? folder = Path.GetDirectoryName(full);
        if (folder is null)
            throw new IOException($"cannot write {what} '{path}': it names a root folder, not a file");
        if (Directory.Exists(folder))
            Probe(folder, $"cannot write {what} '{path}'");
        else if (createdFolder is null || !SamePath(folder, createdFolder))
            throw new IOException($"cannot write {what} '{path}': folder '{folder}' does not exist");
    }

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)), Path.TrimEndingDirectorySeparator(Path.GetFullPath(b)),
            OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    /// <summary>
    /// Creates and removes an empty file in <paramref name="folder"/>: the atomic writes put their temporary file
    /// there, and only trying tells a read-only mount or a kernel folder from a writable one (root passes mode bits).
    /// </summary>
    private static void Probe(string folder, string what)
    {
        string probe = Path.Combine(folder, $".write-test-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{what}: folder '{folder}' is not writable ({e.Message})");
        }
    }
}

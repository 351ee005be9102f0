namespace LstmNative.Cli.Commands;

/// <summary>
/// Checks, before a long run starts, that it can write every file it will write: a bad path then fails in seconds, in
/// one line, instead of after training has already replaced the model saved in the output folder.
/// </summary>
internal static class OutputPaths
{
    /// <summary>
    /// Refuses <paramref name="folder"/> as an output folder when it is a file, or when it (or, while it does not exist
    /// yet, the nearest folder above it, where it would be created) is not writable. Creates nothing.
    /// </summary>
    public static void CheckFolder(string folder, string option)
    {
        string full = Path.GetFullPath(folder);
        if (File.Exists(full))
            throw new CliException($"{option} '{folder}' is a file: {option} must be a folder (it is created if missing)");
        string? existing = full;
        while (existing is not null && !Directory.Exists(existing))
        {
            if (File.Exists(existing))
                throw new CliException($"{option} '{folder}': '{existing}' is a file, so the folder cannot be created there");
            existing = Path.GetDirectoryName(existing);
        }
        if (existing is not null)
            Probe(existing, $"{option} '{folder}'");
    }

    /// <summary>
    /// Refuses <paramref name="path"/> as a file the run will write: a folder of that name, or a parent folder that
    /// neither exists nor is <paramref name="createdFolder"/> (the output folder the run creates first), or that is not writable.
    /// </summary>
    public static void CheckFile(string path, string what, string? createdFolder = null)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new CliException($"cannot write {what} '{path}': it is a folder, not a file");
        string? folder = Path.GetDirectoryName(full);
        if (folder is null)
            throw new CliException($"cannot write {what} '{path}': it names a root folder, not a file");
        if (Directory.Exists(folder))
            Probe(folder, $"cannot write {what} '{path}'");
        else if (createdFolder is null || !CommonOptions.SameFile(folder, createdFolder))
            throw new CliException($"cannot write {what} '{path}': folder '{folder}' does not exist");
    }

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
            throw new CliException($"{what}: folder '{folder}' is not writable ({e.Message})");
        }
    }
}

namespace LstmNative.Formats;

/// <summary>
/// Writes a file so that readers see either the old file or the complete new one, never a half-written file:
/// the content goes to a temporary file in the same directory (so the final rename stays on one file system)
/// and then replaces the target in one move.
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// Creates or replaces <paramref name="path"/> with what <paramref name="write"/> puts into the stream.
    /// When <paramref name="write"/> throws, or the disk fills, the target is left as it was and the temporary file is removed.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The target's directory does not exist.</exception>
    /// <exception cref="IOException">The target names a directory, or writing or moving failed.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)
            ?? throw new IOException($"cannot write '{path}': it names a root directory, not a file");
        // Checked up front so the caller gets a message naming the missing directory rather than the temp file's name.
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"cannot write '{path}': directory '{directory}' does not exist");
        if (Directory.Exists(full))
            throw new IOException($"cannot write '{path}': a directory of that name exists");

        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                // Flushed to disk before the rename, so a crash cannot leave the new name pointing at missing data.
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Creates or replaces a set of files so that a failure while producing any of them (a writer that throws, a full
    /// disk) leaves every target as it was: each file goes to a temporary beside its target, and only when all are
    /// complete are they moved into place, one rename each.
    /// </summary>
    /// <exception cref="ArgumentException">Two entries name the same file.</exception>
    /// <exception cref="DirectoryNotFoundException">A target's directory does not exist.</exception>
    /// <exception cref="IOException">A target names a directory, or writing or moving failed.</exception>
    public static void WriteAll(IReadOnlyList<(string Path, Action<Stream> Write)> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var targets = new string[files.Count];
        var seen = new HashSet<string>(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        for (int i = 0; i < files.Count; i++)
        {
            var (path, write) = files[i];
            ArgumentException.ThrowIfNullOrEmpty(path);
            ArgumentNullException.ThrowIfNull(write);
            string full = System.IO.Path.GetFullPath(path);
            string directory = System.IO.Path.GetDirectoryName(full)
                ?? throw new IOException($"cannot write '{path}': it names a root directory, not a file");
            if (!Directory.Exists(directory))
                throw new DirectoryNotFoundException($"cannot write '{path}': directory '{directory}' does not exist");
            if (Directory.Exists(full))
                throw new IOException($"cannot write '{path}': a directory of that name exists");
            if (!seen.Add(full))
                throw new ArgumentException($"cannot write '{path}' twice in one set of files");
            targets[i] = full;
        }

        var temps = new List<string>(files.Count);
        try
        {
            for (int i = 0; i < files.Count; i++)
            {
                string temp = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(targets[i])!, $".{System.IO.Path.GetFileName(targets[i])}.{Guid.NewGuid():N}.tmp");
                temps.Add(temp);
                using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None);
                files[i].Write(stream);
                stream.Flush(flushToDisk: true);
            }
        }
        catch
        {
            foreach (string temp in temps)
                TryDelete(temp);
            throw;
        }
        for (int i = 0; i < targets.Length; i++)
        {
            try
            {
                File.Move(temps[i], targets[i], overwrite: true);
            }
            catch
            {
                for (int k = i; k < temps.Count; k++)
                    TryDelete(temps[k]);
                throw;
            }
        }
    }

    /// <summary>Creates or replaces <paramref name="path"/> with <paramref name="bytes"/>, atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        // A span cannot be captured by the lambda; copying keeps the API simple for the small files this is used for.
        byte[] copy = bytes.ToArray();
        Write(path, stream => stream.Write(copy));
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // The original failure matters more than a stray temp file; it is hidden (dot-prefixed) and uniquely named.
        }
        catch (UnauthorizedAccessException)
        {
            // Same as above.
        }
    }
}

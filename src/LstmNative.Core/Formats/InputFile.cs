namespace LstmNative.Formats;

/// <summary>
/// Reads a whole model or tensor file into memory, refusing what is not a regular file before it fills the memory:
/// <c>/dev/zero</c> reports a size of 0 and never ends, so a plain <see cref="File.ReadAllBytes(string)"/> read it
/// until the process ran out of memory. The file's size is taken once, exactly that many bytes are read, and a file
/// that gives more than its size is refused.
/// </summary>
public static class InputFile
{
    /// <summary>Reads <paramref name="path"/>, which must be a regular file of at most <see cref="Array.MaxLength"/> bytes.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="ModelFormatException">It is a folder, a device or a pipe, or too large to hold.</exception>
    public static byte[] ReadAllBytes(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
            throw ModelFormatException.For(path, "is a folder, not a file");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        if (!stream.CanSeek)
            throw ModelFormatException.For(path, "is not a regular file (a pipe or a device)");
        long length = stream.Length;
        if (length > Array.MaxLength)
            throw ModelFormatException.For(path, $"is {length} bytes, over the {Array.MaxLength}-byte limit of one file");
        var bytes = new byte[length];
        int read = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        if (read < bytes.Length)
            throw ModelFormatException.For(path, $"gave {read} of its {length} bytes (it changed while being read)");
        if (stream.ReadByte() != -1)
            throw ModelFormatException.For(path, $"is not a regular file (it gives more bytes than its size, {length})");
        return bytes;
    }
}

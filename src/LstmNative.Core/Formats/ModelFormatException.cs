namespace LstmNative.Formats;

/// <summary>
/// A file (NPY array, ONNX tensor or model) is malformed or uses something the engine does not support.
/// The message is one line that names the file and says what was expected and what was found.
/// </summary>
public sealed class ModelFormatException : FormatException
{
    /// <summary>Creates the exception with a generic message.</summary>
    public ModelFormatException()
        : base("the file is not in a supported format")
    {
    }

    /// <summary>Creates the exception with a one-line message.</summary>
    public ModelFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a one-line message and the lower-level error that caused it.</summary>
    public ModelFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Builds the exception with the project's message shape: <c>source: what</c>.</summary>
    internal static ModelFormatException For(string source, string what) => new($"{source}: {what}");

    /// <summary>A lower-level error's message (protobuf and JSON messages can span lines) made one line, as ours are.</summary>
    internal static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    /// <summary>
    /// A value from the file made fit for a message: control characters and lone surrogates escaped as <c>\uXXXX</c>,
    /// and cut to <paramref name="max"/> characters with the full length noted (a 60 KB dtype is not echoed whole).
    /// </summary>
    internal static string Quote(string value, int max = 80)
    {
        int n = Math.Min(value.Length, max);
        var b = new System.Text.StringBuilder(n + 24);
        for (int i = 0; i < n; i++)
        {
            char c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                b.Append(c).Append(value[++i]);
                continue;
            }
            if (char.IsControl(c) || char.IsSurrogate(c))
                b.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            else
                b.Append(c);
        }
        if (value.Length > max)
            b.Append(System.Globalization.CultureInfo.InvariantCulture, $"… ({value.Length} characters)");
        return b.ToString();
    }

    /// <summary>Same as <see cref="For(string, string)"/>, keeping the cause.</summary>
    internal static ModelFormatException For(string source, string what, Exception inner) => new($"{source}: {what}", inner);
}

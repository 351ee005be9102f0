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

    /// <summary>Same as <see cref="For(string, string)"/>, keeping the cause.</summary>
    internal static ModelFormatException For(string source, string what, Exception inner) => new($"{source}: {what}", inner);
}

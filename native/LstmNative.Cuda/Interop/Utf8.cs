using System.Runtime.InteropServices;
using System.Text;

namespace LstmNative.Cuda.Interop;

/// <summary>UTF-8 strings across the native boundary, by hand (runtime marshalling is disabled).</summary>
internal static unsafe class Utf8
{
    public static string FromNative(byte* text) => text == null ? "" : Marshal.PtrToStringUTF8((nint)text) ?? "";

    /// <summary>Writes <paramref name="value"/> NUL-terminated into <paramref name="buffer"/>; returns false when it does not fit.</summary>
    public static bool TryWriteZ(string value, Span<byte> buffer)
    {
        if (!Encoding.UTF8.TryGetBytes(value, buffer[..^1], out var written))
            return false;
        buffer[written] = 0;
        return true;
    }
}

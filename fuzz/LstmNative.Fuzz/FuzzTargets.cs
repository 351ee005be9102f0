using LstmNative.Formats;
using SharpFuzz;

namespace LstmNative.Fuzz;

/// <summary>
/// The fuzzed entry points. Each feeds arbitrary bytes to a reader and swallows only the documented failure,
/// <see cref="ModelFormatException"/>: any other exception escapes and is a crash (a bug) for AFL, libFuzzer and the smoke run.
/// </summary>
internal static class FuzzTargets
{
    public static readonly IReadOnlyDictionary<string, ReadOnlySpanAction> All = new Dictionary<string, ReadOnlySpanAction>(StringComparer.Ordinal)
    {
        ["npy"] = Npy,
        ["safetensors"] = Safetensors,
        ["onnx"] = Onnx,
    };

    private static void Npy(ReadOnlySpan<byte> bytes)
    {
        byte[] copy = bytes.ToArray();
        Documented(() => NpyReader.Read(copy, "fuzz.npy"));
    }

    private static void Safetensors(ReadOnlySpan<byte> bytes)
    {
        byte[] copy = bytes.ToArray();
        SafetensorsFile? file = null;
        Documented(() => file = SafetensorsReader.Read(copy, "fuzz.safetensors"));
        if (file is null)
            return;
        // A valid container goes on to the conversions and to the state-dict mapping, which have their own checks.
        foreach (var name in file.Names)
            Documented(() => file.Read(name));
        Documented(() => PyTorchStateDict.Load<float>(file));
    }

    private static void Onnx(ReadOnlySpan<byte> bytes)
    {
        byte[] copy = bytes.ToArray();
        Documented(() => OnnxModelReader.Load(copy, "fuzz.onnx"));
        Documented(() => OnnxGraphReader.Load(copy, "fuzz.onnx"));
        Documented(() => OnnxTensors.ReadTensorProto(copy, "fuzz.pb"));
    }

    private static void Documented(Action read)
    {
        try
        {
            read();
        }
        catch (ModelFormatException)
        {
            // The documented refusal of a malformed file: not a bug.
        }
    }
}

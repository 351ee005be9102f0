using LstmNative.Formats;
using LstmNative.Onnx;
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
        ["cli"] = Cli,
        ["sizes"] = Sizes,
    };

    private static readonly string[] Commands = ["run", "backward", "export", "forecast", "gate", "demo", ""];

    /// <summary>
    /// The command line: the bytes are UTF-8 arguments separated by newlines, after a command picked by the first byte.
    /// Parsing (with every option's validator) must never throw, and a refusal is one line on stderr.
    /// </summary>
    private static void Cli(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
            return;
        string command = Commands[bytes[0] % Commands.Length];
        var args = System.Text.Encoding.UTF8.GetString(bytes[1..]).Split('\n');
        string[] all = command.Length == 0 ? args : [command, .. args];
        var stderr = new StringWriter();
        LstmNative.Cli.CliApp.Parse(all, TextWriter.Null, stderr, out int? usage);
        string text = stderr.ToString();
        if (usage is not null && (text.TrimEnd('\n').Contains('\n', StringComparison.Ordinal) || text.Any(c => char.IsControl(c) && c != '\n')))
            throw new InvalidOperationException($"a command-line error is not one printable line: {text}");
    }

    /// <summary>
    /// Size arithmetic: cell, input, hidden and projection sizes (and the forecaster's) from the bytes; validation may
    /// refuse them with <see cref="ArgumentException"/> and nothing else, and what it accepts must be allocatable as described.
    /// </summary>
    private static void Sizes(ReadOnlySpan<byte> bytes)
    {
        Span<byte> padded = stackalloc byte[20];
        bytes[..Math.Min(bytes.Length, 20)].CopyTo(padded);
        var cell = (padded[0] & 1) == 0 ? Model.RnnCellType.Lstm : Model.RnnCellType.Gru;
        int input = BitConverter.ToInt32(padded[4..]), hidden = BitConverter.ToInt32(padded[8..]), projection = BitConverter.ToInt32(padded[12..]);
        var options = new Model.RnnLayerOptions(cell, input, hidden) { ProjectionSize = cell == Model.RnnCellType.Lstm ? projection : 0 };
        try
        {
            options.Validate();
            // Accepted: the described blocks fit an array; allocate only the small ones.
            if ((long)input * hidden < 1 << 16 && (long)hidden * hidden < 1 << 16)
                _ = new Model.LayerWeights<float>(options);
        }
        catch (ArgumentException)
        {
            // The documented refusal.
        }
        try
        {
            new LstmNative.Forecasting.ForecasterShape(Math.Max(1, padded[1] % 8), 0, input, Math.Max(1, (int)padded[2]), hidden,
                Math.Max(1, padded[3] % 4), BitConverter.ToInt32(padded[16..])).Validate();
        }
        catch (ArgumentException)
        {
            // The documented refusal.
        }
    }

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

using LstmNative.PerfGate.Json;
using LstmNative.PerfGate.Measurement;
using LstmNative.PerfGate.Models;

namespace LstmNative.PerfGate.Suite;

/// <summary>
/// A user's suite: a JSON file naming their models and the sizes to time them at.
/// <code>
/// {
///   "suite": "my-models", "version": 1,
///   "cases": [
///     { "name": "encoder-b1", "model": "models/encoder.onnx", "batch": 1, "steps": 100,
///       "threads": 1, "device": "cpu", "mode": "run", "clock": "thread-cpu" }
///   ]
/// }
/// </code>
/// Model paths are relative to the suite file. <c>threads</c> (default 1), <c>device</c> (cpu or auto; default cpu),
/// <c>mode</c> (run or step; default run) and <c>clock</c> (thread-cpu or wall; default thread-cpu for one thread, wall
/// otherwise) are optional. Bump <c>version</c> whenever the cases change, then re-record the baseline.
/// </summary>
internal static class SuiteFile
{
    /// <summary>Reads and validates the file; models are loaded later, by <see cref="GateCase.Prepare"/>.</summary>
    public static GateSuite Load(string path)
    {
        if (!File.Exists(path))
            throw new GateException($"suite file not found: {path}");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GateException($"{path}: cannot read the suite file: {e.Message}", e);
        }
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var (document, root) = StrictJson.Parse(path, text);
        using (document)
        {
            root.OnlyProperties("suite", "version", "cases");
            string name = root.Required("suite").String();
            int version = root.Required("version").Int(1, int.MaxValue);
            var cases = root.Required("cases").Array().Select(c => Case(c, directory)).ToList();
            if (cases.Count == 0)
                throw root.Required("cases").Fail("the suite has no cases");
            return new GateSuite(name, version, cases, Path.GetFullPath(path));
        }
    }

    private static EngineCase Case(StrictJson json, string directory)
    {
        json.Object().OnlyProperties("name", "model", "batch", "steps", "threads", "device", "mode", "clock");
        string name = GateNames.Check(json.Required("name").String(), $"{json.Path}.name");
        string model = Path.GetFullPath(Path.Combine(directory, json.Required("model").String()));
        var loader = GateModelLoaders.For(model);
        int batch = json.Required("batch").Int(1, 1_000_000);
        int steps = json.Required("steps").Int(1, 1_000_000);
        int threads = json.Optional("threads")?.Int(1, 1024) ?? 1;
        string device = json.Optional("device")?.String() ?? "cpu";
        switch (device)
        {
            case "cpu" or "auto":
                break;
            case "cuda":
                throw json.Required("device").Fail($"case '{name}': the CUDA engine cannot run gate cases in this build; use cpu or auto");
            default:
                throw json.Required("device").Fail($"expected cpu, cuda or auto, got '{device}'");
        }
        var mode = (json.Optional("mode")?.String() ?? "run") switch
        {
            "run" => EngineMode.Run,
            "step" => EngineMode.Step,
            var other => throw json.Required("mode").Fail($"expected run or step, got '{other}'"),
        };
        ClockKind? clock = null;
        if (json.Optional("clock") is { } clockJson)
        {
            if (!ClockNames.TryParse(clockJson.String(), out var parsed))
                throw clockJson.Fail($"expected thread-cpu or wall, got '{clockJson.String()}'");
            clock = parsed;
        }
        return new EngineCase(name, () => loader.Load(model), batch, steps, threads, mode, clock);
    }
}

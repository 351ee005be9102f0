using System.Globalization;
using LstmNative.PerfGate.Json;
using LstmNative.PerfGate.Machine;
using LstmNative.PerfGate.Measurement;
using LstmNative.PerfGate.Statistics;

namespace LstmNative.PerfGate.Baseline;

/// <summary>
/// Reads and validates a baseline file. Every defect (missing file, invalid JSON, a missing or mistyped property, too few
/// samples, another format version) is a <see cref="GateException"/> that names the file and the property.
/// </summary>
internal static class BaselineReader
{
    /// <summary>Reads <paramref name="path"/>.</summary>
    public static BaselineFile Read(string path)
    {
        if (!File.Exists(path))
            throw new GateException(Directory.Exists(path)
                ? $"baseline {path} is a directory, not a file"
                : $"baseline file not found: {path} (record one with 'lstmnative gate --baseline {path} --update')");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GateException($"{path}: cannot read the baseline: {e.Message}", e);
        }
        return Parse(path, text);
    }

    /// <summary>Parses baseline JSON; <paramref name="file"/> names it in messages.</summary>
    public static BaselineFile Parse(string file, string text)
    {
        var (document, root) = StrictJson.Parse(file, text);
        using (document)
        {
            var format = root.Required("format");
            if (format.String() != BaselineFile.FormatName)
                throw format.Fail($"not a gate baseline (expected \"{BaselineFile.FormatName}\")");
            int formatVersion = root.Required("formatVersion").Int(1, int.MaxValue);
            if (formatVersion != BaselineFile.FormatVersion)
                throw root.Required("formatVersion").Fail($"baseline format version {formatVersion} is not supported by this build (it reads version {BaselineFile.FormatVersion}); re-record with --update");
            root.OnlyProperties("format", "formatVersion", "suite", "suiteVersion", "calibration", "recorded", "tool", "machine",
                "rounds", "launches", "sampleMs", "calibrationCpuMs", "calibrationWallMs", "cases");
            var recordedJson = root.Required("recorded");
            if (!DateTimeOffset.TryParse(recordedJson.String(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var recorded))
                throw recordedJson.Fail($"expected a date and time, got '{recordedJson.String()}'");
            int rounds = root.Required("rounds").Int(SamplerSettings.MinRounds, 1_000_000);
            int launches = root.Required("launches").Int(1, 100_000);
            var casesJson = root.Required("cases");
            var cases = casesJson.Array().Select(c => Case(c, rounds)).ToList();
            if (cases.Count == 0)
                throw casesJson.Fail("the baseline has no cases");
            var duplicate = cases.GroupBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null)
                throw casesJson.Fail($"two cases named '{duplicate.Key}'");
            return new BaselineFile(
                root.Required("suite").String(),
                root.Required("suiteVersion").Int(1, int.MaxValue),
                root.Required("calibration").String(),
                recorded,
                root.Required("tool").String(),
                Machine(root.Required("machine").Object()),
                rounds,
                launches,
                Positive(root.Required("sampleMs")),
                Positive(root.Required("calibrationCpuMs"), allowZero: true),
                Positive(root.Required("calibrationWallMs")),
                cases);
        }
    }

    private static MachineFacts Machine(StrictJson m)
    {
        m.OnlyProperties("cpu", "logicalCores", "simd", "gpu", "gpuDriver", "os", "runtime");
        return new MachineFacts(
            m.Required("cpu").String(),
            m.Required("logicalCores").Int(1, 1 << 20),
            m.Required("simd").String(),
            m.Required("gpu").String(),
            m.Required("gpuDriver").String(),
            m.Required("os").String(),
            m.Required("runtime").String());
    }

    private static BaselineCase Case(StrictJson c, int rounds)
    {
        c.Object().OnlyProperties("name", "config", "clock", "repetitions", "medianCpuMs", "medianWallMs", "memoryWeight", "logRatios", "memoryLogRatios");
        string name = c.Required("name").String();
        var clockJson = c.Required("clock");
        if (!ClockNames.TryParse(clockJson.String(), out var clock))
            throw clockJson.Fail($"expected thread-cpu or wall, got '{clockJson.String()}'");
        var (cpu, wall) = JsonReading.Samples(c);
        // The judged clock needs a full set of samples; the other is kept for analysis and may be absent (no CPU clock).
        foreach (var (kind, values) in new[] { (ClockKind.ThreadCpu, cpu), (ClockKind.Wall, wall) })
        {
            if (values.Count == 0 && kind != clock)
                continue;
            if (values.Count != rounds)
                throw c.Required("logRatios").Fail($"case '{name}': {values.Count} {kind.Name()} samples, expected one per round ({rounds})");
        }
        var weights = c.Required("memoryWeight").Object();
        weights.OnlyProperties(ClockKind.ThreadCpu.Name(), ClockKind.Wall.Name());
        double Weight(ClockKind kind)
        {
            var json = weights.Required(kind.Name());
            double w = json.Number();
            if (w < 0 || w > CalibrationMix.MaxWeight)
                throw json.Fail($"expected a weight between 0 and {CalibrationMix.MaxWeight}, got {w.ToString(CultureInfo.InvariantCulture)}");
            return w;
        }
        var samples = new CaseSamples(name, c.Required("repetitions").Int(1, int.MaxValue), cpu, wall,
            Positive(c.Required("medianCpuMs"), allowZero: true) / 1e3, Positive(c.Required("medianWallMs")) / 1e3);
        return new BaselineCase(c.Required("config").String(), clock, samples, Weight(ClockKind.ThreadCpu), Weight(ClockKind.Wall));
    }

    private static double Positive(StrictJson json, bool allowZero = false)
    {
        double value = json.Number();
        if (value < 0 || (value == 0 && !allowZero))
            throw json.Fail($"expected a positive number, got {value.ToString(CultureInfo.InvariantCulture)}");
        return value;
    }
}

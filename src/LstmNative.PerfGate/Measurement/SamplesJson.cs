using System.Text.Json;
using LstmNative.PerfGate.Json;

namespace LstmNative.PerfGate.Measurement;

/// <summary>
/// The measurement a worker process hands back to the gate: <see cref="SuiteSamples"/> as JSON in a file (not stdout,
/// so nothing a library prints can corrupt it).
/// </summary>
internal static class SamplesJson
{
    /// <summary>Writes <paramref name="samples"/>.</summary>
    public static void Write(Stream stream, SuiteSamples samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false });
        w.WriteStartObject();
        w.WriteString("format", "lstmnative-perf-samples");
        w.WriteNumber("calibrationCpuMs", samples.CalibrationCpuSeconds * 1e3);
        w.WriteNumber("calibrationWallMs", samples.CalibrationWallSeconds * 1e3);
        w.WriteNumber("launches", samples.Launches);
        w.WriteNumber("elapsedSeconds", samples.ElapsedSeconds);
        w.WriteBoolean("cpuClock", samples.CpuClockAvailable);
        w.WriteStartArray("cases");
        foreach (var c in samples.Cases)
        {
            w.WriteStartObject();
            w.WriteString("name", c.Name);
            w.WriteNumber("repetitions", c.Repetitions);
            w.WriteNumber("medianCpuMs", c.MedianCpuSeconds * 1e3);
            w.WriteNumber("medianWallMs", c.MedianWallSeconds * 1e3);
            JsonWriting.WriteSamples(w, c);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>Reads what <see cref="Write"/> wrote; <paramref name="file"/> names it in messages.</summary>
    public static SuiteSamples Read(string file, string text)
    {
        var (document, root) = StrictJson.Parse(file, text);
        using (document)
        {
            root.OnlyProperties("format", "calibrationCpuMs", "calibrationWallMs", "launches", "elapsedSeconds", "cpuClock", "cases");
            if (root.Required("format").String() != "lstmnative-perf-samples")
                throw root.Required("format").Fail("not a gate measurement");
            var cpuClock = root.Required("cpuClock").Element.ValueKind == JsonValueKind.True;
            var cases = root.Required("cases").Array().Select(c =>
            {
                c.Object().OnlyProperties("name", "repetitions", "medianCpuMs", "medianWallMs", "logRatios", "memoryLogRatios");
                var (cpu, wall) = JsonReading.Samples(c);
                return new CaseSamples(
                    c.Required("name").String(),
                    c.Required("repetitions").Int(1, int.MaxValue),
                    cpu,
                    wall,
                    c.Required("medianCpuMs").Number() / 1e3,
                    c.Required("medianWallMs").Number() / 1e3);
            }).ToList();
            return new SuiteSamples(cases,
                root.Required("calibrationCpuMs").Number() / 1e3,
                root.Required("calibrationWallMs").Number() / 1e3,
                root.Required("launches").Int(1, 100_000),
                root.Required("elapsedSeconds").Number(),
                cpuClock);
        }
    }
}

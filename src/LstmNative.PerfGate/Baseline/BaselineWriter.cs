using System.Globalization;
using System.Text.Json;
using LstmNative.Formats;
using LstmNative.PerfGate.Json;
using LstmNative.PerfGate.Measurement;

namespace LstmNative.PerfGate.Baseline;

/// <summary>Writes baselines as indented JSON, atomically: a reader sees the old file or the new one, never a torn one.</summary>
internal static class BaselineWriter
{
    /// <summary>Creates or replaces <paramref name="path"/>.</summary>
    public static void Write(string path, BaselineFile baseline)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        try
        {
            AtomicFile.Write(path, stream => Write(stream, baseline));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GateException($"cannot write the baseline {path}: {e.Message}", e);
        }
    }

    /// <summary>Writes the JSON to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, BaselineFile b)
    {
        ArgumentNullException.ThrowIfNull(b);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("format", BaselineFile.FormatName);
        w.WriteNumber("formatVersion", BaselineFile.FormatVersion);
        w.WriteString("suite", b.Suite);
        w.WriteNumber("suiteVersion", b.SuiteVersion);
        w.WriteString("calibration", b.Calibration);
        w.WriteString("recorded", b.Recorded.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        w.WriteString("tool", b.Tool);
        JsonWriting.WriteMachine(w, "machine", b.Machine);
        w.WriteNumber("rounds", b.Rounds);
        w.WriteNumber("launches", b.Launches);
        w.WriteNumber("sampleMs", Round(b.SampleMs));
        w.WriteNumber("calibrationCpuMs", Round(b.CalibrationCpuMs));
        w.WriteNumber("calibrationWallMs", Round(b.CalibrationWallMs));
        w.WriteStartArray("cases");
        foreach (var c in b.Cases)
        {
            var s = c.Samples;
            w.WriteStartObject();
            w.WriteString("name", c.Name);
            w.WriteString("config", c.Config);
            w.WriteString("clock", c.Clock.Name());
            w.WriteNumber("repetitions", s.Repetitions);
            w.WriteNumber("medianCpuMs", Round(s.MedianCpuSeconds * 1e3));
            w.WriteNumber("medianWallMs", Round(s.MedianWallSeconds * 1e3));
            w.WriteStartObject("memoryWeight");
            w.WriteNumber(ClockKind.ThreadCpu.Name(), Round(c.CpuWeight));
            w.WriteNumber(ClockKind.Wall.Name(), Round(c.WallWeight));
            w.WriteEndObject();
            // Natural logs of (case / compute yardstick) and (memory / compute yardstick), one per round, on both clocks.
            JsonWriting.WriteSamples(w, s);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static double Round(double v) => JsonWriting.Round(v);
}

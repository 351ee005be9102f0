using System.Text.Json;
using LstmNative.PerfGate.Machine;
using LstmNative.PerfGate.Measurement;

namespace LstmNative.PerfGate.Json;

/// <summary>Pieces the baseline and the JSON report write the same way.</summary>
internal static class JsonWriting
{
    /// <summary>Writes <paramref name="facts"/> as the object property <paramref name="name"/>.</summary>
    public static void WriteMachine(Utf8JsonWriter w, string name, MachineFacts facts)
    {
        w.WriteStartObject(name);
        w.WriteString("cpu", facts.Cpu);
        w.WriteNumber("logicalCores", facts.LogicalCores);
        w.WriteString("simd", facts.Simd);
        w.WriteString("gpu", facts.Gpu);
        w.WriteString("gpuDriver", facts.GpuDriver);
        w.WriteString("os", facts.Os);
        w.WriteString("runtime", facts.Runtime);
        w.WriteEndObject();
    }

    /// <summary>
    /// Writes a case's samples as the object properties "logRatios" (log case/compute yardstick) and "memoryLogRatios"
    /// (log memory/compute yardstick), each with one array per clock (6 decimals = 1 ppm of a ratio).
    /// </summary>
    public static void WriteSamples(Utf8JsonWriter w, CaseSamples samples)
    {
        foreach (var (property, pick) in new (string, Func<RatioSamples, double[]>)[] { ("logRatios", s => s.Case), ("memoryLogRatios", s => s.Memory) })
        {
            w.WriteStartObject(property);
            foreach (var clock in new[] { ClockKind.ThreadCpu, ClockKind.Wall })
            {
                w.WriteStartArray(clock.Name());
                foreach (double v in pick(samples.On(clock)))
                    w.WriteNumberValue(Math.Round(v, 6));
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
    }

    /// <summary>Rounds to 6 decimals, enough for milliseconds and ratios and short in the file.</summary>
    public static double Round(double v) => Math.Round(v, 6);
}

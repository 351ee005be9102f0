using LstmNative.PerfGate.Measurement;

namespace LstmNative.PerfGate.Json;

/// <summary>Pieces the baseline and the worker's samples read the same way.</summary>
internal static class JsonReading
{
    /// <summary>
    /// Reads "logRatios" and "memoryLogRatios" of a case (see <see cref="JsonWriting.WriteSamples"/>); the thread-cpu
    /// arrays may be empty (no such clock), and each clock's two arrays must have the same length.
    /// </summary>
    public static (RatioSamples Cpu, RatioSamples Wall) Samples(StrictJson c)
    {
        var ratios = c.Required("logRatios").Object();
        var memory = c.Required("memoryLogRatios").Object();
        RatioSamples Read(ClockKind clock)
        {
            ratios.OnlyProperties(ClockKind.ThreadCpu.Name(), ClockKind.Wall.Name());
            memory.OnlyProperties(ClockKind.ThreadCpu.Name(), ClockKind.Wall.Name());
            double[] caseLogs = ratios.Required(clock.Name()).Numbers();
            double[] memoryLogs = memory.Required(clock.Name()).Numbers();
            if (caseLogs.Length != memoryLogs.Length)
                throw memory.Fail($"{memoryLogs.Length} {clock.Name()} samples, but logRatios has {caseLogs.Length}");
            return new RatioSamples(caseLogs, memoryLogs);
        }
        return (Read(ClockKind.ThreadCpu), Read(ClockKind.Wall));
    }
}

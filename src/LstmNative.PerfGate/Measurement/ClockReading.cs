using System.Diagnostics;

namespace LstmNative.PerfGate.Measurement;

/// <summary>Both clocks read together, so every sample has a wall time and a thread CPU time and either can be judged.</summary>
internal readonly record struct ClockReading(long WallTicks, long CpuNanoseconds)
{
    public static ClockReading Now() => new(Stopwatch.GetTimestamp(), ThreadCpuClock.NowNanoseconds());

    /// <summary>Seconds from <paramref name="start"/> to this reading on each clock.</summary>
    public Elapsed Since(ClockReading start) =>
        new((WallTicks - start.WallTicks) / (double)Stopwatch.Frequency, (CpuNanoseconds - start.CpuNanoseconds) * 1e-9);
}

/// <summary>Seconds on the wall clock and on the thread CPU clock.</summary>
internal readonly record struct Elapsed(double Wall, double Cpu)
{
    public double On(ClockKind clock) => clock == ClockKind.ThreadCpu ? Cpu : Wall;

    public static Elapsed operator +(Elapsed a, Elapsed b) => new(a.Wall + b.Wall, a.Cpu + b.Cpu);

    public static Elapsed operator *(Elapsed a, double factor) => new(a.Wall * factor, a.Cpu * factor);
}

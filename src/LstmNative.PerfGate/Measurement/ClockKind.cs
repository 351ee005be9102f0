namespace LstmNative.PerfGate.Measurement;

/// <summary>Which clock a case is judged on.</summary>
internal enum ClockKind
{
    /// <summary>
    /// CPU time of the measuring thread: time spent preempted by other processes does not count, which is what makes a
    /// single-threaded case robust on an overloaded machine. Only meaningful when the case runs on the measuring thread alone.
    /// </summary>
    ThreadCpu,

    /// <summary>Elapsed time: the only honest clock for a case that uses worker threads.</summary>
    Wall,
}

/// <summary>The names clocks have in baseline files, suite files and reports.</summary>
internal static class ClockNames
{
    /// <summary>"thread-cpu" or "wall".</summary>
    public static string Name(this ClockKind clock) => clock == ClockKind.ThreadCpu ? "thread-cpu" : "wall";

    /// <summary>Parses a clock name; false when it is neither.</summary>
    public static bool TryParse(string? text, out ClockKind clock)
    {
        switch (text)
        {
            case "thread-cpu":
                clock = ClockKind.ThreadCpu;
                return true;
            case "wall":
                clock = ClockKind.Wall;
                return true;
            default:
                clock = ClockKind.Wall;
                return false;
        }
    }
}

using System.Runtime.InteropServices;

namespace LstmNative.PerfGate.Measurement;

/// <summary>
/// CPU time consumed by the calling thread, from <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c> (Linux and macOS,
/// nanosecond resolution). Other operating systems report <see cref="IsAvailable"/> false and the gate falls back to wall time.
/// </summary>
/// <remarks>
/// Bound through <see cref="NativeLibrary"/> with an explicit library name because a plain <c>DllImport("libc")</c> would
/// look for <c>libc.so</c>, which on glibc systems is a linker script (or absent) rather than a loadable library.
/// </remarks>
internal static unsafe class ThreadCpuClock
{
    private static readonly delegate* unmanaged<int, Timespec*, int> ClockGetTime;
    private static readonly int ThreadClockId;

    static ThreadCpuClock()
    {
        (string library, int clockId) = OperatingSystem.IsLinux() ? ("libc.so.6", 3)
            : OperatingSystem.IsMacOS() ? ("/usr/lib/libSystem.B.dylib", 16)
            : (string.Empty, 0);
        if (library.Length == 0 || !NativeLibrary.TryLoad(library, out nint handle) || !NativeLibrary.TryGetExport(handle, "clock_gettime", out nint export))
            return;
        ClockGetTime = (delegate* unmanaged<int, Timespec*, int>)export;
        ThreadClockId = clockId;
        Timespec probe;
        IsAvailable = ClockGetTime(ThreadClockId, &probe) == 0;
    }

    /// <summary>Whether the thread CPU clock works on this system.</summary>
    public static bool IsAvailable { get; }

    /// <summary>The calling thread's CPU time in nanoseconds (0 when <see cref="IsAvailable"/> is false).</summary>
    public static long NowNanoseconds()
    {
        if (!IsAvailable)
            return 0;
        Timespec now;
        ClockGetTime(ThreadClockId, &now);
        return (long)now.Seconds * 1_000_000_000L + now.Nanoseconds;
    }

    /// <summary><c>struct timespec</c> on 64-bit Linux and macOS: two longs.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public nint Seconds;
        public nint Nanoseconds;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LstmNative.PerfGate.Measurement;

/// <summary>
/// A test hook for proving the gate works: <c>LSTMNATIVE_GATE_SLOWDOWN=CASE:FRACTION</c> (for example
/// <c>lstm-h256-b1-t50:0.2</c>) makes that one case really FRACTION slower: after every repetition of the case it does
/// arithmetic work (an FMA chain) for FRACTION of the time that repetition itself took, on the clock the case is judged
/// on, inside the timed region.
/// </summary>
/// <remarks>
/// <para>Why time-proportional work rather than extra repetitions of the case: the first version ran one more
/// repetition every 1/FRACTION repetitions, and for a case whose weights stay in cache the extra repetition (straight
/// after the previous one, caches warm) cost far less than an average one: "20 % more work" measured as +11 to +14 %
/// under load. A build that is 20 % slower must be 20 % slower in time, whatever the caches do.</para>
/// <para>The hook never touches the engine: the gate wraps the named case's workload when the suite is prepared, so a
/// normal run (variable unset) executes exactly the code it would without the hook, and the engine carries no check.</para>
/// </remarks>
internal static class SlowdownHook
{
    /// <summary>The environment variable.</summary>
    public const string Variable = "LSTMNATIVE_GATE_SLOWDOWN";

    /// <summary>Parses <c>CASE:FRACTION</c>; null for null or empty text.</summary>
    /// <exception cref="GateException">The text is not CASE:FRACTION with 0 &lt; FRACTION ≤ 10.</exception>
    public static (string Case, double Fraction)? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !double.TryParse(text.AsSpan(colon + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out double fraction)
            || !(fraction > 0 && fraction <= 10))
            throw new GateException($"{Variable} must be CASE:FRACTION with 0 < FRACTION <= 10 (e.g. lstm-h256-b1-t50:0.2), got '{text}'");
        return (text[..colon], fraction);
    }

    /// <summary>Wraps <paramref name="inner"/> so each repetition takes <paramref name="fraction"/> longer on <paramref name="clock"/>.</summary>
    public static IGateWorkload Slow(IGateWorkload inner, double fraction, ClockKind clock) => new Slowed(inner, fraction, clock);

    private sealed class Slowed(IGateWorkload inner, double fraction, ClockKind clock) : IGateWorkload
    {
        private Vector256<float> _sink = Vector256<float>.One;

        public void Run()
        {
            long start = Now();
            inner.Run();
            long end = Now();
            long until = end + (long)((end - start) * fraction);
            while (Now() < until)
                _sink = Burn(_sink);
        }

        public void Dispose() => inner.Dispose();

        private long Now() => clock == ClockKind.ThreadCpu && ThreadCpuClock.IsAvailable
            ? ThreadCpuClock.NowNanoseconds()
            : (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));

        /// <summary>About a microsecond of dependent FMAs: real arithmetic the JIT cannot remove (the result is kept).</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static Vector256<float> Burn(Vector256<float> x)
        {
            var a = Vector256.Create(0.999f);
            var b = Vector256.Create(0.001f);
            for (int i = 0; i < 256; i++)
                x = Vector256.FusedMultiplyAdd(x, a, b);
            return x;
        }
    }
}

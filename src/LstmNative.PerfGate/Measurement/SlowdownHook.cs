using System.Globalization;

namespace LstmNative.PerfGate.Measurement;

/// <summary>
/// A test hook for proving the gate works: <c>LSTMNATIVE_GATE_SLOWDOWN=CASE:FRACTION</c> (for example
/// <c>lstm-h256-b1-t50:0.2</c>) makes that one case do FRACTION more real work: one extra repetition of the case itself
/// every 1/FRACTION repetitions, inside the timed region. Nothing else changes.
/// </summary>
/// <remarks>
/// The hook never touches the engine: the gate wraps the named case's workload when the suite is prepared, so a normal
/// run (variable unset) executes exactly the code it would without the hook, and the engine's hot paths carry no check.
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

    /// <summary>Wraps <paramref name="inner"/> so it does <paramref name="fraction"/> more repetitions of itself.</summary>
    public static IGateWorkload Slow(IGateWorkload inner, double fraction) => new Slowed(inner, fraction);

    private sealed class Slowed(IGateWorkload inner, double fraction) : IGateWorkload
    {
        private double _owed;

        public void Run()
        {
            inner.Run();
            // Carrying the fractional remainder makes every sample of n repetitions do n·fraction extra (± one).
            _owed += fraction;
            while (_owed >= 1)
            {
                inner.Run();
                _owed -= 1;
            }
        }

        public void Dispose() => inner.Dispose();
    }
}

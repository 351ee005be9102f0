namespace LstmNative.PerfGate.Suite;

/// <summary>
/// Suite and case names: letters, digits, '.', '_' and '-' only, because they become JUnit test names, JSON keys and
/// the <c>CASE</c> of the slowdown hook's <c>CASE:FRACTION</c>.
/// </summary>
internal static class GateNames
{
    /// <summary>Returns <paramref name="name"/> or throws <see cref="GateException"/> naming <paramref name="what"/>.</summary>
    public static string Check(string? name, string what)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 100 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            throw new GateException($"{what} must be 1 to 100 letters, digits, '.', '_' or '-', got '{name}'");
        return name;
    }
}

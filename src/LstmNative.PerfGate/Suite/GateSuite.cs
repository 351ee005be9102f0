namespace LstmNative.PerfGate.Suite;

/// <summary>
/// A named, versioned list of cases. A baseline belongs to one suite name and version: measurements of a different
/// suite are not comparable, so the gate refuses the pair (exit 2) until the baseline is re-recorded with <c>--update</c>.
/// </summary>
internal sealed class GateSuite
{
    public GateSuite(string name, int version, IReadOnlyList<GateCase> cases, string? sourceFile = null)
    {
        SourceFile = sourceFile;
        ArgumentNullException.ThrowIfNull(cases);
        Name = GateNames.Check(name, "suite name");
        if (version < 1)
            throw new GateException($"suite version must be a positive integer, got {version}");
        if (cases.Count == 0)
            throw new GateException($"suite '{name}' has no cases");
        var duplicate = cases.GroupBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new GateException($"suite '{name}' has two cases named '{duplicate.Key}'");
        Version = version;
        Cases = cases;
    }

    /// <summary>The suite's name ("builtin" for the built-in suite).</summary>
    public string Name { get; }

    /// <summary>The suite's version: changed whenever its cases change.</summary>
    public int Version { get; }

    /// <summary>The cases, in report order.</summary>
    public IReadOnlyList<GateCase> Cases { get; }

    /// <summary>The suite file it was read from; null for the built-in suite.</summary>
    public string? SourceFile { get; }

    /// <summary>"name/version".</summary>
    public string Id => $"{Name}/{Version}";
}

using NUnit.Framework;

namespace LstmNative.Tests;

/// <summary>
/// Locates the shared test material (<c>shared/conformance</c>, <c>shared/data</c>, ...) that lives outside the repository
/// in development (<c>&lt;repo&gt;/../shared</c>) and inside it on the device machine (<c>&lt;repo&gt;/shared</c>).
/// </summary>
public static class TestPaths
{
    /// <summary>Environment variable that points at the shared folder explicitly, overriding the search.</summary>
    public const string SharedVariable = "LSTMNATIVE_SHARED";

    private static readonly Lazy<string?> Shared = new(FindShared);

    /// <summary>The <c>shared</c> folder, or null when it cannot be found.</summary>
    public static string? SharedDirectory => Shared.Value;

    /// <summary>The <c>shared/conformance</c> folder, or null when the shared folder cannot be found.</summary>
    public static string? ConformanceDirectory => SharedDirectory is null ? null : Path.Combine(SharedDirectory, "conformance");

    /// <summary>The shared folder; marks the current test ignored (with the reason) when it is absent.</summary>
    public static string RequireShared()
    {
        if (SharedDirectory is null)
        {
            Assert.Ignore($"shared test material not found: no 'shared/conformance' folder above {AppContext.BaseDirectory} "
                + $"and {SharedVariable} is not set to one");
        }
        return SharedDirectory!;
    }

    /// <summary>The conformance folder; marks the current test ignored (with the reason) when it is absent.</summary>
    public static string RequireConformance() => Path.Combine(RequireShared(), "conformance");

    private static string? FindShared()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(SharedVariable);
        if (!string.IsNullOrEmpty(fromEnvironment) && Directory.Exists(Path.Combine(fromEnvironment, "conformance")))
            return Path.GetFullPath(fromEnvironment);
        // Walk up from the test assembly: bin/<config>/<tfm> -> tests/<project> -> repo -> its parent.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(Path.Combine(candidate, "conformance")))
                return candidate;
        }
        return null;
    }
}

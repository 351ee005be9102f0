using NUnit.Framework;

namespace LstmNative.Tests.Conformance;

/// <summary>
/// Finds the shared conformance material (<c>shared/conformance</c>), which is not part of the repository: it lives
/// beside the clone (<c>&lt;repo&gt;/../shared</c>). Found by walking up from the test assembly's directory, so it works
/// from bin/, from a worktree and from a CI checkout alike.
/// </summary>
/// <remarks>To be unified with <c>TestPaths</c> (written on another branch) by the lead.</remarks>
internal static class ConformancePaths
{
    private static readonly Lazy<string?> Found = new(Locate);

    /// <summary>The directory the search starts from.</summary>
    public static string StartDirectory
    {
        get
        {
            // TestContext may not be usable while NUnit builds test cases; the assembly directory is the same place.
            string? dir = null;
            try
            {
                dir = TestContext.CurrentContext.TestDirectory;
            }
            catch (InvalidOperationException)
            {
            }
            return string.IsNullOrEmpty(dir) ? AppContext.BaseDirectory : dir;
        }
    }

    /// <summary>The <c>shared/conformance</c> directory, or null when there is none above the test assembly.</summary>
    public static string? ConformanceDirectory => Found.Value;

    /// <summary>The conformance directory; marks the running test ignored (with the reason) when it is absent.</summary>
    public static string Require()
    {
        if (ConformanceDirectory is { } dir)
            return dir;
        Assert.Ignore(MissingReason);
        return null!; // unreachable: Assert.Ignore throws
    }

    /// <summary>Why conformance tests are ignored when the material is missing.</summary>
    public static string MissingReason =>
        $"no directory shared/conformance found in {StartDirectory} or any directory above it; " +
        "the conformance material is kept outside the repository, beside the clone (<repo>/../shared/conformance)";

    private static string? Locate()
    {
        for (var dir = new DirectoryInfo(StartDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "conformance");
            if (Directory.Exists(candidate))
                return candidate;
        }
        return null;
    }
}

using System.Reflection;
using System.Text.RegularExpressions;
using LstmNative.Gpu.Tests.Device;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Host;

/// <summary>
/// The GPU bundle's run.sh runs each GPU fixture in a process of its own, by name. A GPU fixture it does not name
/// would never run on a GPU: every one must be listed.
/// </summary>
public class BundleStagesTests
{
    [Test]
    public void EveryGpuFixtureIsRunByTheBundle()
    {
        string? script = null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null && script is null; dir = dir.Parent)
            foreach (var candidate in new[] { Path.Combine(dir.FullName, "bundle", "run.sh"), Path.Combine(dir.FullName, "run.sh") })
                if (File.Exists(candidate) && File.ReadAllText(candidate).Contains("run_fixture", StringComparison.Ordinal))
                {
                    script = candidate;
                    break;
                }
        if (script is null)
            Assert.Ignore("bundle/run.sh is not above the test assembly");
        string text = File.ReadAllText(script);
        var fixtures = typeof(GpuFixture).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } &&
                        (typeof(GpuFixture).IsAssignableFrom(t) || t.GetCustomAttributes<CategoryAttribute>(inherit: true).Any(c => c.Name == "Gpu")))
            .ToList();
        Assert.That(fixtures, Is.Not.Empty);
        foreach (var fixture in fixtures)
        {
            // Stage 1 names the Device fixtures in a loop (LstmNative.Gpu.Tests.Device.$f.); the others by their full name.
            bool named = text.Contains(fixture.FullName + ".", StringComparison.Ordinal) ||
                         (fixture.Namespace == typeof(GpuFixture).Namespace &&
                          Regex.IsMatch(text, @"for f in [^\n;]*\b" + fixture.Name + @"\b.*\n.*LstmNative\.Gpu\.Tests\.Device\.\$f\."));
            Assert.That(named, Is.True, $"{fixture.FullName} is a GPU fixture that {script} does not run");
        }
    }
}

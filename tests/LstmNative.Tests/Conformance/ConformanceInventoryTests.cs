using System.Globalization;
using System.Text.RegularExpressions;
using NUnit.Framework;
using static LstmNative.Tests.Conformance.ConformanceCatalog;

namespace LstmNative.Tests.Conformance;

/// <summary>
/// Guards the case sources: a JSON file the sources do not turn into a test, a folder the tests do not know, or a file
/// missing from the shared material would otherwise pass silently (a skipped case is indistinguishable from a passing one).
/// </summary>
public class ConformanceInventoryTests
{
    [TestCase(OnnxGenerated)]
    [TestCase(OnnxRuntime)]
    [TestCase(Tflite)]
    [TestCase(Keras)]
    public void EveryJsonFileIsRun(string folder)
    {
        string dir = Path.Combine(TestPaths.RequireConformance(), folder);
        Assert.That(Directory.Exists(dir), Is.True, $"{folder} is missing from {TestPaths.ConformanceDirectory}");
        // Listed independently of the case source's pattern: every .json file, whatever its name.
        var files = Directory.GetFiles(dir, "*.json").Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToList();
        if (folder == Keras)
            Assert.That(files, Is.EqualTo(new[] { Patterns[Keras] }), "the Keras source reads one file; another one would be skipped");
        else
            Assert.That(CaseIds(folder), Is.EqualTo(files.Select(Stem).ToList()), $"{folder}: the JSON files and the test cases differ");
    }

    [TestCase(OnnxGenerated)]
    [TestCase(OnnxRuntime)]
    [TestCase(Tflite)]
    [TestCase(Keras)]
    public void CaseCountMatchesTheReadme(string folder)
    {
        var counts = ReadmeCounts();
        Assert.That(counts, Does.ContainKey(folder), $"the README's table has no row for {folder}/");
        Assert.That(CaseIds(folder), Has.Count.EqualTo(counts[folder]), $"{folder}: number of cases run vs the README's count (a file is missing or extra)");
    }

    [Test]
    public void NoJsonOutsideTheFoldersRun()
    {
        string root = TestPaths.RequireConformance();
        var unknown = Directory.GetFiles(root, "*.json", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(rel => !Patterns.ContainsKey(rel.Split('/')[0]))
            .ToList();
        Assert.That(unknown, Is.Empty, "JSON files in folders no conformance test reads");
        var folders = Directory.GetDirectories(root).Select(d => Path.GetFileName(d)!).ToList();
        Assert.That(folders.Where(f => !Patterns.ContainsKey(f) && !NonJsonFolders.Contains(f)), Is.Empty, "folders the conformance tests do not know about");
    }

    /// <summary>The <c>| `folder/` | what | count |</c> rows of the README's table.</summary>
    private static Dictionary<string, int> ReadmeCounts()
    {
        string readme = File.ReadAllText(Path.Combine(TestPaths.RequireConformance(), "README.md"));
        var result = new Dictionary<string, int>();
        foreach (Match m in Regex.Matches(readme, @"^\|\s*`([^`/]+)/`\s*\|.*\|\s*(\d+)\s*\|\s*$", RegexOptions.Multiline))
            result[m.Groups[1].Value] = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        return result;
    }
}

using System.Xml.Linq;
using NUnit.Framework;

namespace LstmNative.Tests.Training;

/// <summary>
/// Every project whose code uses Google.Protobuf references it itself (issue 19 item 8). Only transitively (through
/// OnnxSharp) a project outside the repository that references LstmNative.Core restored OnnxSharp's minimum 3.29.3 while
/// Core was compiled against the centrally pinned 3.36.2, and ONNX export failed at run time with
/// "Could not load file or assembly 'Google.Protobuf, Version=3.36.2.0'" (reproduced by hand, fixed by the reference).
/// </summary>
public class PackageReferenceTests
{
    [Test]
    public void ProjectsUsingProtobufReferenceIt()
    {
        DirectoryInfo? root = new(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "LstmNative.sln")))
            root = root.Parent;
        if (root is null)
            Assert.Ignore("the repository's sources are not above the test assembly");
        var users = new List<string>();
        foreach (var project in Directory.GetFiles(Path.Combine(root!.FullName, "src"), "*.csproj", SearchOption.AllDirectories))
        {
            string dir = Path.GetDirectoryName(project)!;
            bool uses = Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories)
                .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                .Any(f => File.ReadAllText(f).Contains("Google.Protobuf", StringComparison.Ordinal));
            if (!uses)
                continue;
            users.Add(Path.GetFileNameWithoutExtension(project));
            bool references = XDocument.Load(project).Descendants("PackageReference").Any(e => (string?)e.Attribute("Include") == "Google.Protobuf");
            Assert.That(references, $"{Path.GetFileName(project)} uses Google.Protobuf but does not reference it");
        }
        Assert.That(users, Does.Contain("LstmNative.Core"));
    }
}

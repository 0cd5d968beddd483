using System.Xml.Linq;
using StrideCampus.AiChat.Client.Tests.Readme;

namespace StrideCampus.AiChat.Client.Tests.Repository;

/// <summary>Central package versions hold only what a project uses (issue 15): an unused version is a dependency nobody reviews.</summary>
public sealed class CentralPackageTests
{
    [Fact]
    public void Every_central_package_version_is_referenced_by_a_project()
    {
        var root = Path.GetDirectoryName(ReadmeSnippetTests.ReadmePath())!;
        var central = Path.Combine(root, "Directory.Packages.props");
        if (!File.Exists(central))
        {
            return; // the tests run from a copy without the repository around them
        }

        var versions = XDocument.Load(central).Descendants("PackageVersion").Select(e => (string)e.Attribute("Include")!).ToList();
        Assert.NotEmpty(versions);
        var referenced = Directory.EnumerateFiles(root, "*.*proj", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(root, "Directory.Build.props", SearchOption.AllDirectories))
            .Where(p => !p.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or "node_modules"))
            .SelectMany(p => XDocument.Load(p).Descendants("PackageReference"))
            .Select(e => (string?)e.Attribute("Include"))
            .OfType<string>()
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var unused = versions.Where(v => !referenced.Contains(v)).ToList();
        Assert.True(unused.Count == 0, "Versions no project references: " + string.Join(", ", unused));
    }
}

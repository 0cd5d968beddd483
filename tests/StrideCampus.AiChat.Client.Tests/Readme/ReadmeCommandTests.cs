namespace StrideCampus.AiChat.Client.Tests.Readme;

/// <summary>CI runs the README's test command, word for word (issue 17), so what a newcomer runs is what CI checks.</summary>
public sealed class ReadmeCommandTests
{
    [Fact]
    public void Ci_runs_exactly_the_readmes_test_command()
    {
        var readme = ReadmeSnippetTests.ReadmePath();
        var root = Path.GetDirectoryName(readme)!;
        var ci = Path.Combine(root, ".ci", "run");
        if (!File.Exists(ci))
        {
            return; // the tests run from a copy without the repository around them
        }

        var command = Assert.Single(File.ReadAllLines(readme), l => l.StartsWith("dotnet test ", StringComparison.Ordinal));
        Assert.Contains("--logger", command, StringComparison.Ordinal); // one line per test: no silent minutes
        Assert.Single(File.ReadAllLines(ci), l => l.StartsWith(command + " 2>&1", StringComparison.Ordinal));
    }
}

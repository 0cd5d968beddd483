using System.Diagnostics;
using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.IntegrationTests.LocalStack;

/// <summary><c>start</c>'s options: one table that parsing and <c>--help</c> both read.</summary>
public sealed class StartCommandTests
{
    [Fact]
    public async Task Help_lists_every_option_with_its_default_and_exits_zero()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "StrideCampus.AiChat.LocalStack.dll"));
        psi.ArgumentList.Add("start");
        psi.ArgumentList.Add("--help");
        using var process = Process.Start(psi)!;
        var help = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.Equal(0, process.ExitCode);
        var lines = help.Split('\n');
        foreach (var option in StartCommand.Options)
        {
            Assert.Contains(lines, l => l.TrimStart().StartsWith(option.Name + " ", StringComparison.Ordinal) && l.Contains("(default: ", StringComparison.Ordinal));
        }
        Assert.Contains(lines, l => l.Contains("--max-rows N", StringComparison.Ordinal) && l.Contains("(default: 1000)", StringComparison.Ordinal));
        Assert.Contains("--jwt-secret S", help, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_parse_into_LocalStackOptions_and_bad_values_are_refused()
    {
        var options = new LocalStackOptions();
        Assert.Null(StartCommand.Parse(["--jwt-secret", new string('s', 32), "--data-dir", "/tmp/x", "--max-rows", "0", "--port", "5555"], options));
        Assert.Equal(new string('s', 32), options.JwtSecret);
        Assert.Equal("/tmp/x", options.Postgres.DataDirectory);
        Assert.Equal(0, options.MaxRows);
        Assert.Equal(5555, options.Port);

        Assert.NotNull(StartCommand.Parse(["--jwt-secret", "short"], new LocalStackOptions()));
        Assert.NotNull(StartCommand.Parse(["--max-rows", "-1"], new LocalStackOptions()));
        Assert.NotNull(StartCommand.Parse(["--port"], new LocalStackOptions()));
        Assert.NotNull(StartCommand.Parse(["--nope"], new LocalStackOptions()));
    }
}

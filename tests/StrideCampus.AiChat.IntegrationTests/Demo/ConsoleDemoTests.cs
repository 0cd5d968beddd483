using System.Diagnostics;

namespace StrideCampus.AiChat.IntegrationTests.Demo;

/// <summary>The README's first command, non-interactively: the scripted two-tab conversation must succeed.</summary>
public sealed class ConsoleDemoTests
{
    [Fact]
    public async Task Demo_once_plays_the_script_on_embedded_LocalStack_and_exits_zero()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "StrideCampus.AiChat.ConsoleDemo.dll");
        Assert.True(File.Exists(dll), "the demo is built beside the tests: " + dll);
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("--once");
        // A real project's settings in the environment would send the demo elsewhere.
        psi.Environment.Remove("SUPABASE_URL");
        psi.Environment.Remove("SUPABASE_ANON_KEY");
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(cts.Token);
        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, output);
        Assert.Contains("Both tabs hold the same sessions and messages. Done.", output, StringComparison.Ordinal);
        Assert.Contains("● Live", output, StringComparison.Ordinal);
        Assert.Contains("[offline demo responder]", output, StringComparison.Ordinal);
        Assert.Contains("Interactive mode skipped: --once was given.", output, StringComparison.Ordinal);
        Assert.Contains("Starting the embedded LocalStack", output, StringComparison.Ordinal); // no silent wait
        Assert.DoesNotContain("1 sessions", output, StringComparison.Ordinal);
        Assert.Contains("Replies come from the assistant worker beside the backend", output, StringComparison.Ordinal);
    }
}

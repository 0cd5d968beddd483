using System.Diagnostics;

namespace StrideCampus.AiChat.IntegrationTests.Infrastructure;

/// <summary>Runs a Node.js script from tests/interop (official supabase-js) and returns what it printed.</summary>
public static class NodeScript
{
    private static readonly SemaphoreSlim InstallLock = new(1, 1);
    private static bool _installed;

    public static string InteropDirectory { get; } = FindInteropDirectory();

    public sealed record Result(int ExitCode, string StdOut, string StdErr)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{StdOut}\n--- stderr\n{StdErr}";
    }

    /// <summary>Runs <c>node scriptName</c> with the given environment; installs the pinned packages first if needed.</summary>
    public static async Task<Result> RunAsync(string scriptName, IDictionary<string, string> environment, TimeSpan? timeout = null)
    {
        await EnsureInstalledAsync();
        return await RunProcessAsync("node", [scriptName], environment, timeout ?? TimeSpan.FromSeconds(90));
    }

    private static async Task EnsureInstalledAsync()
    {
        await InstallLock.WaitAsync();
        try
        {
            if (_installed || Directory.Exists(Path.Combine(InteropDirectory, "node_modules", "@supabase", "supabase-js")))
            {
                _installed = true;
                return;
            }
            var result = await RunProcessAsync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], new Dictionary<string, string>(), TimeSpan.FromMinutes(5));
            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException("npm ci failed in tests/interop: " + result);
            }
            _installed = true;
        }
        finally
        {
            InstallLock.Release();
        }
    }

    private static async Task<Result> RunProcessAsync(string fileName, string[] args, IDictionary<string, string> environment, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = InteropDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        foreach (var (k, v) in environment)
        {
            psi.Environment[k] = v;
        }
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return new Result(-1, await stdout, await stderr + $"\n(killed after {timeout.TotalSeconds} s)");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    private static string FindInteropDirectory()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "StrideCampus.AiChat.Client.sln")))
        {
            dir = dir.Parent;
        }
        return dir is null
            ? throw new InvalidOperationException("Cannot find the repository root (StrideCampus.AiChat.Client.sln) above " + AppContext.BaseDirectory)
            : Path.Combine(dir.FullName, "tests", "interop");
    }
}

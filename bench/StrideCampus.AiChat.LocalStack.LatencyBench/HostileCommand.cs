using System.Diagnostics;

namespace StrideCampus.AiChat.LocalStack.LatencyBench;

/// <summary>
/// <c>-- hostile</c>: starts LocalStack as its own process (<c>StrideCampus.AiChat.LocalStack start</c>, built beside
/// this bench), so its resident memory is its own, and runs <see cref="HostileRun"/> with the default load.
/// </summary>
internal static class HostileCommand
{
    public static async Task<int> RunAsync()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "StrideCampus.AiChat.LocalStack.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("start");
        using var process = Process.Start(psi)!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        try
        {
            var settings = new Dictionary<string, string>();
            while (!settings.ContainsKey("JWT_SECRET") && await process.StandardOutput.ReadLineAsync() is { } line)
            {
                var eq = line.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    settings[line[..eq]] = line[(eq + 1)..].Trim('"');
                }
            }
            var load = new HostileRun.Load();
            Console.WriteLine($"LocalStack pid {process.Id}; load: {load}");
            var result = await new HostileRun(HostileRun.Target.FromSettings(settings, process.Id), load, Console.WriteLine).RunAsync();
            Console.WriteLine();
            Console.WriteLine($"{"phase",-8} {"p50 ms",8} {"p99 ms",8} {"max ms",8} {"delivered",11} {"leaked",7} {"RSS peak MiB",13}");
            foreach (var phase in new[] { result.Quiet, result.Hostile })
            {
                Console.WriteLine($"{phase.Name,-8} {phase.P50,8:F2} {phase.P99,8:F2} {phase.Max,8:F2} {phase.Delivered + "/" + phase.Expected,11} {phase.Leaked,7} {phase.RssPeakBytes / 1048576.0,13:F1}");
            }
            Console.WriteLine($"RSS at start {result.RssStartBytes / 1048576.0:F1} MiB, at end {result.RssEndBytes / 1048576.0:F1} MiB; the hostile client held {result.HostileSockets} sockets");
            return 0;
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}

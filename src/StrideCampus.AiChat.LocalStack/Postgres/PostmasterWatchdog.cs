using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace StrideCampus.AiChat.LocalStack.Postgres;

/// <summary>
/// Stops a cluster when the process that owns it dies, even by SIGKILL, when no code of ours runs. PostgreSQL
/// runs detached (pg_ctl starts it in its own session), so it would outlive us; this watchdog is a small shell in
/// its own session too, holding the read end of a pipe whose write end only this process has. When this
/// process dies the kernel closes the pipe, the shell reads end-of-file and stops the server (as the
/// <c>postgres</c> user when we run as root), then deletes a throwaway cluster's directory. A clean dispose
/// writes <c>disarm</c> first, so the watchdog exits and never touches a directory that another process may reuse.
/// </summary>
internal sealed class PostmasterWatchdog : IDisposable
{
    /// <summary>The shell's <c>$0</c>, so the watchdog is recognisable in <c>ps</c> and in tests.</summary>
    internal const string Marker = "stridecampus-pg-watchdog";

    // $1 pg_ctl, $2 data directory, $3 throwaway root ('' for a kept directory), $4 OS user to run pg_ctl as ('' for us).
    private const string Script = """
        exec >/dev/null 2>&1
        if read -r word && [ "$word" = disarm ]; then exit 0; fi
        if [ -f "$2/postmaster.pid" ]; then
          if [ -n "$4" ]; then
            runuser -u "$4" -- "$1" -D "$2" -m fast -w -t 10 stop || runuser -u "$4" -- "$1" -D "$2" -m immediate -w -t 10 stop
          else
            "$1" -D "$2" -m fast -w -t 10 stop || "$1" -D "$2" -m immediate -w -t 10 stop
          fi
        fi
        if [ -n "$3" ]; then rm -rf -- "$3"; fi
        """;

    private readonly Process _process;
    private readonly ILogger _logger;
    private int _disarmed;

    private PostmasterWatchdog(Process process, ILogger logger)
    {
        _process = process;
        _logger = logger;
    }

    /// <summary>The watchdog's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Starts a watchdog for <paramref name="dataDirectory"/>; null when no shell can be started (then nothing watches).</summary>
    public static PostmasterWatchdog? Start(string pgCtl, string dataDirectory, string? throwawayRoot, bool runAsPostgresUser, ILogger logger)
    {
        // setsid: a signal to our process group (Ctrl+C, a test runner's group kill) must not take the watchdog along.
        var setsid = File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : File.Exists("/bin/setsid") ? "/bin/setsid" : null;
        var psi = new ProcessStartInfo(setsid ?? "/bin/sh")
        {
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        if (setsid is not null)
        {
            psi.ArgumentList.Add("/bin/sh");
        }
        foreach (var arg in new[] { "-c", Script, Marker, pgCtl, dataDirectory, throwawayRoot ?? "", runAsPostgresUser ? "postgres" : "" })
        {
            psi.ArgumentList.Add(arg);
        }
        try
        {
            var process = Process.Start(psi);
            return process is null ? null : new PostmasterWatchdog(process, logger);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            logger.LogWarning(ex, "No watchdog for {DataDirectory}: a SIGKILL of this process would leave PostgreSQL running", dataDirectory);
            return null;
        }
    }

    /// <summary>Tells the watchdog that the cluster was stopped cleanly: it exits without touching anything.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disarmed, 1) == 1)
        {
            return;
        }
        try
        {
            _process.StandardInput.WriteLine("disarm");
            _process.StandardInput.Close();
            if (!_process.WaitForExit(TimeSpan.FromSeconds(5)))
            {
                _process.Kill();
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            _logger.LogDebug(ex, "Watchdog already gone");
        }
        finally
        {
            _process.Dispose();
        }
    }
}

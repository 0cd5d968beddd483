using System.Globalization;
using Microsoft.Extensions.Logging;

namespace StrideCampus.AiChat.LocalStack.Postgres;

/// <summary>
/// A kept data directory (<c>--data-dir</c>) after a crash: the LocalStack that used it was killed, and its
/// PostgreSQL may still run (holding the directory, so a new server refuses to start) or may have died too
/// (leaving a stale <c>postmaster.pid</c>, which PostgreSQL itself clears). A LocalStack that still runs is
/// recorded in <c>localstack.owner</c>; its server is never touched.
/// </summary>
internal static class StalePostmaster
{
    internal const string OwnerFile = "localstack.owner";

    /// <summary>Stops the server left running in <paramref name="dataDirectory"/> by a LocalStack that is gone, then records this process as the owner.</summary>
    /// <exception cref="EmbeddedPostgresException">Another LocalStack that is still running uses the directory.</exception>
    public static async Task TakeOverAsync(string dataDirectory, Func<string[], CancellationToken, Task> runPgCtl, ILogger logger, CancellationToken cancellationToken)
    {
        var ownerPath = Path.Combine(dataDirectory, OwnerFile);
        if (File.Exists(ownerPath) && OrphanClusterReaper.OwnerAlive(ownerPath))
        {
            throw new EmbeddedPostgresException(
                $"The data directory {dataDirectory} is in use by another running LocalStack ({File.ReadAllText(ownerPath).Split(' ')[0]}); stop it first or choose another --data-dir.");
        }
        if (LivePostmasterPid(dataDirectory) is { } pid)
        {
            logger.LogWarning("Stopping PostgreSQL {Pid} left running in {DataDirectory} by a LocalStack that is gone", pid, dataDirectory);
            try
            {
                await runPgCtl(["-D", dataDirectory, "-m", "fast", "-w", "-t", "20", "stop"], cancellationToken).ConfigureAwait(false);
            }
            catch (EmbeddedPostgresException ex) when (LivePostmasterPid(dataDirectory) is not null)
            {
                logger.LogWarning(ex, "Fast stop failed; stopping immediately");
                await runPgCtl(["-D", dataDirectory, "-m", "immediate", "-w", "-t", "20", "stop"], cancellationToken).ConfigureAwait(false);
            }
            catch (EmbeddedPostgresException ex)
            {
                logger.LogDebug(ex, "PostgreSQL {Pid} ended by itself meanwhile", pid);
            }
        }
        await WaitForOrphanedBackendsAsync(dataDirectory, logger, cancellationToken).ConfigureAwait(false);
        OrphanClusterReaper.WriteOwnerFile(ownerPath);
    }

    /// <summary>
    /// The backends of a postmaster that was killed outlive it until they notice (a loaded machine may take seconds),
    /// and keep its shared memory attached: PostgreSQL then refuses to start ("pre-existing shared memory block is
    /// still in use"; postgres <c>src/backend/port/sysv_shmem.c</c>). Waits for them, then kills those left: their
    /// postmaster is gone, so nothing they hold is used again.
    /// </summary>
    internal static async Task WaitForOrphanedBackendsAsync(string dataDirectory, ILogger logger, CancellationToken cancellationToken, TimeSpan? patience = null)
    {
        var deadline = DateTime.UtcNow + (patience ?? TimeSpan.FromSeconds(10));
        var killed = false;
        while (OrphanedBackends(dataDirectory) is { Count: > 0 } pids)
        {
            if (killed && DateTime.UtcNow > deadline + TimeSpan.FromSeconds(5))
            {
                logger.LogWarning("{Count} processes of a killed PostgreSQL in {DataDirectory} are still running", pids.Count, dataDirectory);
                return; // PostgreSQL's own start error then says what holds the directory
            }
            if (!killed && DateTime.UtcNow > deadline)
            {
                logger.LogWarning("Killing {Count} processes left by a killed PostgreSQL in {DataDirectory}", pids.Count, dataDirectory);
                foreach (var pid in pids)
                {
                    try
                    {
                        using var process = System.Diagnostics.Process.GetProcessById(pid);
                        process.Kill();
                    }
                    catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
                    {
                        // Gone meanwhile, or not ours to kill: the next look tells.
                    }
                }
                killed = true;
            }
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Running postgres processes whose working directory is <paramref name="dataDirectory"/> (a backend's, once no postmaster owns it).</summary>
    internal static List<int> OrphanedBackends(string dataDirectory)
    {
        var pids = new List<int>();
        if (LivePostmasterPid(dataDirectory) is not null || !Directory.Exists("/proc"))
        {
            return pids; // a running postmaster owns its backends
        }
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dataDirectory));
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            try
            {
                if (!File.ReadAllText(Path.Combine(dir, "comm")).StartsWith("postgres", StringComparison.Ordinal))
                {
                    continue;
                }
                var cwd = new DirectoryInfo(Path.Combine(dir, "cwd")).LinkTarget;
                if (cwd is not null && string.Equals(Path.TrimEndingDirectorySeparator(cwd), full, StringComparison.Ordinal))
                {
                    pids.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Exited meanwhile, or another user's process we may not inspect.
            }
        }
        return pids;
    }

    /// <summary>Removes the owner record on a clean stop.</summary>
    public static void Release(string dataDirectory)
    {
        try
        {
            File.Delete(Path.Combine(dataDirectory, OwnerFile));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The next start checks whether the recorded owner still runs.
        }
    }

    /// <summary>The pid in <c>postmaster.pid</c> when that process is a running postgres; null otherwise.</summary>
    internal static int? LivePostmasterPid(string dataDirectory)
    {
        var pidFile = Path.Combine(dataDirectory, "postmaster.pid");
        try
        {
            var first = File.ReadLines(pidFile).FirstOrDefault();
            return int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 && IsRunningPostgres(pid) ? pid : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Whether <paramref name="pid"/> is a postgres process that runs (not a zombie awaiting its reaper).</summary>
    internal static bool IsRunningPostgres(int pid)
    {
        try
        {
            // /proc/<pid>/stat is "pid (comm) state ...".
            var stat = Path.Combine("/proc", pid.ToString(CultureInfo.InvariantCulture), "stat");
            if (!File.Exists(stat))
            {
                return false;
            }
            var text = File.ReadAllText(stat);
            var open = text.IndexOf('(', StringComparison.Ordinal);
            var close = text.LastIndexOf(')');
            var running = open > 0 && close > open && close + 2 < text.Length && text[close + 2] != 'Z';
            return running && text[(open + 1)..close].StartsWith("postgres", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Waits up to <paramref name="patience"/> for a stopped postmaster to exit, then kills it: <c>pg_ctl stop -w</c>
    /// gives up after its own timeout on a loaded machine, and a directory must not be removed under a running server.
    /// </summary>
    internal static async Task EnsureExitedAsync(int pid, ILogger logger, TimeSpan patience, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + patience;
        while (IsRunningPostgres(pid))
        {
            if (DateTime.UtcNow > deadline)
            {
                logger.LogWarning("PostgreSQL {Pid} did not stop in time; killing it", pid);
                try
                {
                    using var process = System.Diagnostics.Process.GetProcessById(pid);
                    process.Kill();
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
                {
                    // Gone meanwhile.
                }
                deadline = DateTime.MaxValue; // killed: wait for the kernel, without killing again
            }
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }
}

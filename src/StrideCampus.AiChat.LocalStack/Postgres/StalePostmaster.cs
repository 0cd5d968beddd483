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
        OrphanClusterReaper.WriteOwnerFile(ownerPath);
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
            if (!int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0)
            {
                return null;
            }
            // /proc/<pid>/stat is "pid (comm) state ...": a postgres that is running, not a zombie awaiting its reaper.
            var stat = Path.Combine("/proc", pid.ToString(CultureInfo.InvariantCulture), "stat");
            if (!File.Exists(stat))
            {
                return null;
            }
            var text = File.ReadAllText(stat);
            var open = text.IndexOf('(', StringComparison.Ordinal);
            var close = text.LastIndexOf(')');
            var running = open > 0 && close > open && close + 2 < text.Length && text[close + 2] != 'Z';
            return running && text[(open + 1)..close].StartsWith("postgres", StringComparison.Ordinal) ? pid : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

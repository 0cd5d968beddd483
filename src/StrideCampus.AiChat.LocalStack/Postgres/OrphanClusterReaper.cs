using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace StrideCampus.AiChat.LocalStack.Postgres;

/// <summary>
/// Throwaway clusters record the process that owns them. A host killed before it could dispose
/// (a test run stopped by a timeout, say) leaves its server running; the next start stops such
/// servers and removes their directories, so orphans never pile up.
/// </summary>
internal static class OrphanClusterReaper
{
    internal const string Prefix = "stridecampus-pg-";
    private const string OwnerFile = "owner";

    public static void WriteOwner(string throwawayRoot) => WriteOwnerFile(Path.Combine(throwawayRoot, OwnerFile));

    /// <summary>Records this process (id and start time, so a recycled id is told apart) as the owner in <paramref name="path"/>.</summary>
    internal static void WriteOwnerFile(string path)
    {
        using var self = Process.GetCurrentProcess();
        File.WriteAllText(path,
            string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId} {self.StartTime.ToUniversalTime().Ticks}"));
    }

    /// <summary>Stops and removes every throwaway cluster under the temp directory whose owner is gone.</summary>
    /// <returns>How many were reaped.</returns>
    public static async Task<int> ReapAsync(Func<string[], CancellationToken, Task> runPgCtl, ILogger logger, CancellationToken cancellationToken)
    {
        // One reap at a time, across processes: stacks started together find the same orphan, and one that saw another
        // stopping it (its postmaster.pid already gone) returned while that server still ran.
        await using var turn = await WaitForTurnAsync(cancellationToken).ConfigureAwait(false); // null: disposes nothing
        var reaped = 0;
        foreach (var root in Directory.EnumerateDirectories(Path.GetTempPath(), Prefix + "*"))
        {
            var ownerPath = Path.Combine(root, OwnerFile);
            if (!File.Exists(ownerPath) || OwnerAlive(ownerPath))
            {
                continue; // Still being created, or in use.
            }
            var data = Path.Combine(root, "data");
            var postmaster = StalePostmaster.LivePostmasterPid(data);
            try
            {
                if (File.Exists(Path.Combine(data, "postmaster.pid")))
                {
                    await runPgCtl(["-D", data, "-m", "immediate", "-w", "-t", "10", "stop"], cancellationToken).ConfigureAwait(false);
                }
            }
            catch (EmbeddedPostgresException ex)
            {
                // Already stopped (stale postmaster.pid), or pg_ctl's wait ran out on a loaded machine: checked below.
                logger.LogDebug(ex, "pg_ctl stop of orphan {Directory} failed", root);
            }
            if (postmaster is { } pid)
            {
                await StalePostmaster.EnsureExitedAsync(pid, logger, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
            }
            await StalePostmaster.WaitForOrphanedBackendsAsync(data, logger, cancellationToken, TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            try
            {
                Directory.Delete(root, recursive: true);
                reaped++;
                logger.LogInformation("Removed orphaned PostgreSQL cluster {Directory}", root);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning(ex, "Could not remove orphaned cluster {Directory}", root);
            }
        }
        return reaped;
    }

    /// <summary>
    /// Holds the reap lock file open with no sharing (an advisory lock on Unix, released by the kernel if this process
    /// dies), waiting while another start holds it. Null when the file belongs to another user: this user cannot reap
    /// that user's clusters anyway, so it reaps its own without the lock, as before there was one.
    /// </summary>
    private static async Task<FileStream?> WaitForTurnAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(Path.GetTempPath(), "stridecampus-reap.lock");
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (UnauthorizedAccessException)
            {
                return null;
            }
            catch (IOException)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Whether the process recorded in <paramref name="ownerPath"/> still runs (true when unreadable).</summary>
    internal static bool OwnerAlive(string ownerPath)
    {
        try
        {
            var parts = File.ReadAllText(ownerPath).Split(' ');
            var pid = int.Parse(parts[0], CultureInfo.InvariantCulture);
            var startTicks = long.Parse(parts[1], CultureInfo.InvariantCulture);
            using var owner = Process.GetProcessById(pid);
            // A recycled pid belongs to a process that started later than the recorded owner.
            return Math.Abs(owner.StartTime.ToUniversalTime().Ticks - startTicks) < TimeSpan.TicksPerSecond;
        }
        catch (ArgumentException)
        {
            return false; // No such process.
        }
        catch (Exception ex) when (ex is FormatException or IndexOutOfRangeException or IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            return true; // Unreadable: leave it alone rather than remove something in use.
        }
    }
}

using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using StrideCampus.AiChat.LocalStack.Postgres;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// Decides which subscribers may see a changed row. For each distinct principal (role and user) it runs, after
/// <c>set_config('request.jwt.claims', ...)</c> and <c>set_config('role', ...)</c> on a pooled
/// connection of the <c>authenticator</c> role, Supabase's check of the current table by primary key:
/// <c>select exists(select 1 from table where pk = ...)</c> (supabase/realtime
/// <c>priv/repo/tenant_schema/realtime/functions/build_prepared_statement_sql.sql</c>, run by
/// <c>apply_rls.sql</c> as the subscriber when the change is polled), so a row deleted or changed since the
/// change is judged as it is now. With <paramref name="checkWalRow"/> (not Supabase's behaviour) it applies the
/// table's SELECT policies to the row as the WAL carries it instead (<see cref="RelationInfo.RowVisibilitySql"/>),
/// falling back to the primary-key check where that is not possible (an unchanged TOAST value, a policy the
/// rewrite cannot evaluate). All principals of one change go in one batch (one round trip, one implicit
/// transaction, so settings never leak).
/// <para>
/// The walsender streams a commit once its WAL is flushed, a moment before the committing backend makes the
/// transaction visible to new snapshots: a primary-key check in that moment would miss a new row. So a batch first
/// asks whether the change's transaction is visible to a fresh snapshot and, while it is not, waits and asks again
/// (the batch's later statements take later snapshots, so they see it too).
/// </para>
/// </summary>
internal sealed class ChangeAuthorizer(NpgsqlDataSource authenticator, ILogger logger, bool checkWalRow = false)
{
    /// <summary>
    /// Whether a 32-bit transaction id (<c>$1</c>) is visible to a fresh snapshot: the full 64-bit id is the snapshot's
    /// xmax plus the signed 32-bit distance from xmax's low half to the id (wraparound-safe, as PostgreSQL compares xids).
    /// </summary>
    internal const string TransactionVisibleSql = """
        select pg_visible_in_snapshot((x + ($1 - x % 4294967296 + 6442450944) % 4294967296 - 2147483648)::text::xid8, s)
        from (select s, pg_snapshot_xmax(s)::text::bigint as x from pg_current_snapshot() s) t
        """;

    /// <summary>How long a check waits for the change's transaction to become visible before judging the table as it is.</summary>
    private static readonly TimeSpan VisibleWait = TimeSpan.FromSeconds(2);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<RelationInfo, bool> _rowCheckFailed = new();
    private long _checks;

    /// <summary>Principals checked so far (one per distinct principal of each change), for tests and the benchmark.</summary>
    internal long Checks => Interlocked.Read(ref _checks);

    /// <summary>Returns, for each principal, whether the row is visible to it.</summary>
    /// <param name="relation">The changed table.</param>
    /// <param name="row">The row as the WAL carries it.</param>
    /// <param name="xid">The change's transaction (0 when unknown: not waited for).</param>
    /// <param name="principals">Role and claims of each distinct subscriber.</param>
    /// <param name="cancellationToken">Ends the check.</param>
    public async Task<bool[]> AuthorizeAsync(RelationInfo relation, string?[] row, uint xid, IReadOnlyList<(string Role, string Claims)> principals, CancellationToken cancellationToken)
    {
        var visible = new bool[principals.Count];
        if (principals.Count == 0)
        {
            return visible;
        }
        var byRow = checkWalRow && relation.RowVisibilitySql is not null && !_rowCheckFailed.ContainsKey(relation) && !row.Any(v => ReferenceEquals(v, RowChange.Unchanged));
        if (!byRow && relation.VisibilitySql is null)
        {
            return visible;
        }
        Interlocked.Add(ref _checks, principals.Count);
        try
        {
            // The row check reads the WAL's values, not the table: it needs no wait.
            var waitXid = byRow ? 0u : xid;
            var waitUntil = DateTime.UtcNow + VisibleWait;
            // A pooled connection broke (e.g. PostgreSQL restarted): drop the pool and try once more.
            while (!await BrokenConnectionRetry.RunAsync(authenticator, ct => RunChunkedAsync(relation, row, waitXid, principals, visible, ct, byRow), cancellationToken,
                ex => logger.LogWarning("Visibility check connection failed ({Error}); retrying on a new connection", ex.Message)).ConfigureAwait(false))
            {
                if (DateTime.UtcNow > waitUntil)
                {
                    logger.LogWarning("Transaction {Xid} still not visible after {Wait}; its change on {Table} is judged as the table is now", xid, VisibleWait, relation.Table);
                    waitXid = 0;
                }
                await Task.Delay(1, cancellationToken).ConfigureAwait(false);
            }
            return visible;
        }
        catch (PostgresException ex)
        {
            logger.LogDebug(ex, "Batched visibility check failed; checking each subscriber alone");
        }
        // One bad principal (e.g. an unknown role) fails a whole batch: check one by one.
        for (var i = 0; i < principals.Count; i++)
        {
            var rowMode = byRow && !_rowCheckFailed.ContainsKey(relation);
            try
            {
                await RunAsync(relation, row, principals, i, 1, visible, cancellationToken, rowMode).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState is "22023" or "42704" or "42501")
            {
                logger.LogWarning("Visibility check as role {Role} failed: {Error}", principals[i].Role, ex.MessageText);
            }
            catch (PostgresException ex) when (rowMode && relation.VisibilitySql is not null)
            {
                // A policy the row rewrite cannot evaluate (e.g. one using system columns): check the table from now on.
                _rowCheckFailed.TryAdd(relation, true);
                logger.LogWarning("Row visibility check on {Table} failed ({Error}); using the primary key check", relation.Table, ex.MessageText);
                i--;
            }
            catch (PostgresException ex)
            {
                logger.LogWarning("Visibility check on {Table} as role {Role} failed: {Error}", relation.Table, principals[i].Role, ex.MessageText);
            }
        }
        return visible;
    }

    /// <summary>Many principals are split over a few pooled connections checked in parallel (one batch each).</summary>
    /// <returns>False when the change's transaction was not visible yet to some batch (then nothing is final).</returns>
    private async Task<bool> RunChunkedAsync(RelationInfo relation, string?[] row, uint xid, IReadOnlyList<(string Role, string Claims)> principals, bool[] visible, CancellationToken cancellationToken, bool byRow)
    {
        const int MinChunk = 32;
        var parallel = Math.Min(Math.Max(2, Environment.ProcessorCount), principals.Count / MinChunk);
        if (parallel <= 1)
        {
            return await RunAsync(relation, row, principals, 0, principals.Count, visible, cancellationToken, byRow, xid).ConfigureAwait(false);
        }
        var size = (principals.Count + parallel - 1) / parallel;
        var tasks = new List<Task<bool>>(parallel);
        for (var start = 0; start < principals.Count; start += size)
        {
            tasks.Add(RunAsync(relation, row, principals, start, Math.Min(size, principals.Count - start), visible, cancellationToken, byRow, xid));
        }
        return (await Task.WhenAll(tasks).ConfigureAwait(false)).All(ok => ok);
    }

    private async Task<bool> RunAsync(RelationInfo relation, string?[] row, IReadOnlyList<(string Role, string Claims)> principals, int start, int count, bool[] visible, CancellationToken cancellationToken, bool byRow = false, uint xid = 0)
    {
        await using var conn = await authenticator.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(conn);
        if (xid != 0)
        {
            var seen = new NpgsqlBatchCommand(TransactionVisibleSql);
            seen.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = (long)xid });
            batch.BatchCommands.Add(seen);
        }
        for (var i = start; i < start + count; i++)
        {
            batch.BatchCommands.Add(RequestSettings.Command(principals[i].Claims, principals[i].Role));
            var check = new NpgsqlBatchCommand(byRow ? relation.RowVisibilitySql! : relation.VisibilitySql!);
            IEnumerable<int> columns = byRow ? Enumerable.Range(0, relation.Columns.Count) : relation.PrimaryKey;
            foreach (var column in columns)
            {
                check.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = column < row.Length ? (object?)row[column] ?? DBNull.Value : DBNull.Value });
            }
            batch.BatchCommands.Add(check);
        }
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (xid != 0)
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (!reader.GetBoolean(0))
            {
                return false;
            }
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        }
        for (var i = start; i < start + count; i++)
        {
            // set_config row, then the exists row
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            visible[i] = reader.GetBoolean(0);
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        }
        return true;
    }
}

using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using StrideCampus.AiChat.LocalStack.Postgres;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// Decides which subscribers may see a changed row. For each distinct (role, claims) it runs, after
/// <c>set_config('request.jwt.claims', ...)</c> and <c>set_config('role', ...)</c> on a pooled
/// connection of the <c>authenticator</c> role, the table's SELECT policies against the row as
/// the WAL carries it (<see cref="RelationInfo.RowVisibilitySql"/>), so the answer is as of the
/// change even when the row has changed again or is gone. When that is not possible (an unchanged
/// TOAST value, a policy the rewrite cannot evaluate) it falls back to walrus's check of the
/// current table: <c>select exists(select 1 from table where pk = ...)</c>. All principals of one
/// change go in one batch (one round trip, one implicit transaction, so settings never leak).
/// </summary>
internal sealed class ChangeAuthorizer(NpgsqlDataSource authenticator, ILogger logger)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<RelationInfo, bool> _rowCheckFailed = new();

    /// <summary>Returns, for each principal, whether the row is visible to it.</summary>
    public async Task<bool[]> AuthorizeAsync(RelationInfo relation, string?[] row, IReadOnlyList<(string Role, string Claims)> principals, CancellationToken cancellationToken)
    {
        var visible = new bool[principals.Count];
        if (principals.Count == 0)
        {
            return visible;
        }
        var byRow = relation.RowVisibilitySql is not null && !_rowCheckFailed.ContainsKey(relation) && !row.Any(v => ReferenceEquals(v, RowChange.Unchanged));
        if (!byRow && relation.VisibilitySql is null)
        {
            return visible;
        }
        try
        {
            // A pooled connection broke (e.g. PostgreSQL restarted): drop the pool and try once more.
            await BrokenConnectionRetry.RunAsync(authenticator, ct => RunChunkedAsync(relation, row, principals, visible, ct, byRow), cancellationToken,
                ex => logger.LogWarning("Visibility check connection failed ({Error}); retrying on a new connection", ex.Message)).ConfigureAwait(false);
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
    private Task RunChunkedAsync(RelationInfo relation, string?[] row, IReadOnlyList<(string Role, string Claims)> principals, bool[] visible, CancellationToken cancellationToken, bool byRow)
    {
        const int MinChunk = 32;
        var parallel = Math.Min(Math.Max(2, Environment.ProcessorCount), principals.Count / MinChunk);
        if (parallel <= 1)
        {
            return RunAsync(relation, row, principals, 0, principals.Count, visible, cancellationToken, byRow);
        }
        var size = (principals.Count + parallel - 1) / parallel;
        var tasks = new List<Task>(parallel);
        for (var start = 0; start < principals.Count; start += size)
        {
            tasks.Add(RunAsync(relation, row, principals, start, Math.Min(size, principals.Count - start), visible, cancellationToken, byRow));
        }
        return Task.WhenAll(tasks);
    }

    private async Task RunAsync(RelationInfo relation, string?[] row, IReadOnlyList<(string Role, string Claims)> principals, int start, int count, bool[] visible, CancellationToken cancellationToken, bool byRow = false)
    {
        await using var conn = await authenticator.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(conn);
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
        for (var i = start; i < start + count; i++)
        {
            // set_config row, then the exists row
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            visible[i] = reader.GetBoolean(0);
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}

using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// Decides which subscribers may see a changed row, as Supabase's walrus does: for each distinct
/// (role, claims) it runs <c>select exists(select 1 from table where pk = ...)</c> after
/// <c>set_config('request.jwt.claims', ...)</c> and <c>set_config('role', ...)</c>, on a pooled
/// connection of the <c>authenticator</c> role. All principals of one change go in one batch (one
/// round trip, one implicit transaction, so the local settings never leak).
/// </summary>
internal sealed class ChangeAuthorizer(NpgsqlDataSource authenticator, ILogger logger)
{
    private const string SetClaimsSql = "select set_config('request.jwt.claims', $1, true), set_config('role', $2, true)";

    /// <summary>
    /// Returns, for each principal, whether the row with the given key is visible to it. Logical decoding
    /// can deliver a commit a moment before the transaction is visible to new snapshots, so the batch
    /// first checks the row as <c>service_role</c> (which bypasses RLS): when even it cannot see the row,
    /// the transaction is not visible yet and the check is repeated after a short wait instead of the
    /// change being dropped. Statements of the batch run in order with fresh snapshots, so once the
    /// probe sees the row, the principals' checks after it see it too.
    /// </summary>
    public async Task<bool[]> AuthorizeAsync(RelationInfo relation, string?[] row, IReadOnlyList<(string Role, string Claims)> principals, CancellationToken cancellationToken)
    {
        if (principals.Count == 0 || relation.VisibilitySql is null)
        {
            return new bool[principals.Count];
        }

        var probed = new List<(string Role, string Claims)>(principals.Count + 1) { ("service_role", "{}") };
        probed.AddRange(principals);
        for (var attempt = 1; ; attempt++)
        {
            var visible = await AuthorizeOnceAsync(relation, row, probed, cancellationToken).ConfigureAwait(false);
            if (visible[0] || attempt >= 8)
            {
                return visible[1..];
            }

            await Task.Delay(attempt * 2, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<bool[]> AuthorizeOnceAsync(RelationInfo relation, string?[] row, IReadOnlyList<(string Role, string Claims)> principals, CancellationToken cancellationToken)
    {
        var visible = new bool[principals.Count];
        if (principals.Count == 0 || relation.VisibilitySql is null)
        {
            return visible;
        }
        try
        {
            await RunAsync(relation, row, principals, 0, principals.Count, visible, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (principals.Count > 1)
        {
            // One bad principal (e.g. an unknown role) fails the whole batch: check one by one.
            logger.LogDebug(ex, "Batched visibility check failed; checking each subscriber alone");
            for (var i = 0; i < principals.Count; i++)
            {
                try
                {
                    await RunAsync(relation, row, principals, i, 1, visible, cancellationToken).ConfigureAwait(false);
                }
                catch (PostgresException single)
                {
                    logger.LogWarning("Visibility check as role {Role} failed: {Error}", principals[i].Role, single.MessageText);
                }
            }
        }
        catch (PostgresException ex)
        {
            logger.LogWarning("Visibility check as role {Role} failed: {Error}", principals[0].Role, ex.MessageText);
        }
        return visible;
    }

    private async Task RunAsync(RelationInfo relation, string?[] row, IReadOnlyList<(string Role, string Claims)> principals, int start, int count, bool[] visible, CancellationToken cancellationToken)
    {
        await using var conn = await authenticator.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(conn);
        for (var i = start; i < start + count; i++)
        {
            var set = new NpgsqlBatchCommand(SetClaimsSql);
            set.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = principals[i].Claims });
            set.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = principals[i].Role });
            batch.BatchCommands.Add(set);
            var check = new NpgsqlBatchCommand(relation.VisibilitySql!);
            foreach (var column in relation.PrimaryKey)
            {
                check.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)row[column] ?? DBNull.Value });
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

using Npgsql;
using NpgsqlTypes;
using StrideCampus.AiChat.LocalStack.Postgres;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// Realtime Authorization for private channels: asks the RLS policies on <c>realtime.messages</c>
/// what a user may do on a topic, the way Supabase Realtime does. Each check runs in a transaction
/// that is always rolled back, with <c>role</c>, <c>realtime.topic</c>, <c>request.jwt.claims</c>
/// (and <c>request.jwt.claim.sub/role</c>, <c>request.headers</c>) set locally. Read: probe rows,
/// one per extension, are inserted as the owner, then selected as the user; a row the user sees is
/// a read permission. Write: the user inserts a row per extension (in a savepoint); an insert RLS
/// refuses (42501) is a missing write permission. The connection is the superuser's, standing in
/// for Supabase's <c>supabase_realtime_admin</c> that owns the table.
/// </summary>
internal sealed class TopicAuthorizer(NpgsqlDataSource owner)
{
    private const string Broadcast = "broadcast";
    private const string Presence = "presence";

    /// <summary>
    /// Read permissions of <paramref name="topic"/> (the channel name, without <c>realtime:</c>): broadcast always,
    /// presence only when <paramref name="presenceEnabled"/> (otherwise left unchecked, as Supabase does).
    /// </summary>
    /// <exception cref="PostgresException">A policy failed, or the role does not exist.</exception>
    public Task<ChannelPolicies> ReadAsync(ChannelPolicies policies, string topic, TokenCheck user, string headersJson, bool presenceEnabled, CancellationToken cancellationToken) =>
        BrokenConnectionRetry.RunAsync(owner, ct => ReadOnceAsync(policies, topic, user, headersJson, presenceEnabled, ct), cancellationToken);

    /// <summary>Write permissions of <paramref name="topic"/> for broadcast and presence (both are checked at once).</summary>
    /// <exception cref="PostgresException">A policy failed (other than refusing the insert), or the role does not exist.</exception>
    public Task<ChannelPolicies> WriteAsync(ChannelPolicies policies, string topic, TokenCheck user, string headersJson, CancellationToken cancellationToken) =>
        BrokenConnectionRetry.RunAsync(owner, ct => WriteOnceAsync(policies, topic, user, headersJson, ct), cancellationToken);

    private async Task<ChannelPolicies> ReadOnceAsync(ChannelPolicies policies, string topic, TokenCheck user, string headersJson, bool presenceEnabled, CancellationToken cancellationToken)
    {
        // One probe row per checked extension: ids[0] is broadcast's, ids[1] (when enabled) presence's.
        Guid[] ids = presenceEnabled ? [Guid.NewGuid(), Guid.NewGuid()] : [Guid.NewGuid()];
        await using var conn = await owner.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(conn, transaction);
        // The probe rows go in as the owner: RLS does not apply to it, so the select alone is judged.
        var insert = new NpgsqlBatchCommand("insert into realtime.messages (id, topic, extension) select unnest($1::uuid[]), $2, unnest($3::text[])");
        insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid, Value = ids });
        insert.Parameters.Add(Text(topic));
        insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = presenceEnabled ? new[] { Broadcast, Presence } : new[] { Broadcast } });
        batch.BatchCommands.Add(insert);
        batch.BatchCommands.Add(Settings(topic, user, headersJson));
        var select = new NpgsqlBatchCommand("select id from realtime.messages where id = any($1)");
        select.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid, Value = ids });
        batch.BatchCommands.Add(select);

        var visible = new HashSet<Guid>();
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            // The insert returns no result set: the reader starts at set_config's row, then the select's.
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                visible.Add(reader.GetGuid(0));
            }
        }
        await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
        return policies with
        {
            BroadcastRead = visible.Contains(ids[0]),
            PresenceRead = presenceEnabled ? visible.Contains(ids[1]) : policies.PresenceRead,
        };
    }

    private async Task<ChannelPolicies> WriteOnceAsync(ChannelPolicies policies, string topic, TokenCheck user, string headersJson, CancellationToken cancellationToken)
    {
        await using var conn = await owner.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var batch = new NpgsqlBatch(conn, transaction))
        {
            batch.BatchCommands.Add(Settings(topic, user, headersJson));
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        var broadcast = await TryInsertAsync(conn, transaction, topic, Broadcast, cancellationToken).ConfigureAwait(false);
        var presence = await TryInsertAsync(conn, transaction, topic, Presence, cancellationToken).ConfigureAwait(false);
        await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
        return policies with { BroadcastWrite = broadcast, PresenceWrite = presence };
    }

    private static async Task<bool> TryInsertAsync(NpgsqlConnection conn, NpgsqlTransaction transaction, string topic, string extension, CancellationToken cancellationToken)
    {
        await transaction.SaveAsync("realtime_write_check", cancellationToken).ConfigureAwait(false);
        // No RETURNING: only the insert policies (WITH CHECK) are judged, not the select ones.
        await using var insert = new NpgsqlCommand("insert into realtime.messages (topic, extension) values ($1, $2)", conn, transaction);
        insert.Parameters.Add(Text(topic));
        insert.Parameters.Add(Text(extension));
        try
        {
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.ReleaseAsync("realtime_write_check", cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            await transaction.RollbackAsync("realtime_write_check", cancellationToken).ConfigureAwait(false);
            return false;
        }
    }

    private static NpgsqlBatchCommand Settings(string topic, TokenCheck user, string headersJson) =>
        RequestSettings.TopicCommand(user.ClaimsJson ?? "{}", user.Role ?? "", topic, headersJson);

    private static NpgsqlParameter Text(string value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = value };
}

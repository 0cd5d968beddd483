using System.Globalization;
using StrideCampus.AiChat.Client.Rest;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>Keyset pages and the resync reads (issue 16): what a store needs to open at any history size and to catch up.</summary>
internal sealed partial class PostgrestChatDataSource
{
    public async Task<long> GetSyncPointAsync(CancellationToken cancellationToken) =>
        await _rest.RpcAsync(SyncPointFunction, null, ChatJsonContext.Default.Int64, cancellationToken).ConfigureAwait(false);

    public Task<IReadOnlyList<ChatSession>> LoadSessionPageAsync(ChatPageKey? before, int limit, CancellationToken cancellationToken) =>
        NewestFirst(Sessions.Eq("user_id", _userId), before, limit).GetAsync(cancellationToken);

    public async Task<ChatSession?> LoadActiveSessionAsync(CancellationToken cancellationToken)
    {
        var rows = await Sessions.Eq("user_id", _userId).Eq("is_active", "true").Limit(1).GetAsync(cancellationToken).ConfigureAwait(false);
        return rows.Count > 0 ? rows[0] : null;
    }

    public Task<IReadOnlyList<ChatMessage>> LoadMessagePageAsync(Guid sessionId, ChatPageKey? before, int limit, CancellationToken cancellationToken) =>
        NewestFirst(Messages.Eq("session_id", Format(sessionId)), before, limit).GetAsync(cancellationToken);

    /// <summary>
    /// Deletions first, then rows: a row read after its deletion was read exists again (an upsert of the same id),
    /// and a deletion committed between the two reads comes with the next resync (its transaction is at or above the
    /// next sync point). Each read is paged past "Max rows" by id.
    /// </summary>
    public async Task<ChatChangesSince> LoadChangesSinceAsync(long syncPoint, CancellationToken cancellationToken)
    {
        var since = syncPoint.ToString(CultureInfo.InvariantCulture);
        var deletions = await GetAllAsync(
            _rest.From(DeletionsTable, ChatJsonContext.Default.ChatDeletion).Select("id,table_name,row_id,session_id").Eq("user_id", _userId).Gte(SyncColumn, since),
            static d => d.Id.ToString(CultureInfo.InvariantCulture),
            cancellationToken).ConfigureAwait(false);
        var sessions = await GetAllAsync(Sessions.Eq("user_id", _userId).Gte(SyncColumn, since), static s => s.Id, cancellationToken).ConfigureAwait(false);
        var messages = await GetAllAsync(Messages.Eq("user_id", _userId).Gte(SyncColumn, since), static m => m.Id, cancellationToken).ConfigureAwait(false);
        return new ChatChangesSince(sessions, messages, deletions);
    }

    /// <summary>Newest first by (created_at, id), older than <paramref name="before"/>, one row more than asked (it tells that there is more).</summary>
    private static PostgrestQuery<T> NewestFirst<T>(PostgrestQuery<T> query, ChatPageKey? before, int limit)
    {
        if (before is { } key)
        {
            query = query.Or(key.OlderThanExpression());
        }

        return query.Order("created_at", ascending: false).Order("id", ascending: false).Limit(limit + 1);
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using StrideCampus.AiChat.Client.Rest;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>The chat tables through PostgREST (RLS decides what the signed-in user may see and change).</summary>
internal sealed partial class PostgrestChatDataSource : IChatDataSource, IReplyRequestSource
{
    internal const string SessionsTable = "ai_chat_sessions";
    internal const string MessagesTable = "ai_chat_messages";
    internal const string DeletionsTable = "ai_chat_deletions";
    internal const string SyncPointFunction = "ai_chat_sync_point";
    internal const string SyncColumn = "sync_xid";
    internal const string SetActiveSessionFunction = "ai_chat_set_active_session";
    internal const string RequestReplyFunction = "ai_chat_request_reply";
    internal const string StopReplyFunction = "ai_chat_stop_reply";
    internal const string RegenerateReplyFunction = "ai_chat_regenerate_reply";

    private readonly PostgrestClient _rest;
    private readonly string _userId;

    public PostgrestChatDataSource(PostgrestClient rest, Guid userId)
    {
        ArgumentNullException.ThrowIfNull(rest);
        _rest = rest;
        _userId = userId.ToString();
    }

    private PostgrestQuery<ChatSession> Sessions => _rest.From(SessionsTable, ChatJsonContext.Default.ChatSession);

    private PostgrestQuery<ChatMessage> Messages => _rest.From(MessagesTable, ChatJsonContext.Default.ChatMessage);

    /// <summary>
    /// Every session of the user with every message, each table read on its own and paged. Never an embed
    /// (<c>select=*,ai_chat_messages(*)</c>): PostgREST caps embedded rows at "Max rows" too, with no sign of it
    /// (PostgREST/postgrest <c>test/spec/Feature/Query/QueryLimitedSpec.hs</c>, "works on all levels"), and the store
    /// takes what a load returns as the whole session.
    /// </summary>
    public async Task<IReadOnlyList<ChatSessionRow>> LoadSessionsWithMessagesAsync(CancellationToken cancellationToken)
    {
        // Messages first: one committed after this read arrives by realtime (or the next reconcile); one whose session
        // the sessions read below no longer finds is dropped with it.
        var messages = await GetAllAsync(Messages.Eq("user_id", _userId), static m => m.Id, cancellationToken).ConfigureAwait(false);
        var sessions = await LoadSessionsAsync(cancellationToken).ConfigureAwait(false);
        var bySession = new Dictionary<Guid, List<ChatMessage>>(sessions.Count);
        foreach (var session in sessions)
        {
            bySession[session.Id] = [];
        }

        foreach (var message in messages)
        {
            if (bySession.TryGetValue(message.SessionId, out var list))
            {
                list.Add(message);
            }
        }

        return [.. sessions.Select(s => new ChatSessionRow(s.Id, s.UserId, s.Title, s.IsActive, s.CreatedAt, s.UpdatedAt, bySession[s.Id]))];
    }

    public Task<IReadOnlyList<ChatSession>> LoadSessionsAsync(CancellationToken cancellationToken) =>
        GetAllAsync(Sessions.Eq("user_id", _userId), static s => s.Id, cancellationToken);

    public async Task<IReadOnlyList<Guid>> LoadMessageIdsAsync(Guid? sessionId, CancellationToken cancellationToken)
    {
        var query = _rest.From(MessagesTable, ChatJsonContext.Default.ChatRowId).Select("id");
        query = sessionId is { } sid ? query.Eq("session_id", Format(sid)) : query.Eq("user_id", _userId);
        var rows = await GetAllAsync(query, static r => r.Id, cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(r => r.Id)];
    }

    public Task<IReadOnlyList<ChatMessage>> LoadMessagesAsync(Guid sessionId, CancellationToken cancellationToken) =>
        GetAllAsync(Messages.Eq("session_id", Format(sessionId)), static m => m.Id, cancellationToken);

    public async Task<ChatSession> UpsertSessionAsync(ChatSession session, CancellationToken cancellationToken)
    {
        var rows = await Sessions
            .UpsertAsync([session with { CreatedAt = default, UpdatedAt = default }], onConflict: "id", cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return Single(rows, "session insert");
    }

    public async Task<ChatSession?> UpdateSessionAsync(Guid sessionId, JsonObject patch, CancellationToken cancellationToken)
    {
        var rows = await Sessions.Eq("id", Format(sessionId)).UpdateAsync(patch, cancellationToken).ConfigureAwait(false);
        return rows.Count > 0 ? rows[0] : null;
    }

    public Task DeleteSessionAsync(Guid sessionId, CancellationToken cancellationToken) =>
        Sessions.Eq("id", Format(sessionId)).DeleteAsync(cancellationToken);

    public Task DeleteAllSessionsAsync(Guid userId, CancellationToken cancellationToken) =>
        Sessions.Eq("user_id", Format(userId)).DeleteAsync(cancellationToken);

    public async Task<ChatMessage> UpsertMessageAsync(ChatMessage message, CancellationToken cancellationToken)
    {
        // created_at and updated_at are left to the database, so every client orders by the server's clock.
        var rows = await Messages
            .UpsertAsync([message with { CreatedAt = default, UpdatedAt = default }], onConflict: "id", cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return Single(rows, "message insert");
    }

    public async Task<ChatMessage?> UpdateMessageAsync(Guid messageId, JsonObject patch, CancellationToken cancellationToken)
    {
        var rows = await Messages.Eq("id", Format(messageId)).UpdateAsync(patch, cancellationToken).ConfigureAwait(false);
        return rows.Count > 0 ? rows[0] : null;
    }

    public Task DeleteMessageAsync(Guid messageId, CancellationToken cancellationToken) =>
        Messages.Eq("id", Format(messageId)).DeleteAsync(cancellationToken);

    public async Task<IReadOnlyList<ChatSession>> SetActiveSessionAsync(Guid? sessionId, CancellationToken cancellationToken)
    {
        var args = new JsonObject { ["p_session_id"] = sessionId is { } id ? Format(id) : null };
        var rows = await _rest.RpcAsync(SetActiveSessionFunction, args, ChatJsonContext.Default.IReadOnlyListChatSession, cancellationToken)
            .ConfigureAwait(false);
        return rows ?? [];
    }

    public Task<ChatMessage> RequestReplyAsync(Guid sessionId, Guid messageId, CancellationToken cancellationToken) =>
        ReplyRpcAsync(RequestReplyFunction, new JsonObject { ["p_session_id"] = Format(sessionId), ["p_message_id"] = Format(messageId) }, cancellationToken);

    public Task<ChatMessage> StopReplyAsync(Guid messageId, CancellationToken cancellationToken) =>
        ReplyRpcAsync(StopReplyFunction, new JsonObject { ["p_message_id"] = Format(messageId) }, cancellationToken);

    public Task<ChatMessage> RegenerateReplyAsync(Guid sessionId, Guid messageId, CancellationToken cancellationToken) =>
        ReplyRpcAsync(RegenerateReplyFunction, new JsonObject { ["p_session_id"] = Format(sessionId), ["p_message_id"] = Format(messageId) }, cancellationToken);

    private async Task<ChatMessage> ReplyRpcAsync(string function, JsonObject args, CancellationToken cancellationToken)
    {
        var rows = await _rest.RpcAsync(function, args, ChatJsonContext.Default.IReadOnlyListChatMessage, cancellationToken).ConfigureAwait(false);
        return Single(rows ?? [], function);
    }

    /// <summary>
    /// Reads every row of <paramref name="query"/>, ordered by <c>id</c> (the store sorts by itself). Supabase answers
    /// a read with at most the project's "Max rows" (PostgREST <c>db-max-rows</c>, 1000 by default) and no error, so
    /// the first page asks for the exact count, and further pages continue after the last id read (keyset paging:
    /// rows changed, added or removed meanwhile cannot shift a row out of the result) until it is reached.
    /// </summary>
    private static Task<IReadOnlyList<T>> GetAllAsync<T>(PostgrestQuery<T> query, Func<T, Guid> id, CancellationToken cancellationToken) =>
        GetAllAsync(query, row => Format(id(row)), cancellationToken);

    private static async Task<IReadOnlyList<T>> GetAllAsync<T>(PostgrestQuery<T> query, Func<T, string> key, CancellationToken cancellationToken)
    {
        query = query.Order("id");
        var first = await query.GetWithCountAsync(cancellationToken).ConfigureAwait(false);
        if (first.TotalCount is not { } total || first.Items.Count == 0 || first.Items.Count >= total)
        {
            return first.Items;
        }

        var rows = new List<T>(first.Items);
        while (rows.Count < total)
        {
            var page = await query.Gt("id", key(rows[^1])).GetAsync(cancellationToken).ConfigureAwait(false);
            if (page.Count == 0)
            {
                break;
            }

            rows.AddRange(page);
        }

        return rows;
    }

    private static string Format(Guid id) => id.ToString("D", CultureInfo.InvariantCulture);

    private static T Single<T>(IReadOnlyList<T> rows, string what) =>
        rows.Count > 0 ? rows[0] : throw new PostgrestException(200, null, $"PostgREST returned no row for the {what} (is the row visible to its writer?).");
}

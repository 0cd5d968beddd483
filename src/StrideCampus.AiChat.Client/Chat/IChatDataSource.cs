using System.Text.Json.Nodes;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>The database side of the chat layer (PostgREST in production, fakes in tests).</summary>
internal interface IChatDataSource
{
    /// <summary>All sessions of the user with all their messages (each list complete: paged, never a capped embed).</summary>
    Task<IReadOnlyList<ChatSessionRow>> LoadSessionsWithMessagesAsync(CancellationToken cancellationToken);

    /// <summary>The sessions of the user, without messages.</summary>
    Task<IReadOnlyList<ChatSession>> LoadSessionsAsync(CancellationToken cancellationToken);

    /// <summary>The ids of the user's messages (of one session when given).</summary>
    Task<IReadOnlyList<Guid>> LoadMessageIdsAsync(Guid? sessionId, CancellationToken cancellationToken);

    /// <summary>The messages of one session ordered by (created_at, id).</summary>
    Task<IReadOnlyList<ChatMessage>> LoadMessagesAsync(Guid sessionId, CancellationToken cancellationToken);

    /// <summary>
    /// A sync point (<c>ai_chat_sync_point()</c>): reads made after it miss only rows and deletions written by
    /// transactions whose id is at or above it, which <see cref="LoadChangesSinceAsync"/> with it then returns.
    /// </summary>
    Task<long> GetSyncPointAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The user's sessions older than <paramref name="before"/> (the newest when null), newest first: at most
    /// <paramref name="limit"/> + 1 rows (the extra one only tells that there is more).
    /// </summary>
    Task<IReadOnlyList<ChatSession>> LoadSessionPageAsync(ChatPageKey? before, int limit, CancellationToken cancellationToken);

    /// <summary>The user's active session, if any.</summary>
    Task<ChatSession?> LoadActiveSessionAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The messages of a session older than <paramref name="before"/> (the newest when null), newest first: at
    /// most <paramref name="limit"/> + 1 rows (the extra one only tells that there is more).
    /// </summary>
    Task<IReadOnlyList<ChatMessage>> LoadMessagePageAsync(Guid sessionId, ChatPageKey? before, int limit, CancellationToken cancellationToken);

    /// <summary>The user's sessions and messages written, and deletions logged, at or after <paramref name="syncPoint"/>.</summary>
    Task<ChatChangesSince> LoadChangesSinceAsync(long syncPoint, CancellationToken cancellationToken);

    /// <summary>Inserts a session with a client id (upsert on id, so a retry never duplicates).</summary>
    Task<ChatSession> UpsertSessionAsync(ChatSession session, CancellationToken cancellationToken);

    /// <summary>Updates a session; returns the row, or <see langword="null"/> when it no longer exists.</summary>
    Task<ChatSession?> UpdateSessionAsync(Guid sessionId, JsonObject patch, CancellationToken cancellationToken);

    /// <summary>Deletes a session (its messages go by cascade).</summary>
    Task DeleteSessionAsync(Guid sessionId, CancellationToken cancellationToken);

    /// <summary>Deletes every session of the user.</summary>
    Task DeleteAllSessionsAsync(Guid userId, CancellationToken cancellationToken);

    /// <summary>Inserts a message with a client id (upsert on id, so a retry never duplicates).</summary>
    Task<ChatMessage> UpsertMessageAsync(ChatMessage message, CancellationToken cancellationToken);

    /// <summary>Updates a message; returns the row, or <see langword="null"/> when it no longer exists.</summary>
    Task<ChatMessage?> UpdateMessageAsync(Guid messageId, JsonObject patch, CancellationToken cancellationToken);

    /// <summary>Deletes a message.</summary>
    Task DeleteMessageAsync(Guid messageId, CancellationToken cancellationToken);

    /// <summary>Calls <c>ai_chat_set_active_session</c>: the session becomes the only active one (null: none).</summary>
    Task<IReadOnlyList<ChatSession>> SetActiveSessionAsync(Guid? sessionId, CancellationToken cancellationToken);
}

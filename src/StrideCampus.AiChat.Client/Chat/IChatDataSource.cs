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

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>A session as the store holds it: the row, its messages in chronological order, and pending writes.</summary>
/// <param name="Session">The session row (with any of this store's pending changes applied).</param>
/// <param name="Messages">The messages held, ordered by (created_at, id): the newest pages; empty when <paramref name="MessagesLoaded"/> is false.</param>
/// <param name="MessagesLoaded">
/// Whether the messages are in memory. Sessions beyond the cache bound or idle past the expiry drop
/// their messages; <see cref="MessageStore.LoadMessagesAsync"/> (or switching to the session) reloads them.
/// </param>
/// <param name="IsPending">Whether a write of this store to the session row awaits the server's confirmation.</param>
/// <param name="PendingMessageIds">The messages whose writes await the server's confirmation.</param>
public sealed record ChatSessionState(
    ChatSession Session,
    IReadOnlyList<ChatMessage> Messages,
    bool MessagesLoaded,
    bool IsPending,
    IReadOnlySet<Guid> PendingMessageIds)
{
    /// <summary>
    /// Whether the session has messages older than those held (its messages load newest page first;
    /// <see cref="MessageStore.LoadOlderMessagesAsync"/> loads the page before).
    /// </summary>
    public bool HasOlderMessages { get; init; }

    /// <summary>The session id.</summary>
    public Guid Id => Session.Id;

    /// <summary>The session title.</summary>
    public string Title => Session.Title;

    /// <summary>Whether this is the user's active session.</summary>
    public bool IsActive => Session.IsActive;

    /// <summary>Whether a write of the message awaits the server's confirmation.</summary>
    /// <param name="messageId">The message id.</param>
    /// <returns><see langword="true"/> while the write is pending.</returns>
    public bool IsMessagePending(Guid messageId) => PendingMessageIds.Contains(messageId);
}

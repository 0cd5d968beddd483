namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// What can happen to the store's state, as one closed set: <see cref="MessageStoreCore.Apply(StoreEvent)"/> takes one of these and
/// says what changed. The façade describes what happened (a row confirmed, a page read, a write shown); the core decides
/// what that does to the state. The private constructor keeps the set closed to the records nested here.
/// </summary>
internal abstract record StoreEvent
{
    private StoreEvent()
    {
    }

    /// <summary>A session row the server returned for this client's write (<paramref name="IsNew"/>: just inserted, so it has no messages yet).</summary>
    public sealed record SessionConfirmed(ChatSession Row, bool IsNew) : StoreEvent;

    /// <summary>The server deleted a session (this client's delete succeeded, or a sibling's "delete all" named it).</summary>
    public sealed record SessionDeleted(Guid Id) : StoreEvent;

    /// <summary>A message row the server returned for this client's write or stream.</summary>
    public sealed record MessageConfirmed(ChatMessage Row) : StoreEvent;

    /// <summary>The server deleted a message.</summary>
    public sealed record MessageDeleted(Guid Id) : StoreEvent;

    /// <summary>A change the realtime feed delivered (counted as applied or ignored).</summary>
    public sealed record RealtimeChange(ChatChange Change) : StoreEvent;

    /// <summary>Text another client relayed for a streaming reply, ahead of the database.</summary>
    public sealed record RelayedText(StreamDelta Delta) : StoreEvent;

    /// <summary>Time passed: relayed text the database did not catch up with for <paramref name="MaxAgeTicks"/> is dropped.</summary>
    public sealed record RelayedTextExpired(long NowTicks, long MaxAgeTicks) : StoreEvent;

    /// <summary>An optimistic write shows a session value under <paramref name="Token"/> (null: a pending delete).</summary>
    public sealed record PendingSessionShown(long Token, Guid Id, ChatSession? Value) : StoreEvent;

    /// <summary>
    /// An optimistic write shows a message value under <paramref name="Token"/> (null: a pending delete). Not applied when
    /// the session's messages are not held.
    /// </summary>
    public sealed record PendingMessageShown(long Token, Guid SessionId, Guid Id, ChatMessage? Value) : StoreEvent;

    /// <summary>A pending message value changes (a streamed reply growing, or finishing).</summary>
    public sealed record PendingMessageChanged(long Token, Guid Id, ChatMessage? Value) : StoreEvent;

    /// <summary>
    /// An optimistic write ended: its pending values go, whether the server confirmed it (its answer was applied
    /// first) or it is rolled back.
    /// </summary>
    public sealed record PendingWriteEnded(long Token, IReadOnlyList<Guid> Sessions, Guid? Message) : StoreEvent;

    /// <summary>A session's messages were just used (the cache bound is least recently used).</summary>
    public sealed record SessionUsed(Guid SessionId, long NowTicks) : StoreEvent;

    /// <summary>The cache bound is enforced (<paramref name="Protect"/>, if any, counts as just used).</summary>
    public sealed record CacheTrimmed(long NowTicks, Guid? Protect) : StoreEvent;

    /// <summary>A page of sessions was read (newest first; one row beyond <paramref name="PageSize"/> says there is more).</summary>
    public sealed record SessionPageLoaded(ChatPageKey? From, IReadOnlyList<ChatSession> Rows, int PageSize) : StoreEvent;

    /// <summary>A session was read on its own (the active one, outside the first page).</summary>
    public sealed record SessionLoaded(ChatSession Row) : StoreEvent;

    /// <summary>A query of a session's messages started: realtime changes of the session wait for its page.</summary>
    public sealed record MessageLoadStarted(Guid SessionId) : StoreEvent;

    /// <summary>A query of a session's messages failed.</summary>
    public sealed record MessageLoadFailed(Guid SessionId) : StoreEvent;

    /// <summary>A page of a session's messages was read (newest first; one row beyond <paramref name="PageSize"/> says there is more).</summary>
    public sealed record MessagePageLoaded(Guid SessionId, ChatPageKey? From, IReadOnlyList<ChatMessage> Rows, int PageSize, long NowTicks) : StoreEvent;

    /// <summary>Reads for an open or resync start: rows realtime changes touch from now on keep their newer value.</summary>
    public sealed record ResyncStarted : StoreEvent;

    /// <summary>The open or resync ended (or failed) without a changes-since read to apply.</summary>
    public sealed record ResyncEnded : StoreEvent;

    /// <summary>What changed since the last sync point was read.</summary>
    public sealed record ChangesSinceLoaded(ChatChangesSince Changes, long NowTicks) : StoreEvent;
}

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// One change of a chat row, as seen by a <see cref="MessageStore"/> or a realtime subscription. The set is closed:
/// a change is a <see cref="SessionChange"/>, a <see cref="SessionDeletion"/>, a <see cref="MessageChange"/> or a
/// <see cref="MessageDeletion"/>, so app code can <c>switch</c> on the type and read a payload that is never null.
/// </summary>
public abstract record ChatChange
{
    // Only this assembly's sealed subtypes derive: the constructor is private protected, and the internal abstract
    // member below cannot be overridden elsewhere (a record's copy constructor must stay protected).
    private protected ChatChange(ChatChangeKind kind, Guid id)
    {
        Kind = kind;
        Id = id;
    }

    /// <summary>What happened.</summary>
    public ChatChangeKind Kind { get; }

    /// <summary>The id of the session or message.</summary>
    public Guid Id { get; }

    /// <summary>Whether the change concerns <c>ai_chat_sessions</c>.</summary>
    public bool IsSessionChange => Kind is ChatChangeKind.SessionCreated or ChatChangeKind.SessionUpdated or ChatChangeKind.SessionDeleted;

    /// <summary>
    /// For a delete read from the deletion log (<c>ai_chat_deletions</c>, which only the owner can see): the session the
    /// row belonged to (the session itself for a session). Null for a delete known by its key alone.
    /// </summary>
    internal Guid? LoggedSessionId { get; init; }

    /// <summary>Whether the row is gone (no payload).</summary>
    internal abstract bool IsDeletion { get; }

    internal static SessionChange Created(ChatSession session) => new(ChatChangeKind.SessionCreated, session);

    internal static SessionChange Updated(ChatSession session) => new(ChatChangeKind.SessionUpdated, session);

    internal static SessionDeletion SessionRemoved(Guid id) => new(id);

    internal static MessageChange Created(ChatMessage message) => new(ChatChangeKind.MessageCreated, message);

    internal static MessageChange Updated(ChatMessage message) => new(ChatChangeKind.MessageUpdated, message);

    internal static MessageDeletion MessageRemoved(Guid id) => new(id);
}

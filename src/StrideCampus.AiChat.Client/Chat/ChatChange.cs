namespace StrideCampus.AiChat.Client.Chat;

/// <summary>One change of a chat row, as seen by a <see cref="MessageStore"/> or a realtime subscription.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Id">The id of the session or message.</param>
/// <param name="Session">The session row after the change (session creates and updates only).</param>
/// <param name="Message">The message row after the change (message creates and updates only).</param>
public sealed record ChatChange(ChatChangeKind Kind, Guid Id, ChatSession? Session = null, ChatMessage? Message = null)
{
    /// <summary>Whether the change concerns <c>ai_chat_sessions</c>.</summary>
    public bool IsSessionChange => Kind is ChatChangeKind.SessionCreated or ChatChangeKind.SessionUpdated or ChatChangeKind.SessionDeleted;

    internal static ChatChange Created(ChatSession session) => new(ChatChangeKind.SessionCreated, session.Id, session);

    internal static ChatChange Updated(ChatSession session) => new(ChatChangeKind.SessionUpdated, session.Id, session);

    /// <summary>
    /// For a delete read from the deletion log (<c>ai_chat_deletions</c>, which only the owner can see): the session the
    /// row belonged to (the session itself for a session). Null for a delete known by its key alone.
    /// </summary>
    internal Guid? LoggedSessionId { get; init; }

    internal static ChatChange SessionRemoved(Guid id) => new(ChatChangeKind.SessionDeleted, id);

    internal static ChatChange Created(ChatMessage message) => new(ChatChangeKind.MessageCreated, message.Id, Message: message);

    internal static ChatChange Updated(ChatMessage message) => new(ChatChangeKind.MessageUpdated, message.Id, Message: message);

    internal static ChatChange MessageRemoved(Guid id) => new(ChatChangeKind.MessageDeleted, id);
}

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>A session row with its messages embedded (PostgREST <c>select=*,ai_chat_messages(*)</c>).</summary>
internal sealed record ChatSessionRow(
    Guid Id,
    Guid UserId,
    string Title,
    bool IsActive,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<ChatMessage>? AiChatMessages)
{
    public ChatSession ToSession() => new(Id, UserId, Title, IsActive, CreatedAt, UpdatedAt);
}

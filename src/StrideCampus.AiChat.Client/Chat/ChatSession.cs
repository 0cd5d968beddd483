using System.Text.Json.Serialization;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>A row of <c>ai_chat_sessions</c>: one conversation of a user.</summary>
/// <param name="Id">The session id (<c>id</c>).</param>
/// <param name="UserId">The owner (<c>user_id</c>); <see cref="Guid.Empty"/> lets the database use <c>auth.uid()</c>.</param>
/// <param name="Title">The title shown in session lists (<c>title</c>, 1 to 200 characters).</param>
/// <param name="IsActive">Whether this is the user's active session (<c>is_active</c>); at most one per user.</param>
/// <param name="CreatedAt">When the session was created (<c>created_at</c>, set by the database).</param>
/// <param name="UpdatedAt">When the session last changed (<c>updated_at</c>, set by the database).</param>
public sealed record ChatSession(
    Guid Id,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] Guid UserId,
    string Title,
    bool IsActive,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] DateTimeOffset CreatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] DateTimeOffset UpdatedAt);

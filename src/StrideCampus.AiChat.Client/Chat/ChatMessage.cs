using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>A row of <c>ai_chat_messages</c>: one message of a session, from the user or the assistant.</summary>
/// <param name="Id">The message id (<c>id</c>); clients generate it so a retried insert never duplicates.</param>
/// <param name="SessionId">The session the message belongs to (<c>session_id</c>).</param>
/// <param name="UserId">The owner (<c>user_id</c>); <see cref="Guid.Empty"/> lets the database use <c>auth.uid()</c>.</param>
/// <param name="Content">The text (<c>content</c>, at most 100,000 characters).</param>
/// <param name="IsUser"><see langword="true"/> for a user message, <see langword="false"/> for an assistant reply (<c>is_user</c>).</param>
/// <param name="Status">The lifecycle status (<c>status</c>).</param>
/// <param name="CreatedAt">When the message was created (<c>created_at</c>, set by the database); messages are ordered by it, then by id.</param>
/// <param name="UpdatedAt">When the message last changed (<c>updated_at</c>, set by the database).</param>
/// <param name="Metadata">Free-form JSON (<c>metadata</c>); <see langword="null"/> is stored as <c>{}</c>.</param>
public sealed record ChatMessage(
    Guid Id,
    Guid SessionId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] Guid UserId,
    string Content,
    bool IsUser,
    MessageStatus Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] DateTimeOffset CreatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] DateTimeOffset UpdatedAt,
    JsonObject? Metadata)
{
    // A message read from a realtime frame keeps its metadata as the JSON it arrived as and builds the object
    // on first use: most consumers never look at it, and a document per change is most of a change's cost. The
    // holder is set once, so equality and hash codes do not change when the metadata is first read.
    private readonly JsonObject? _metadata = Metadata;
    private readonly LazyMetadata? _lazyMetadata;

    private LazyMetadata? LazyMetadata
    {
        get => _lazyMetadata;
        init => _lazyMetadata = value;
    }

    /// <summary>Free-form JSON (<c>metadata</c>); <see langword="null"/> is stored as <c>{}</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonObject? Metadata
    {
        get => _lazyMetadata is { } lazy ? lazy.Value : _metadata;
        init
        {
            _metadata = value;
            _lazyMetadata = null;
        }
    }

    /// <summary>A message whose metadata is a JSON object given as UTF-8 (owned by the message), parsed on first use.</summary>
    internal static ChatMessage WithMetadataJson(
        Guid id, Guid sessionId, Guid userId, string content, bool isUser, MessageStatus status, DateTimeOffset createdAt, DateTimeOffset updatedAt, byte[] metadataUtf8) =>
        new(id, sessionId, userId, content, isUser, status, createdAt, updatedAt, null) { LazyMetadata = new LazyMetadata(metadataUtf8) };
}

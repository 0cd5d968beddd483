using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace StrideCampus.AiChat.IntegrationTests.Client;

/// <summary>A row of <c>ai_chat_sessions</c>; server-filled columns are left out of writes while unset.</summary>
internal sealed record TestSession
{
    [JsonPropertyName("id")]
    public Guid Id { get; init; }

    [JsonPropertyName("user_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Guid UserId { get; init; }

    [JsonPropertyName("title")]
    public string Title { get; init; } = "New chat";

    [JsonPropertyName("is_active")]
    public bool IsActive { get; init; }

    [JsonPropertyName("created_at")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public DateTimeOffset CreatedAt { get; init; }

    [JsonPropertyName("updated_at")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public DateTimeOffset UpdatedAt { get; init; }

    [JsonPropertyName("ai_chat_messages")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<TestMessage>? Messages { get; init; }
}

/// <summary>A row of <c>ai_chat_messages</c>.</summary>
internal sealed record TestMessage
{
    [JsonPropertyName("id")]
    public Guid Id { get; init; }

    [JsonPropertyName("session_id")]
    public Guid SessionId { get; init; }

    [JsonPropertyName("user_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Guid UserId { get; init; }

    [JsonPropertyName("content")]
    public string Content { get; init; } = string.Empty;

    [JsonPropertyName("is_user")]
    public bool IsUser { get; init; } = true;

    [JsonPropertyName("status")]
    public string Status { get; init; } = "complete";

    [JsonPropertyName("created_at")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public DateTimeOffset CreatedAt { get; init; }

    [JsonPropertyName("updated_at")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public DateTimeOffset UpdatedAt { get; init; }

    [JsonPropertyName("metadata")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonObject? Metadata { get; init; }
}

[JsonSerializable(typeof(TestSession))]
[JsonSerializable(typeof(TestMessage))]
[JsonSerializable(typeof(List<TestSession>))]
internal sealed partial class ClientTestJsonContext : JsonSerializerContext;

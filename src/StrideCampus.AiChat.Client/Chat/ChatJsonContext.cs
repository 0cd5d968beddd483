using System.Text.Json.Serialization;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>Source-generated JSON metadata for the chat rows (snake_case columns, trim and AOT safe).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    PropertyNameCaseInsensitive = false)]
[JsonSerializable(typeof(ChatSession))]
[JsonSerializable(typeof(ChatMessage))]
[JsonSerializable(typeof(ChatSessionRow))]
[JsonSerializable(typeof(IReadOnlyList<ChatSession>))]
[JsonSerializable(typeof(IReadOnlyList<ChatMessage>))]
[JsonSerializable(typeof(IReadOnlyList<ChatSessionRow>))]
[JsonSerializable(typeof(ChatRowId))]
[JsonSerializable(typeof(ChatDeletion))]
[JsonSerializable(typeof(IReadOnlyList<ChatDeletion>))]
[JsonSerializable(typeof(long))]
internal sealed partial class ChatJsonContext : JsonSerializerContext;

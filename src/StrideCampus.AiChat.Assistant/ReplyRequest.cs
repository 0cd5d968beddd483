using System.Text.Json.Serialization;

namespace StrideCampus.AiChat.Assistant;

/// <summary>A row of <c>ai_chat_reply_requests</c> (the columns the worker reads).</summary>
internal sealed record ReplyRequest(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("message_id")] Guid MessageId,
    [property: JsonPropertyName("session_id")] Guid SessionId,
    [property: JsonPropertyName("user_id")] Guid UserId,
    [property: JsonPropertyName("stop_requested")] bool StopRequested,
    [property: JsonPropertyName("attempts")] int Attempts);

using System.Text.Json.Serialization;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>The lifecycle of a chat message, stored in <c>ai_chat_messages.status</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MessageStatus>))]
public enum MessageStatus
{
    /// <summary>Written but not yet final (JSON <c>"pending"</c>).</summary>
    [JsonStringEnumMemberName("pending")]
    Pending,

    /// <summary>An assistant reply that is still growing (JSON <c>"streaming"</c>).</summary>
    [JsonStringEnumMemberName("streaming")]
    Streaming,

    /// <summary>Final content (JSON <c>"complete"</c>).</summary>
    [JsonStringEnumMemberName("complete")]
    Complete,

    /// <summary>The reply failed or was cancelled; the content is what was received (JSON <c>"error"</c>).</summary>
    [JsonStringEnumMemberName("error")]
    Error,

    /// <summary>
    /// An assistant reply the user stopped; the content is what was written until then (JSON <c>"stopped"</c>,
    /// needs <c>database/ai_chat_assistant_replies.sql</c>).
    /// </summary>
    [JsonStringEnumMemberName("stopped")]
    Stopped,
}

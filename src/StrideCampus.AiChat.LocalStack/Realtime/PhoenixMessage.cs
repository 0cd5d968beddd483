using System.Text.Json;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>One decoded client frame: a Phoenix message, or a binary user broadcast push.</summary>
internal sealed record PhoenixMessage(string? JoinRef, string? Ref, string Topic, string Event, JsonElement Payload)
{
    /// <summary>Set when the frame was a binary user broadcast push (serializer 2.0.0, kind 3).</summary>
    public UserBroadcast? Broadcast { get; init; }
}

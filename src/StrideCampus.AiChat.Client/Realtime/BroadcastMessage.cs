using System.Text.Json;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>A broadcast received on a channel.</summary>
/// <param name="Event">The user event name.</param>
/// <param name="Payload">The JSON payload (<see cref="JsonValueKind.Undefined"/> for a binary payload).</param>
public sealed record BroadcastMessage(string Event, JsonElement Payload)
{
    /// <summary>The raw payload of a binary broadcast (empty for JSON payloads).</summary>
    public ReadOnlyMemory<byte> BinaryPayload { get; init; }

    /// <summary>Metadata the server attached to a binary broadcast frame (for example <c>{"replayed":true}</c>), if any.</summary>
    public JsonElement? Meta { get; init; }
}

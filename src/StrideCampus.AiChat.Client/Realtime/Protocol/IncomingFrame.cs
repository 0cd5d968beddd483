namespace StrideCampus.AiChat.Client.Realtime.Protocol;

/// <summary>
/// A decoded server frame. <see cref="Payload"/> points into the receive buffer and is valid only while the frame
/// is dispatched; whatever outlives dispatch is copied.
/// </summary>
internal readonly record struct IncomingFrame(
    string? JoinRef,
    string? Ref,
    string Topic,
    string Event,
    ReadOnlyMemory<byte> Payload)
{
    /// <summary>For a binary user broadcast (kind 4): the user event; otherwise <see langword="null"/>.</summary>
    public string? BroadcastEvent { get; init; }

    /// <summary>For a binary user broadcast: the metadata JSON (may be empty).</summary>
    public ReadOnlyMemory<byte> BroadcastMeta { get; init; }

    /// <summary>For a binary user broadcast: true when <see cref="Payload"/> is JSON, false when raw bytes.</summary>
    public bool BroadcastPayloadIsJson { get; init; }
}

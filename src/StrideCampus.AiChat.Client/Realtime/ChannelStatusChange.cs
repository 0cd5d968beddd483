namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>A subscription status reported by a channel.</summary>
/// <param name="Status">The status.</param>
/// <param name="Reason">A human-readable reason (server message, "heartbeat timeout", ...).</param>
/// <param name="Error">The error, if any.</param>
public sealed record ChannelStatusChange(SubscribeStatus Status, string? Reason = null, Exception? Error = null);

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>A change of <see cref="ConnectionState"/> with its reason (for example "connected", "heartbeat timeout", "server closed", "disposed").</summary>
/// <param name="State">The new state.</param>
/// <param name="Reason">Why the state changed.</param>
/// <param name="Error">The error that caused the change, if any.</param>
public sealed record ConnectionStateChange(ConnectionState State, string Reason, Exception? Error = null);

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>A change of <see cref="ConnectionState"/> with its reason (for example "connected", "heartbeat timeout", "server closed", "disposed").</summary>
/// <param name="State">The new state.</param>
/// <param name="Reason">Why the state changed, as text (for logs and display; decide on <see cref="Disconnection"/>).</param>
/// <param name="Error">The error that caused the change, if any.</param>
public sealed record ConnectionStateChange(ConnectionState State, string Reason, Exception? Error = null)
{
    /// <summary>The typed cause when <see cref="State"/> is <see cref="ConnectionState.Disconnected"/> after a socket or an attempt ended; otherwise <see langword="null"/>.</summary>
    public DisconnectionInfo? Disconnection { get; init; }
}

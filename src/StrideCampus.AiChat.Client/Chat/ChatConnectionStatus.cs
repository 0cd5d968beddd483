namespace StrideCampus.AiChat.Client.Chat;

/// <summary>A chat subscription's connection state with the reason for the last change.</summary>
/// <param name="State">The state.</param>
/// <param name="Reason">Why the state changed, for display or logs.</param>
/// <param name="Error">The error that caused the change, if any.</param>
public sealed record ChatConnectionStatus(ChatConnectionState State, string Reason, Exception? Error = null)
{
    /// <summary>Whether changes arrive live.</summary>
    public bool IsConnected => State == ChatConnectionState.Connected;

    internal static ChatConnectionStatus Initial { get; } = new(ChatConnectionState.Disconnected, "not started");
}

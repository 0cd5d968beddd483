namespace StrideCampus.AiChat.Client.Chat;

/// <summary>The state of a chat realtime subscription (the seed's connection indicator).</summary>
public enum ChatConnectionState
{
    /// <summary>Not subscribed: no live updates (the seed shows no indicator).</summary>
    Disconnected,

    /// <summary>Connecting or (re)joining the channel.</summary>
    Connecting,

    /// <summary>Subscribed: changes arrive live (the seed's green "Live").</summary>
    Connected,
}

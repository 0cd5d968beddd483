namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>The state of the realtime socket.</summary>
public enum ConnectionState
{
    /// <summary>No socket is open.</summary>
    Disconnected,

    /// <summary>A socket is being opened.</summary>
    Connecting,

    /// <summary>The socket is open.</summary>
    Connected,
}

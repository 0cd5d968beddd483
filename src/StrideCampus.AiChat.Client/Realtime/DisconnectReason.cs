namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>Why the realtime socket went down or failed to open (see <see cref="DisconnectionInfo"/>).</summary>
public enum DisconnectReason
{
    /// <summary>The app disconnected (<see cref="RealtimeClient.DisconnectAsync"/>).</summary>
    Requested,

    /// <summary>The client was disposed.</summary>
    Disposed,

    /// <summary>The server sent a close frame or dropped the connection.</summary>
    ServerClosed,

    /// <summary>The socket failed while receiving.</summary>
    SocketError,

    /// <summary>A send failed.</summary>
    SendFailed,

    /// <summary>Processing a received frame failed unexpectedly (logged); the client reconnects.</summary>
    ReceiveFailed,

    /// <summary>A heartbeat got no reply within an interval: the socket was taken as dead.</summary>
    HeartbeatTimeout,

    /// <summary>The server sent a frame larger than <see cref="RealtimeClientOptions.MaxMessageSize"/>.</summary>
    MessageTooBig,

    /// <summary>Opening the socket took longer than <see cref="RealtimeClientOptions.Timeout"/>.</summary>
    ConnectTimeout,

    /// <summary>Opening the socket failed.</summary>
    ConnectFailed,

    /// <summary>The socket ended without a recorded cause.</summary>
    SocketClosed,
}

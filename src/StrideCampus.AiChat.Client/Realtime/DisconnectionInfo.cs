using System.Globalization;
using System.Net.WebSockets;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>Why the socket went down: a typed reason to decide on, plus the server's close status and the error, if any.</summary>
/// <param name="Reason">The cause.</param>
/// <param name="CloseStatus">The close status the server sent (<see cref="DisconnectReason.ServerClosed"/> only).</param>
/// <param name="Error">The exception behind it, if any.</param>
public sealed record DisconnectionInfo(DisconnectReason Reason, WebSocketCloseStatus? CloseStatus = null, Exception? Error = null)
{
    /// <summary>A short text for logs and status reasons ("heartbeat timeout", "server closed (1000)", ...).</summary>
    public string Description => Reason switch
    {
        DisconnectReason.Requested => "disconnected",
        DisconnectReason.Disposed => "disposed",
        DisconnectReason.ServerClosed when CloseStatus is { } status => string.Create(CultureInfo.InvariantCulture, $"server closed ({(int)status})"),
        DisconnectReason.ServerClosed => "server closed",
        DisconnectReason.SocketError => "socket error",
        DisconnectReason.SendFailed => "send failed",
        DisconnectReason.ReceiveFailed => "receive failed",
        DisconnectReason.HeartbeatTimeout => "heartbeat timeout",
        DisconnectReason.MessageTooBig => "message too big",
        DisconnectReason.ConnectTimeout => "connect timeout",
        DisconnectReason.ConnectFailed => "connect failed",
        _ => "socket closed",
    };
}

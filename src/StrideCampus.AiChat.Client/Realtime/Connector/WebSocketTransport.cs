using System.Net.WebSockets;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>The default transport of <see cref="RealtimeClientOptions.WebSocketFactory"/>: a <see cref="ClientWebSocket"/>.</summary>
internal static class WebSocketTransport
{
    public static async Task<WebSocket> ConnectClientWebSocketAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        try
        {
            if (!OperatingSystem.IsBrowser())
            {
                // The browser's WebSocket has no keep-alive setting (it throws PlatformNotSupportedException); heartbeats do the work.
                socket.Options.KeepAliveInterval = TimeSpan.Zero;
            }

            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

using System.Net.WebSockets;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>
/// One open socket and the fate of its loops. Lock-free: the first End wins (compare-exchange), so the
/// send, receive and heartbeat loops and a requested disconnect can all race to end it.
/// </summary>
internal sealed class SocketConnection(WebSocket socket, long epoch, CancellationTokenSource cts)
{
    private string? _pendingHeartbeat;
    private DisconnectionInfo? _ended;
    private volatile bool _isOpen = true;

    public WebSocket Socket { get; } = socket;

    public long Epoch { get; } = epoch;

    /// <summary>Cancelled only when the connection is torn down, after any graceful close.</summary>
    public CancellationToken Lifetime { get; } = cts.Token;

    public bool IsOpen
    {
        get => _isOpen;
        set => _isOpen = value;
    }

    public string? PendingHeartbeat
    {
        get => Volatile.Read(ref _pendingHeartbeat);
        set => Volatile.Write(ref _pendingHeartbeat, value);
    }

    /// <summary>Why the connection ended (null while it runs).</summary>
    public DisconnectionInfo? Ended => Volatile.Read(ref _ended);

    /// <summary>Whether the app asked for the end (the send loop then drains, and the socket closes gracefully).</summary>
    public bool EndRequested => Ended?.Reason == DisconnectReason.Requested;

    public void OnHeartbeatReply(string @ref)
    {
        var pending = Volatile.Read(ref _pendingHeartbeat);
        if (pending is not null && string.Equals(pending, @ref, StringComparison.Ordinal))
        {
            Interlocked.CompareExchange(ref _pendingHeartbeat, null, pending);
        }
    }

    /// <summary>Ends the connection; the first reason wins. <paramref name="abort"/> cancels the loops at once.</summary>
    public void End(DisconnectionInfo reason, bool abort = true)
    {
        if (Interlocked.CompareExchange(ref _ended, reason, null) is null)
        {
            _isOpen = false;
            if (abort)
            {
                try
                {
                    cts.Cancel();
                }
                catch (ObjectDisposedException)
                {
                }
            }
        }
    }

    public void End(DisconnectReason reason, Exception? error = null) => End(new DisconnectionInfo(reason, Error: error));
}

using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// One client WebSocket speaking the Phoenix protocol: heartbeats, joins and leaves, access token
/// refresh, broadcast and presence, and Realtime Authorization of private channels. Outgoing frames
/// go through one queue and one writer, so they leave in the order they were produced. A socket that
/// sends nothing for the heartbeat timeout is closed; leaving (or losing) the socket removes its
/// channels and presences.
/// </summary>
internal sealed partial class RealtimeSocketSession
{
    private const int MaxMessageBytes = 4 * 1024 * 1024;
    private readonly WebSocket _socket;
    private readonly RealtimeService _service;
    private readonly TokenCheck _apiKey;
    // Built on the first private check only: public-only sockets never serialize the headers.
    private readonly Lazy<string> _headersJson;
    private readonly ILogger _logger;
    private readonly OutboundQueue _outbox;
    private readonly Dictionary<string, ChannelSubscription> _channels = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private long _lastReceived;
    // The size of the frame being handled: broadcast and presence payloads are bounded by it.
    private int _frameBytes;
    private CancellationTokenSource? _lifetime;

    public RealtimeSocketSession(WebSocket socket, PhoenixSerializer serializer, TokenCheck apiKey, Lazy<string> headersJson, RealtimeService service, ILogger logger)
    {
        _socket = socket;
        Serializer = serializer;
        _apiKey = apiKey;
        _headersJson = headersJson;
        _service = service;
        _logger = logger;
        _outbox = new OutboundQueue(service.Options.MaxQueuedBytesPerSocket);
        _outbox.Overflowed += () =>
        {
            // A client that does not read is dropped, as Supabase's transport drops one whose mailbox grows without end.
            _logger.LogWarning("Dropping a socket whose client does not read: over {Bytes} bytes queued", _service.Options.MaxQueuedBytesPerSocket);
            _lifetime?.Cancel();
        };
    }

    public PhoenixSerializer Serializer { get; }

    /// <summary>Bytes queued for this socket and not sent yet.</summary>
    internal long QueuedBytes => _outbox.QueuedBytes;

    /// <summary>Queues a frame; dropped only when the socket is already gone.</summary>
    public void Send(OutboundFrame frame) => _outbox.TryWrite(frame);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _lifetime = lifetime;
        _lastReceived = _service.Time.GetTimestamp();
        var writer = WriteLoopAsync(lifetime.Token);
        var watchdog = WatchdogAsync(lifetime.Token);
        try
        {
            await ReceiveLoopAsync(lifetime.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            _logger.LogDebug("Socket ended: {Reason}", ex.Message);
        }
        finally
        {
            ChannelSubscription[] channels;
            lock (_gate)
            {
                channels = [.. _channels.Values];
                _channels.Clear();
            }
            foreach (var channel in channels)
            {
                Remove(channel);
            }
            _outbox.Complete();
            await lifetime.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(writer, watchdog).ConfigureAwait(false);
            _lifetime = null;
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (count == buffer.Length)
                    {
                        if (buffer.Length >= MaxMessageBytes)
                        {
                            Send(new OutboundFrame(default, WebSocketMessageType.Close, WebSocketCloseStatus.MessageTooBig, "message too big"));
                            return;
                        }
                        var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, count).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = bigger;
                    }
                    result = await _socket.ReceiveAsync(buffer.AsMemory(count), cancellationToken).ConfigureAwait(false);
                    count += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    Send(new OutboundFrame(default, WebSocketMessageType.Close, WebSocketCloseStatus.NormalClosure, ""));
                    return;
                }
                _lastReceived = _service.Time.GetTimestamp();
                var message = result.MessageType == WebSocketMessageType.Text
                    ? Serializer.DecodeText(buffer.AsSpan(0, count))
                    : Serializer.DecodeBinary(buffer.AsSpan(0, count));
                if (message is null)
                {
                    _logger.LogDebug("Dropped an undecodable {Type} frame of {Length} bytes", result.MessageType, count);
                    continue;
                }
                _frameBytes = count;
                try
                {
                    await HandleAsync(message).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException and not WebSocketException and not IOException)
                {
                    // One message that cannot be handled is dropped; the socket and its other channels go on.
                    _logger.LogWarning(ex, "Handling {Event} on {Topic} failed; the message is dropped", message.Event, message.Topic);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task WriteLoopAsync(CancellationToken cancellationToken)
    {
        var closing = false;
        // One send may take at most SendTimeout: a client that stops reading stalls the send, and is dropped.
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await foreach (var frame in _outbox.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                _outbox.Sent(frame);
                if (frame.CloseStatus is { } status)
                {
                    if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    {
                        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                        try
                        {
                            await _socket.CloseOutputAsync(status, frame.CloseReason, timeout.Token).ConfigureAwait(false);
                        }
                        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
                        {
                        }
                    }
                    // Give the client a moment to answer the close before the socket is torn down.
                    closing = true;
                    _lifetime?.CancelAfter(TimeSpan.FromSeconds(2));
                    return;
                }
                if (_socket.State != WebSocketState.Open)
                {
                    return;
                }
                stall.CancelAfter(_service.Options.SendTimeout);
                await _socket.SendAsync(frame.Data, frame.Type, endOfMessage: true, stall.Token).ConfigureAwait(false);
                if (!stall.TryReset())
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
        finally
        {
            // A writer that cannot write ends the socket.
            if (!closing)
            {
                _lifetime?.Cancel();
            }
        }
    }

    private async Task WatchdogAsync(CancellationToken cancellationToken)
    {
        var timeout = _service.Options.HeartbeatTimeout;
        var period = TimeSpan.FromMilliseconds(Math.Clamp(timeout.TotalMilliseconds / 4, 50, 1000));
        using var timer = new PeriodicTimer(period, _service.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (_service.Time.GetElapsedTime(_lastReceived) > timeout)
                {
                    _logger.LogInformation("No heartbeat for {Timeout}; closing the socket", timeout);
                    Send(new OutboundFrame(default, WebSocketMessageType.Close, WebSocketCloseStatus.NormalClosure, "heartbeat timeout"));
                    // The close frame may wait behind frames a silent client never reads: end the socket regardless.
                    _lifetime?.CancelAfter(TimeSpan.FromSeconds(2));
                    return;
                }
                var now = _service.Time.GetUtcNow();
                ChannelSubscription[] expired;
                lock (_gate)
                {
                    expired = _channels.Values.Where(c => c.Auth.ExpiresAt <= now).ToArray();
                }
                foreach (var channel in expired)
                {
                    var ago = Math.Max(0, now.ToUnixTimeSeconds() - channel.Auth.ExpiresAt.ToUnixTimeSeconds());
                    Shutdown(channel, $"Token has expired {ago} seconds ago");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task HandleAsync(PhoenixMessage message)
    {
        if (message.Topic == "phoenix")
        {
            if (message.Event == "heartbeat")
            {
                Send(Serializer.Reply(message.JoinRef, message.Ref, "phoenix", "ok"));
            }
            return;
        }
        if (message.Event == "phx_join")
        {
            await JoinAsync(message).ConfigureAwait(false);
            return;
        }
        ChannelSubscription? channel;
        lock (_gate)
        {
            _channels.TryGetValue(message.Topic, out channel);
        }
        if (channel is null)
        {
            Send(Serializer.Reply(message.JoinRef, message.Ref, message.Topic, "error", w =>
            {
                w.WriteStartObject();
                w.WriteString("reason", "unmatched topic");
                w.WriteEndObject();
            }));
            return;
        }
        switch (message.Event)
        {
            case "phx_leave":
                Send(Serializer.Reply(message.JoinRef ?? channel.JoinRef, message.Ref, channel.Topic, "ok"));
                Close(channel);
                break;
            case "access_token":
                await RefreshTokenAsync(channel, message).ConfigureAwait(false);
                break;
            case "broadcast":
                await HandleBroadcastAsync(channel, message).ConfigureAwait(false);
                break;
            case "presence":
                await HandlePresenceAsync(channel, message).ConfigureAwait(false);
                break;
            default:
                _logger.LogDebug("Unexpected message from client of type {Event}", message.Event);
                break;
        }
    }

    /// <summary>Ends a channel the way Supabase does on a fatal condition: a system error, then phx_close.</summary>
    public void Shutdown(ChannelSubscription channel, string reason)
    {
        _logger.LogInformation("Shutting down channel {Topic}: {Reason}", channel.Topic, reason);
        SendSystem(channel, "system", "error", reason);
        Close(channel);
    }

    /// <summary>
    /// The replication stream restarted on a new slot after a gap whose changes are lost. Supabase's channel then
    /// subscribes again (<c>postgres_cdc_rls_down</c>, then <c>handle_info(:postgres_subscribe)</c> in
    /// realtime_channel.ex) and its only trace is another "Subscribed to PostgreSQL": no <c>phx_error</c>.
    /// A channel still waiting for its first confirmation gets that one instead.
    /// </summary>
    public void ResubscribeAfterReplicationGap(ChannelSubscription channel)
    {
        if (channel.IsClosed || channel.ChangesAfterLsn == long.MaxValue)
        {
            return;
        }
        _logger.LogInformation("Channel {Topic}: replication restarted, changes may have been missed; subscribed again", channel.Topic);
        SendSystem(channel, "postgres_changes", "ok", "Subscribed to PostgreSQL");
    }

    /// <summary>Removes a channel and tells the client with phx_close.</summary>
    private void Close(ChannelSubscription channel)
    {
        lock (_gate)
        {
            if (_channels.TryGetValue(channel.Topic, out var current) && ReferenceEquals(current, channel))
            {
                _channels.Remove(channel.Topic);
            }
        }
        if (channel.IsClosed)
        {
            return;
        }
        Remove(channel);
        Send(Serializer.Encode(channel.JoinRef, channel.JoinRef, channel.Topic, "phx_close", w =>
        {
            w.WriteStartObject();
            w.WriteEndObject();
        }));
    }

    private void Remove(ChannelSubscription channel)
    {
        if (channel.IsClosed)
        {
            return;
        }
        channel.MarkClosed();
        _service.Registry.Remove(channel);
        _service.Presence.Untrack(channel);
    }

    private void SendSystem(ChannelSubscription channel, string extension, string status, string text) =>
        Send(Serializer.Encode(channel.JoinRef, null, channel.Topic, "system", w =>
        {
            w.WriteStartObject();
            w.WriteString("extension", extension);
            w.WriteString("status", status);
            w.WriteString("message", text);
            w.WriteString("channel", channel.Name);
            w.WriteEndObject();
        }));

    private static void WriteReason(Utf8JsonWriter w, string reason)
    {
        w.WriteStartObject();
        w.WriteString("reason", reason);
        w.WriteEndObject();
    }

    private static JsonElement Get(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;

    private static string? GetString(JsonElement element, string name) =>
        Get(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    /// <summary>Supabase's flexible booleans: true or "true".</summary>
    private static bool IsTrue(JsonElement element) =>
        element.ValueKind == JsonValueKind.True ||
        (element.ValueKind == JsonValueKind.String && string.Equals(element.GetString(), "true", StringComparison.OrdinalIgnoreCase));
}

using System.Buffers;
using System.Net.WebSockets;
using StrideCampus.AiChat.Client.Realtime.Protocol;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>The run loop (connect, reconnect with backoff) and the send, heartbeat and receive loops of one socket.</summary>
internal sealed partial class RealtimeConnector
{
    /// <summary>Queues a frame; frames queue up while the socket is down and are flushed in order on open. Never blocks or calls out.</summary>
    public bool Enqueue(OutgoingFrame frame)
    {
        // Bounded in bytes as well as in frames (one frame always fits an empty queue).
        var size = frame.Data.Length;
        var queued = Interlocked.Add(ref _queuedBytes, size);
        if ((queued == size || queued <= _options.SendBufferByteLimit) && _sendQueue.Writer.TryWrite(frame))
        {
            return true;
        }

        Interlocked.Add(ref _queuedBytes, -size);

        RealtimeLog.SendBufferFull(_logger, _options.SendBufferLimit, frame.Event, frame.Topic);
        return false;
    }

    /// <summary>Kills the open socket the way a network failure would (no close handshake; for tests). False when none is open.</summary>
    public bool AbortSocket()
    {
        if (Volatile.Read(ref _connection) is not { } connection)
        {
            return false;
        }

        connection.Socket.Abort();
        return true;
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var failures = 0;
        var first = true;
        while (!stop.IsCancellationRequested)
        {
            SetState(ConnectionState.Connecting, first ? "connecting" : "reconnecting");
            first = false;
            RealtimeLog.Connecting(_logger, _endpointForLogs, failures + 1);
            WebSocket? socket = null;
            DisconnectionInfo ended;
            try
            {
                using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(stop))
                {
                    connectTimeout.CancelAfter(_options.Timeout);
                    socket = await _transport(_endpoint, connectTimeout.Token).ConfigureAwait(false);
                }

                failures = 0;
                ended = await RunConnectionAsync(socket, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                ended = new DisconnectionInfo(DisconnectReason.Requested);
                CompleteAttempt(new OperationCanceledException("Disconnected before the socket opened."));
            }
#pragma warning disable CA1031 // Any connect failure is retried.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failures++;
                var timedOut = ex is OperationCanceledException;
                ended = new DisconnectionInfo(timedOut ? DisconnectReason.ConnectTimeout : DisconnectReason.ConnectFailed, Error: ex);
                RealtimeLog.ConnectFailed(_logger, timedOut ? null : ex, ended.Description);
                CompleteAttempt(timedOut ? new TimeoutException("The connect timed out.") : ex);
            }
            finally
            {
                socket?.Dispose();
            }

            SetState(ConnectionState.Disconnected, ended);
            if (stop.IsCancellationRequested)
            {
                break;
            }

            var attempt = Math.Max(1, failures);
            var delay = (_options.ReconnectDelay ?? Backoff.WithJitter)(attempt);
            RealtimeLog.ReconnectScheduled(_logger, attempt, delay);
            try
            {
                await Task.Delay(delay, _time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task<DisconnectionInfo> RunConnectionAsync(WebSocket socket, CancellationToken stop)
    {
        using var connectionCts = new CancellationTokenSource();
        using var sendCts = CancellationTokenSource.CreateLinkedTokenSource(connectionCts.Token);
        var connection = new SocketConnection(socket, Interlocked.Increment(ref _epoch), connectionCts);
        Volatile.Write(ref _connection, connection);
        // Started here, not on the pool: its first interval is armed before anyone learns that the socket is open.
        var heartbeat = HeartbeatLoopAsync(connection, sendCts.Token);
        RealtimeLog.Connected(_logger, _endpointForLogs);
        SetState(ConnectionState.Connected, "connected");
        CompleteAttempt(null);
        foreach (var channel in _channels.Values)
        {
            channel.OnSocketOpen();
        }

        var send = Task.Run(() => SendLoopAsync(connection, sendCts.Token), CancellationToken.None);
        var receive = Task.Run(() => ReceiveLoopAsync(connection, connectionCts.Token), CancellationToken.None);
        using (stop.Register(() =>
        {
            connection.End(new DisconnectionInfo(DisconnectReason.Requested), abort: false);
            sendCts.Cancel();
        }))
        {
            await Task.WhenAny(send, heartbeat, receive).ConfigureAwait(false);
        }

        connection.IsOpen = false;
        Volatile.Write(ref _connection, null);
        if (connection.EndRequested && !receive.IsCompleted)
        {
            // Graceful close on request (after the send loop drained), bounded so that disposal never hangs on a dead peer.
            try
            {
                await Task.WhenAll(send, heartbeat).WaitAsync(TimeSpan.FromSeconds(1), _time).ConfigureAwait(false);
                using var closeTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", closeTimeout.Token).ConfigureAwait(false);
                await receive.WaitAsync(TimeSpan.FromSeconds(1), _time).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Best effort.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }

        await connectionCts.CancelAsync().ConfigureAwait(false);
        socket.Abort();
        try
        {
            await Task.WhenAll(send, heartbeat, receive).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The loops log their own failures.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        var ended = connection.Ended ?? new DisconnectionInfo(DisconnectReason.SocketClosed);
        RealtimeLog.Disconnected(_logger, ended.Error, ended.Description);
        CancelPending();
        foreach (var channel in _channels.Values)
        {
            channel.OnSocketDown(ended);
        }

        return ended;
    }

    private async Task SendLoopAsync(SocketConnection connection, CancellationToken cancellationToken)
    {
        var reader = _sendQueue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                await SendQueuedAsync(connection, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            if (connection.EndRequested)
            {
                // A requested disconnect first flushes what is queued (a leave, for example).
                try
                {
                    using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                    await SendQueuedAsync(connection, drain.Token).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // Best effort.
                catch (Exception)
#pragma warning restore CA1031
                {
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
        {
            RealtimeLog.SendFailed(_logger, ex, ex.Message);
            connection.End(DisconnectReason.SendFailed, ex);
        }
    }

    private async Task SendQueuedAsync(SocketConnection connection, CancellationToken cancellationToken)
    {
        var reader = _sendQueue.Reader;
        while (reader.TryPeek(out var frame))
        {
            if (frame.IsCurrent is null || frame.IsCurrent())
            {
                // A frame already being written finishes under the connection's lifetime: cancelling a
                // WebSocket send aborts the socket, which would lose a leave queued just before a disconnect.
                cancellationToken.ThrowIfCancellationRequested();
                await connection.Socket.SendAsync(
                    frame.Data,
                    frame.Binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text,
                    endOfMessage: true,
                    connection.Lifetime).ConfigureAwait(false);
            }

            if (reader.TryRead(out var sent))
            {
                Interlocked.Add(ref _queuedBytes, -sent.Data.Length);
            }
        }
    }

    private async Task HeartbeatLoopAsync(SocketConnection connection, CancellationToken cancellationToken)
    {
        // A heartbeat gets a whole interval for its reply: it is checked when the next one is due, as phoenix's
        // socket.js does (sendHeartbeat arms heartbeatTimeoutTimer for heartbeatIntervalMs; supabase/phoenix
        // assets/js/phoenix/socket.js, used by realtime-js) and realtime-js did before it (supabase-js
        // packages/core/realtime-js/src/RealtimeClient.ts: sendHeartbeat on a heartbeatIntervalMs interval, a timeout
        // when pendingHeartbeatRef is still set).
        var interval = _options.HeartbeatInterval;
        string? sent = null;
        try
        {
            while (true)
            {
                await Task.Delay(interval, _time, cancellationToken).ConfigureAwait(false);
                if (sent is not null && string.Equals(connection.PendingHeartbeat, sent, StringComparison.Ordinal))
                {
                    RealtimeLog.HeartbeatTimeout(_logger, sent);
                    connection.End(DisconnectReason.HeartbeatTimeout);
                    connection.Socket.Abort();
                    return;
                }

                var @ref = MakeRef();
                connection.PendingHeartbeat = @ref;
                sent = @ref;
                var epoch = connection.Epoch;
                var data = _serializer.EncodeText(null, @ref, PhoenixEvents.PhoenixTopic, PhoenixEvents.Heartbeat, 0, static (w, _) =>
                {
                    w.WriteStartObject();
                    w.WriteEndObject();
                });
                Enqueue(new OutgoingFrame(data, false, PhoenixEvents.PhoenixTopic, PhoenixEvents.Heartbeat, () => connection.IsOpen && connection.Epoch == epoch));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task ReceiveLoopAsync(SocketConnection connection, CancellationToken cancellationToken)
    {
        const int InitialBuffer = 64 * 1024;
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    // The pool may hand out more than asked: never receive past the limit.
                    var room = Math.Min(buffer.Length, _options.MaxMessageSize);
                    if (count == room)
                    {
                        if (room >= _options.MaxMessageSize)
                        {
                            connection.End(DisconnectReason.MessageTooBig);
                            await connection.Socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "message too big", cancellationToken).ConfigureAwait(false);
                            return;
                        }

                        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, _options.MaxMessageSize));
                        buffer.AsSpan(0, count).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    result = await connection.Socket.ReceiveAsync(buffer.AsMemory(count, Math.Min(buffer.Length, _options.MaxMessageSize) - count), cancellationToken).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        connection.End(new DisconnectionInfo(DisconnectReason.ServerClosed, connection.Socket.CloseStatus));
                        return;
                    }

                    count += result.Count;
                }
                while (!result.EndOfMessage);

                t_dispatching = this;
                try
                {
                    Dispatch(buffer.AsMemory(0, count), result.MessageType == WebSocketMessageType.Binary, connection);
                }
                finally
                {
                    t_dispatching = null;
                }

                if (buffer.Length > 4 * InitialBuffer)
                {
                    // A large frame passed: do not hold its buffer for the life of the socket.
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
        {
            var closed = ex is WebSocketException { WebSocketErrorCode: WebSocketError.ConnectionClosedPrematurely };
            connection.End(closed ? DisconnectReason.ServerClosed : DisconnectReason.SocketError, ex);
        }
#pragma warning disable CA1031 // A bug in dispatch must not kill the client silently: log it and reconnect.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            RealtimeLog.ReceiveFailed(_logger, ex);
            connection.End(DisconnectReason.ReceiveFailed, ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

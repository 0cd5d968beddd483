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
internal sealed class RealtimeSocketSession
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

    private async Task JoinAsync(PhoenixMessage message)
    {
        var topic = message.Topic;
        if (!topic.StartsWith("realtime:", StringComparison.Ordinal) || topic.Length == "realtime:".Length)
        {
            var reason = topic == "realtime:" ? "TopicNameRequired: You must provide a topic name" : "unmatched topic";
            Send(Serializer.Reply(message.JoinRef, message.Ref, topic, "error", w => WriteReason(w, reason)));
            return;
        }
        if (_service.Options.PrivateOnly && !IsTrue(Get(Get(message.Payload, "config"), "private")))
        {
            // Checked before the token, as Supabase does (realtime_channel.ex, only_private?): a join error reply.
            Send(Serializer.Reply(message.JoinRef, message.Ref, topic, "error", w => WriteReason(w, PrivateOnlyReason)));
            return;
        }
        if (!_service.JoinRate.TryJoin())
        {
            // supabase/realtime realtime_channel.ex: the join is refused and the whole socket disconnected.
            _logger.LogWarning("Join of {Topic} refused: over {Max} joins per second", topic, _service.Options.MaxJoinsPerSecond);
            Send(Serializer.Reply(message.JoinRef, message.Ref, topic, "error", w => WriteReason(w, "ClientJoinRateLimitReached: Too many joins per second")));
            Send(new OutboundFrame(default, WebSocketMessageType.Close, WebSocketCloseStatus.PolicyViolation, "too many joins"));
            return;
        }
        ChannelSubscription? previous;
        bool tooMany;
        lock (_gate)
        {
            _channels.Remove(topic, out previous);
            tooMany = _channels.Count >= _service.Options.MaxChannelsPerSocket;
        }
        if (tooMany)
        {
            // supabase/realtime realtime_channel.ex limit_channels: max_channels_per_client per socket.
            Send(Serializer.Reply(message.JoinRef, message.Ref, topic, "error", w => WriteReason(w, "ChannelRateLimitReached: Too many channels")));
            if (previous is not null)
            {
                Close(previous);
            }
            return;
        }
        if (previous is not null)
        {
            // Phoenix closes the existing channel of a duplicate join.
            Close(previous);
        }

        var payload = message.Payload;
        var token = GetString(payload, "access_token") ?? GetString(payload, "user_token");
        TokenCheck auth;
        if (token is null || token.StartsWith("sb_", StringComparison.Ordinal) || token == _apiKey.Token)
        {
            auth = await _service.Tokens.CheckAsync(_apiKey.Token).ConfigureAwait(false);
        }
        else
        {
            auth = await _service.Tokens.CheckAsync(token).ConfigureAwait(false);
        }
        if (!auth.IsValid)
        {
            _logger.LogInformation("Join of {Topic} refused: {Reason}", topic, auth.JoinError);
            Send(Serializer.Reply(message.JoinRef, message.Ref, topic, "error", w => WriteReason(w, auth.JoinError)));
            return;
        }

        var config = payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
        var broadcast = Get(config, "broadcast");
        var presence = Get(config, "presence");
        var isPrivate = IsTrue(Get(config, "private"));
        var presenceEnabled = IsTrue(Get(presence, "enabled"));
        ChannelPolicies? policies = null;
        if (isPrivate)
        {
            // Realtime Authorization: the read policies decide the join (checked once here, not per message).
            var (checkedPolicies, refusal) = await CheckReadAsync(ChannelSubscription.NameOf(topic), auth, presenceEnabled).ConfigureAwait(false);
            if (refusal is not null)
            {
                _logger.LogInformation("Join of private {Topic} refused: {Reason}", topic, refusal);
                Send(Serializer.Reply(message.JoinRef, message.Ref, topic, "error", w => WriteReason(w, refusal)));
                return;
            }
            policies = checkedPolicies;
        }
        var presenceKey = Get(presence, "key") is { ValueKind: JsonValueKind.String } k && k.GetString() is { Length: > 0 } key ? key
            : Get(presence, "key") is { ValueKind: JsonValueKind.Number } n ? n.GetRawText()
            : Guid.NewGuid().ToString();
        var bindings = new List<PostgresBinding>();
        if (Get(config, "postgres_changes") is { ValueKind: JsonValueKind.Array } changes)
        {
            foreach (var item in changes.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Null)
                {
                    bindings.Add(PostgresBinding.Parse(item));
                }
            }
        }
        var channel = new ChannelSubscription(this, topic, message.JoinRef ?? message.Ref,
            ack: IsTrue(Get(broadcast, "ack")), self: IsTrue(Get(broadcast, "self")),
            presenceKey, presenceEnabled, bindings, auth, isPrivate, policies);
        lock (_gate)
        {
            _channels[topic] = channel;
        }
        // Registered before the reply: every change committed after the client sees the reply is delivered,
        // unless hosted Supabase's delayed subscription is on (then from "Subscribed to PostgreSQL").
        _service.Subscriptions.Hold(channel);
        _service.Registry.Add(channel);
        Send(Serializer.Reply(message.JoinRef, message.Ref, topic, "ok", w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("postgres_changes");
            foreach (var binding in bindings)
            {
                w.WriteStartObject();
                if (binding.Requested.ValueKind == JsonValueKind.Object)
                {
                    foreach (var property in binding.Requested.EnumerateObject())
                    {
                        if (property.Name != "id")
                        {
                            property.WriteTo(w);
                        }
                    }
                }
                w.WriteNumber("id", binding.Id);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }));
        _logger.LogDebug("Joined {Topic} ({Visibility}) as {Role} with {Bindings} postgres_changes bindings", topic, isPrivate ? "private" : "public", auth.Role, bindings.Count);

        if (channel.PresenceEnabled && channel.CanReceivePresence)
        {
            Send(Serializer.Encode(channel.JoinRef, null, topic, "presence_state", w => _service.Presence.WriteState(w, channel)));
        }
        if (bindings.Count > 0 && _service.Subscriptions.Delayed)
        {
            _service.Subscriptions.ConfirmLater(channel, () => ConfirmBindingsAsync(channel), _lifetime?.Token ?? CancellationToken.None);
        }
        else if (bindings.Count > 0)
        {
            await ConfirmBindingsAsync(channel).ConfigureAwait(false);
        }
        if (IsTrue(Get(broadcast, "replication_ready")))
        {
            _ = NotifyReplicationReadyAsync(channel);
        }
    }

    private async Task ConfirmBindingsAsync(ChannelSubscription channel)
    {
        string? error = null;
        foreach (var binding in channel.Bindings)
        {
            error = binding.Error;
            if (error is null && binding.Table != "*" && binding.Schema != "*")
            {
                var columns = await _service.Catalog.ColumnsAsync(binding.Schema, binding.Table, CancellationToken.None).ConfigureAwait(false);
                var filters = string.Join(", ", binding.Filter.Conditions.Select(f => $"{{\"{f.Column}\", \"{f.Operator.ToString().ToLowerInvariant()}\", \"{string.Join(',', f.Values)}\"}}"));
                var parameters = $"schema: {binding.Schema}, table: {binding.Table}, filters: [{filters}]";
                if (columns is null)
                {
                    error = "Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [" + parameters + "]";
                }
                else if (binding.Filter.Conditions.FirstOrDefault(f => !columns.Contains(f.Column)) is { } bad)
                {
                    error = "Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: [" + parameters + "]. Exception: ERROR P0001 (raise_exception) invalid column for filter " + bad.Column;
                }
            }
            if (error is not null)
            {
                break;
            }
        }
        if (error is null)
        {
            await _service.Subscriptions.StartFlowingAsync(channel, CancellationToken.None).ConfigureAwait(false);
        }
        SendSystem(channel, "postgres_changes", error is null ? "ok" : "error", error ?? "Subscribed to PostgreSQL");
    }

    private async Task NotifyReplicationReadyAsync(ChannelSubscription channel)
    {
        try
        {
            await _service.Replication.Ready.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            if (!channel.IsClosed)
            {
                SendSystem(channel, "system", "ok", "Replication connection established");
            }
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            Shutdown(channel, "Replication connection was not established in time");
        }
    }

    private async Task RefreshTokenAsync(ChannelSubscription channel, PhoenixMessage message)
    {
        var token = GetString(message.Payload, "access_token");
        if (token is null || token.StartsWith("sb_", StringComparison.Ordinal) || token == channel.Auth.Token)
        {
            return;
        }
        var check = await _service.Tokens.CheckAsync(token).ConfigureAwait(false);
        if (!check.IsValid)
        {
            Shutdown(channel, check.ShutdownMessage);
            return;
        }
        if (channel.IsPrivate)
        {
            // Supabase re-evaluates read with the new token (write again on next use) and ends a channel that lost read.
            var previous = channel.Policies;
            var (policies, refusal) = await CheckReadAsync(channel.Name, check, channel.PresenceEnabled).ConfigureAwait(false);
            if (refusal is not null)
            {
                Shutdown(channel, refusal.StartsWith(UnauthorizedCode, StringComparison.Ordinal) ? refusal[UnauthorizedCode.Length..] : UnableToConnectMessage);
                return;
            }
            if ((previous.BroadcastRead == true && policies.BroadcastRead == false) || (previous.PresenceRead == true && policies.PresenceRead == false))
            {
                Shutdown(channel, "You no longer have permission to read from this Channel topic: " + channel.Name);
                return;
            }
            channel.Policies = policies;
        }
        channel.Auth = check;
        if (channel.Bindings.Count > 0)
        {
            await ConfirmBindingsAsync(channel).ConfigureAwait(false);
        }
    }

    private const string UnauthorizedCode = "Unauthorized: ";
    private const string PrivateOnlyReason = "PrivateOnly: This project only allows private channels";
    private const string UnableToConnectMessage = "Realtime was unable to connect to the project database";

    /// <summary>
    /// Read permissions of a private topic; the refusal is the join's <c>reason</c> as Supabase words it (no read
    /// permission, or a policy that fails, is "Unauthorized: ..."), or null when the user may join.
    /// </summary>
    private async Task<(ChannelPolicies Policies, string? Refusal)> CheckReadAsync(string name, TokenCheck user, bool presenceEnabled)
    {
        var unauthorized = UnauthorizedCode + "You do not have permissions to read from this Channel topic: " + name;
        try
        {
            var result = await _service.Authorizer.ReadAsync(ChannelPolicies.Unchecked, name, user, _headersJson.Value, presenceEnabled, _lifetime?.Token ?? CancellationToken.None).ConfigureAwait(false);
            return (result, result.CanJoin ? null : unauthorized);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.CheckViolation)
        {
            _logger.LogWarning("Read check of {Topic} failed: {Error}", name, ex.MessageText);
            return (ChannelPolicies.Unchecked, "MissingPartition: Realtime was unable to find the expected messages partition");
        }
        catch (PostgresException ex)
        {
            // An RLS policy that errors (or a role that does not exist) refuses, as Supabase does.
            _logger.LogWarning("Read check of {Topic} as {Role} failed: {Error}", name, user.Role, ex.MessageText);
            return (ChannelPolicies.Unchecked, unauthorized);
        }
        catch (NpgsqlException ex)
        {
            _logger.LogWarning("Read check of {Topic} could not reach the database: {Error}", name, ex.Message);
            return (ChannelPolicies.Unchecked, "UnableToConnectToProject: " + UnableToConnectMessage);
        }
    }

    /// <summary>
    /// Write permissions of a private channel (broadcast and presence together), checked on first use after a join
    /// or token change and then kept; a presence track also checks presence read when the join did not. Unchecked
    /// (so refused) when the check fails.
    /// </summary>
    private async Task<ChannelPolicies> EnsureWritePoliciesAsync(ChannelSubscription channel, bool presenceTrack = false)
    {
        var policies = channel.Policies;
        var readPresence = presenceTrack && policies.PresenceRead is null;
        if (policies.BroadcastWrite is not null && !readPresence)
        {
            return policies;
        }
        try
        {
            if (readPresence)
            {
                policies = await _service.Authorizer.ReadAsync(policies, channel.Name, channel.Auth, _headersJson.Value, presenceEnabled: true, _lifetime?.Token ?? CancellationToken.None).ConfigureAwait(false);
            }
            if (policies.BroadcastWrite is null)
            {
                policies = await _service.Authorizer.WriteAsync(policies, channel.Name, channel.Auth, _headersJson.Value, _lifetime?.Token ?? CancellationToken.None).ConfigureAwait(false);
            }
            channel.Policies = policies;
            return policies;
        }
        catch (NpgsqlException ex)
        {
            _logger.LogWarning("Write check of {Topic} as {Role} failed: {Error}", channel.Topic, channel.Auth.Role, ex.Message);
            return policies;
        }
    }

    private async Task HandleBroadcastAsync(ChannelSubscription channel, PhoenixMessage message)
    {
        if (channel.IsPrivate && (await EnsureWritePoliciesAsync(channel).ConfigureAwait(false)).BroadcastWrite != true)
        {
            // Supabase drops a broadcast without write permission silently: no delivery and no ack.
            _logger.LogDebug("Broadcast on private {Topic} dropped: no write permission", channel.Topic);
            return;
        }
        if (_frameBytes > _service.Options.MaxPayloadBytes)
        {
            // supabase/realtime broadcast_handler.ex: not relayed; with ack the sender gets an error reply.
            _logger.LogInformation("Broadcast of {Bytes} bytes on {Topic} dropped: over {Max}", _frameBytes, channel.Topic, _service.Options.MaxPayloadBytes);
            if (channel.Ack)
            {
                Send(Serializer.Reply(message.JoinRef, message.Ref, channel.Topic, "error", w => WriteReason(w, "payload_size_exceeded")));
            }
            return;
        }
        var quota = _service.Options.Quota;
        quota?.CountInbound();
        // Encoded once per serializer (null: that serializer cannot carry it), the bytes shared by every target.
        var frames = new Dictionary<PhoenixSerializer, OutboundFrame?>(2);
        foreach (var target in _service.Registry.OnTopic(channel.RoutingKey))
        {
            if (target.IsClosed || (!channel.Self && ReferenceEquals(target, channel)) || !target.CanReceiveBroadcast)
            {
                continue;
            }
            try
            {
                var serializer = target.Session.Serializer;
                if (!frames.TryGetValue(serializer, out var frame))
                {
                    frame = message.Broadcast is { } user
                        ? serializer.EncodeBroadcast(channel.Topic, user)
                        : serializer.Encode(null, null, channel.Topic, "broadcast", w => message.Payload.WriteTo(w));
                    frames[serializer] = frame;
                }
                if (frame is { } f)
                {
                    target.Session.Send(f);
                    if (quota?.CountDelivery() == true)
                    {
                        target.Session.Shutdown(target, TenantQuota.TooManyMessages);
                    }
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One target that cannot take it (a serializer that refuses the payload, a socket going away) stops no other.
                frames[target.Session.Serializer] = null;
                _logger.LogWarning(ex, "Broadcast on {Topic} not delivered to one socket", channel.Topic);
            }
        }
        if (channel.Ack)
        {
            Send(Serializer.Reply(message.JoinRef, message.Ref, channel.Topic, "ok"));
        }
    }

    private async Task HandlePresenceAsync(ChannelSubscription channel, PhoenixMessage message)
    {
        var ev = GetString(message.Payload, "event")?.ToLowerInvariant();
        switch (ev)
        {
            case "track":
                var meta = Get(message.Payload, "payload");
                if (meta.ValueKind == JsonValueKind.Undefined)
                {
                    meta = JsonDocument.Parse("{}").RootElement;
                }
                if (channel.IsPrivate)
                {
                    if ((await EnsureWritePoliciesAsync(channel, presenceTrack: true).ConfigureAwait(false)).PresenceWrite != true)
                    {
                        // Supabase answers a track without presence write with a bare error reply.
                        Send(Serializer.Reply(message.JoinRef, message.Ref, channel.Topic, "error"));
                        return;
                    }
                }
                if (_frameBytes > _service.Options.MaxPayloadBytes)
                {
                    // supabase/realtime realtime_channel.ex handle_in("presence"): payload_size_exceeded ends the channel.
                    Shutdown(channel, "Track message size exceeded");
                    return;
                }
                if (meta.ValueKind != JsonValueKind.Object)
                {
                    Send(Serializer.Reply(message.JoinRef, message.Ref, channel.Topic, "error", w => WriteReason(w, "Presence track payload must be a map")));
                    return;
                }
                channel.PresenceEnabled = true;
                _service.Presence.Track(channel, meta);
                Send(Serializer.Reply(message.JoinRef, message.Ref, channel.Topic, "ok"));
                break;
            case "untrack":
                _service.Presence.Untrack(channel);
                Send(Serializer.Reply(message.JoinRef, message.Ref, channel.Topic, "ok"));
                break;
            default:
                Send(Serializer.Reply(message.JoinRef, message.Ref, channel.Topic, "error"));
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

using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StrideCampus.AiChat.Client.Auth;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>
/// A Supabase Realtime client: one WebSocket (Phoenix channels, serializer 1.0.0 or 2.0.0) with heartbeats, automatic
/// reconnect with backoff and rejoin of every channel, one ordered send queue, and access-token forwarding.
/// </summary>
/// <remarks>
/// Events are raised on the socket's receive loop, in order; an observer that needs another thread (a UI) should
/// observe on its scheduler. Exceptions thrown by observers are caught and logged, never propagated.
/// </remarks>
public class RealtimeClient : IAsyncDisposable
{
    [ThreadStatic]
    private static RealtimeClient? t_dispatching;

    private readonly RealtimeClientOptions _options;
    private readonly IAccessTokenProvider? _tokens;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly PhoenixSerializer _serializer;
    private readonly Uri _endpoint;
    private readonly string _endpointForLogs;
    private readonly Channel<OutgoingFrame> _sendQueue;
    private long _queuedBytes;
    private readonly ConcurrentDictionary<string, PendingReply> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RealtimeChannel> _channels = new(StringComparer.Ordinal);
    private readonly SafeSubject<ConnectionStateChange> _states;
    private readonly IDisposable? _tokenSubscription;
    private readonly Utf8StringCache _names = new(64);
    private readonly List<long> _ids = new(8);
    private readonly PostgresChangeFrame _change = new();
    private volatile ChannelRoute? _lastRoute;
    private long _removals;
    private readonly object _gate = new();
    private long _ref;
    private long _epoch;
    private ConnectionStateChange _current = new(ConnectionState.Disconnected, "not connected");
    private bool _wantConnected;
    private bool _disposed;
    private Task? _runTask;
    private CancellationTokenSource? _runCts;
    private TaskCompletionSource<Exception?> _attempt = NewAttempt();
    private Connection? _connection;
    private string? _accessToken;
    private bool _explicitToken;
    private long _tokenVersion;

    /// <summary>Creates the client; nothing connects until <see cref="ConnectAsync"/> or a channel's <see cref="RealtimeChannel.SubscribeAsync"/>.</summary>
    /// <param name="options">Where and how to connect.</param>
    /// <param name="tokens">The user's access token source; its changes are forwarded to joined channels. Without it, the API key's role is used.</param>
    /// <param name="loggerFactory">Logging (optional).</param>
    public RealtimeClient(RealtimeClientOptions options, IAccessTokenProvider? tokens = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Url);
        ArgumentException.ThrowIfNullOrEmpty(options.ApiKey);
        if (options.HeartbeatInterval <= TimeSpan.Zero || options.Timeout <= TimeSpan.Zero || options.PostgresChangesConfirmTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("HeartbeatInterval, Timeout and PostgresChangesConfirmTimeout must be positive.", nameof(options));
        }

        if (options.RateLimitedRejoinDelay < TimeSpan.Zero)
        {
            throw new ArgumentException("RateLimitedRejoinDelay must not be negative.", nameof(options));
        }

        if (options.MaxMessageSize <= 0 || options.SendBufferByteLimit <= 0 || options.PushBufferByteLimit <= 0)
        {
            throw new ArgumentException("MaxMessageSize, SendBufferByteLimit and PushBufferByteLimit must be positive.", nameof(options));
        }

        _options = options;
        _tokens = tokens;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("StrideCampus.AiChat.Client.Realtime");
        _time = options.TimeProvider ?? TimeProvider.System;
        _serializer = new PhoenixSerializer(options.Version);
        (_endpoint, _endpointForLogs) = BuildEndpoint(options.Url, options.ApiKey, _serializer.VersionString);
        _sendQueue = System.Threading.Channels.Channel.CreateBounded<OutgoingFrame>(new BoundedChannelOptions(Math.Max(1, options.SendBufferLimit))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _states = new SafeSubject<ConnectionStateChange>(_logger, "ConnectionStates", _current);
        if (tokens is not null)
        {
            _tokenSubscription = tokens.AccessTokenChanged.Subscribe(new TokenObserver(this));
        }
    }

    /// <summary>The current socket state.</summary>
    public ConnectionState State => Volatile.Read(ref _current).State;

    /// <summary>Socket state changes with their reasons; a new subscriber first receives the current state. Never fails; completes on dispose.</summary>
    public IObservable<ConnectionStateChange> ConnectionStates => _states;

    internal RealtimeClientOptions Options => _options;

    internal ILogger Logger => _logger;

    internal TimeProvider Time => _time;

    internal PhoenixSerializer Serializer => _serializer;

    /// <summary>Whether a refused (expired) token can be replaced by asking the provider.</summary>
    internal bool CanRefreshToken => _tokens is IRefreshableAccessTokenProvider;

    internal bool IsConnected => Volatile.Read(ref _connection) is { IsOpen: true };

    internal int PendingReplyCount => _pending.Count;

    /// <summary>Whether the open socket has no heartbeat waiting for its reply (for tests).</summary>
    internal bool PendingHeartbeatAnswered => Volatile.Read(ref _connection) is { PendingHeartbeat: null };

    /// <summary>The last token with its version (which grows with every change), read together.</summary>
    internal (string? Token, long Version) CurrentTokenVersion
    {
        get
        {
            lock (_gate)
            {
                return (_accessToken, _tokenVersion);
            }
        }
    }

    /// <summary>The channels currently registered.</summary>
    internal ICollection<RealtimeChannel> Channels => _channels.Values;

    /// <summary>
    /// Opens the socket. Completes when the first attempt succeeds; throws <see cref="RealtimeException"/> when it fails
    /// (the client keeps retrying in the background with backoff until <see cref="DisconnectAsync"/>).
    /// </summary>
    /// <param name="ct">Stops waiting (the connection attempts go on).</param>
    public async Task ConnectAsync(CancellationToken ct = default)
    {
        Task<Exception?> attempt;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_current.State == ConnectionState.Connected && _wantConnected)
            {
                return;
            }

            attempt = _attempt.Task;
            StartLoopLocked();
        }

        var error = await attempt.WaitAsync(ct).ConfigureAwait(false);
        if (error is not null)
        {
            throw new RealtimeException($"Realtime connect failed: {error.Message}", error);
        }
    }

    /// <summary>Closes the socket and stops reconnecting. Channels stay registered and rejoin on the next <see cref="ConnectAsync"/>.</summary>
    /// <param name="ct">Cancels the wait.</param>
    public async Task DisconnectAsync(CancellationToken ct = default)
    {
        Task? run;
        lock (_gate)
        {
            _wantConnected = false;
            run = _runTask;
            _runCts?.Cancel();
        }

        // Called by an observer on the receive loop: the loop ends once that observer returns; waiting here would deadlock.
        if (run is not null && !ReferenceEquals(t_dispatching, this))
        {
            await run.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Returns the channel of topic <c>realtime:{name}</c>, creating it when needed (a socket carries one channel per
    /// topic, so the same name gives the same channel until it is disposed).
    /// </summary>
    /// <param name="name">The channel name (without the <c>realtime:</c> prefix).</param>
    /// <param name="options">Its settings (used when the channel is created).</param>
    public RealtimeChannel Channel(string name, RealtimeChannelOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var topic = name.StartsWith("realtime:", StringComparison.Ordinal) ? name : "realtime:" + name;
        return _channels.GetOrAdd(topic, static (t, state) => new RealtimeChannel(state.Client, t, state.Options ?? new RealtimeChannelOptions()), (Client: this, Options: options));
    }

    /// <summary>
    /// Sets the access token used by every channel: sent as <c>access_token</c> to each joined channel (without
    /// dropping the socket) and carried by every later join.
    /// </summary>
    /// <param name="token">The user's JWT, or <see langword="null"/> to fall back to the API key on later joins.</param>
    /// <param name="ct">Unused; for symmetry.</param>
    public Task SetAuthAsync(string? token, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_gate)
        {
            _explicitToken = true;
        }

        ApplyToken(token);
        return Task.CompletedTask;
    }

    /// <summary>Disposes every channel (completing their streams), closes the socket and stops every loop and timer.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _tokenSubscription?.Dispose();
        foreach (var channel in _channels.Values)
        {
            await channel.DisposeAsync().ConfigureAwait(false);
        }

        await DisconnectAsync().ConfigureAwait(false);
        if (_runTask is null || _runTask.IsCompleted)
        {
            _runCts?.Dispose();
        }
        CancelPending();
        _sendQueue.Writer.TryComplete();
        while (_sendQueue.Reader.TryRead(out var dropped))
        {
            Interlocked.Add(ref _queuedBytes, -dropped.Data.Length);
        }

        SetState(ConnectionState.Disconnected, "disposed");
        _states.OnCompleted();
        GC.SuppressFinalize(this);
    }

    internal string MakeRef() => Interlocked.Increment(ref _ref).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Starts connecting if the app has not (a channel subscribe connects the socket, as in realtime-js).</summary>
    internal void EnsureConnecting()
    {
        lock (_gate)
        {
            if (!_disposed && !_wantConnected)
            {
                StartLoopLocked();
            }
        }
    }

    /// <summary>Queues a frame; frames queue up while the socket is down and are flushed in order on open.</summary>
    internal bool Enqueue(OutgoingFrame frame)
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

    /// <summary>Registers a reply wait for a push; it completes on the reply, after <see cref="RealtimeClientOptions.Timeout"/>, or when the socket drops.</summary>
    internal PendingReply RegisterReply(string @ref, string? joinRef, string topic, Action<PushReply>? callback, TimeSpan? timeout = null)
    {
        var pending = new PendingReply(@ref, joinRef, topic, callback);
        _pending[@ref] = pending;
        pending.SetTimer(_time.CreateTimer(
            static state =>
            {
                var (client, p) = ((RealtimeClient, PendingReply))state!;
                client.CompleteReply(p.Ref, PushReply.TimedOut);
            },
            (this, pending),
            timeout ?? _options.Timeout,
            Timeout.InfiniteTimeSpan));
        return pending;
    }

    internal void CompleteReply(string @ref, PushReply reply)
    {
        if (_pending.TryRemove(@ref, out var pending))
        {
            try
            {
                pending.Complete(reply);
            }
#pragma warning disable CA1031 // A reply handler must not break the loop or a timer thread.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                RealtimeLog.ObserverFailed(_logger, ex, "reply of " + pending.Topic);
            }
        }
    }

    /// <summary>The token a join carries: the provider's current (refreshed) token, or the one set with <see cref="SetAuthAsync"/>.</summary>
    internal async ValueTask<string?> GetJoinTokenAsync(string? rejectedToken = null)
    {
        bool ask;
        lock (_gate)
        {
            ask = _tokens is not null && !_explicitToken;
        }

        if (ask)
        {
            try
            {
                // After the server refused a token (expired), a refreshable provider is asked for another one.
                var token = rejectedToken is not null && _tokens is IRefreshableAccessTokenProvider refreshable
                    ? await refreshable.RefreshAccessTokenAsync(rejectedToken).ConfigureAwait(false)
                    : await _tokens!.GetAccessTokenAsync().ConfigureAwait(false);
                lock (_gate)
                {
                    if (!_explicitToken)
                    {
                        SetTokenLocked(token);
                    }
                }
            }
#pragma warning disable CA1031 // The join then carries the last known token.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                RealtimeLog.TokenProviderFailed(_logger, ex);
            }
        }

        lock (_gate)
        {
            return _accessToken;
        }
    }

    internal void Remove(RealtimeChannel channel)
    {
        _channels.TryRemove(new KeyValuePair<string, RealtimeChannel>(channel.Topic, channel));
        Interlocked.Increment(ref _removals);
    }

    /// <summary>Decodes and dispatches one frame (internal for tests and benchmarks). Malformed frames are logged and dropped.</summary>
    internal void Dispatch(ReadOnlyMemory<byte> data, bool binary, Connection? connection = null)
    {
        IncomingFrame frame;
        try
        {
            frame = binary ? _serializer.DecodeBinary(data) : _serializer.DecodeText(data);
        }
        catch (NotSupportedException)
        {
            RealtimeLog.UnsupportedBinary(_logger, data.Length > 0 ? data.Span[0] : -1);
            return;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException)
        {
            RealtimeLog.MalformedFrame(_logger, ex, binary ? "binary" : "text", data.Length, ex.Message);
            return;
        }

        try
        {
            if (frame.Event == PhoenixEvents.Reply)
            {
                if (frame.Topic == PhoenixEvents.PhoenixTopic && connection is not null && frame.Ref is not null)
                {
                    connection.OnHeartbeatReply(frame.Ref);
                    return;
                }

                HandleReply(in frame);
                return;
            }

            // Frames come in runs of one topic (the decoder hands out one string instance per topic).
            var route = _lastRoute;
            var removals = Volatile.Read(ref _removals);
            RealtimeChannel? channel;
            if (route is not null && ReferenceEquals(route.Topic, frame.Topic) && route.Removals == removals)
            {
                channel = route.Channel;
            }
            else if (_channels.TryGetValue(frame.Topic, out channel))
            {
                _lastRoute = new ChannelRoute(frame.Topic, channel, removals); // a removal since makes it stale
            }
            else
            {
                RealtimeLog.UnknownTopic(_logger, frame.Event, frame.Topic);
                return;
            }

            channel.HandleFrame(in frame, _names, _ids, _change);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or KeyNotFoundException or ArgumentException)
        {
            RealtimeLog.MalformedFrame(_logger, ex, binary ? "binary" : "text", data.Length, ex.Message);
        }
    }

    private void HandleReply(in IncomingFrame frame)
    {
        if (frame.Ref is null
            || !_pending.TryGetValue(frame.Ref, out var pending)
            || pending.Topic != frame.Topic
            || (frame.JoinRef is not null && pending.JoinRef is not null && frame.JoinRef != pending.JoinRef))
        {
            RealtimeLog.UnknownReply(_logger, frame.Ref, frame.Topic);
            return;
        }

        var reply = ParseReply(frame.Payload.Span);
        CompleteReply(frame.Ref, reply);
    }

    private static PushReply ParseReply(ReadOnlySpan<byte> payload)
    {
        var reader = new Utf8JsonReader(payload);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new FormatException("phx_reply payload must be an object");
        }

        string? status = null;
        JsonElement response = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("status"u8))
            {
                reader.Read();
                status = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("response"u8))
            {
                reader.Read();
                response = JsonElement.ParseValue(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new PushReply(status ?? PushReply.Error, response);
    }

    private void ApplyToken(string? token)
    {
        long version;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            version = SetTokenLocked(token);
        }

        if (token is null)
        {
            return;
        }

        foreach (var channel in _channels.Values)
        {
            channel.PushAccessToken(token, version);
        }
    }

    /// <summary>
    /// Every token written gets a new version, whoever writes it (a push or a join's refresh), so a channel never
    /// lets an older token follow a newer one.
    /// </summary>
    private long SetTokenLocked(string? token)
    {
        _accessToken = token;
        return ++_tokenVersion;
    }

    private void StartLoopLocked()
    {
        _wantConnected = true;
        if (_runTask is { IsCompleted: false })
        {
            return;
        }

        _runCts?.Dispose();
        _runCts = new CancellationTokenSource();
        var token = _runCts.Token;
        _runTask = Task.Run(() => RunAsync(token), CancellationToken.None);
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
            var socket = new ClientWebSocket();
            if (!OperatingSystem.IsBrowser())
            {
                // The browser's WebSocket has no keep-alive setting (it throws PlatformNotSupportedException); heartbeats do the work.
                socket.Options.KeepAliveInterval = TimeSpan.Zero;
            }
            string reason;
            Exception? error = null;
            try
            {
                using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(stop))
                {
                    connectTimeout.CancelAfter(_options.Timeout);
                    await socket.ConnectAsync(_endpoint, connectTimeout.Token).ConfigureAwait(false);
                }

                failures = 0;
                (reason, error) = await RunConnectionAsync(socket, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                reason = "disconnected";
                CompleteAttempt(new OperationCanceledException("Disconnected before the socket opened."));
            }
#pragma warning disable CA1031 // Any connect failure is retried.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failures++;
                reason = ex is OperationCanceledException ? "connect timeout" : "connect failed";
                error = ex;
                RealtimeLog.ConnectFailed(_logger, ex is OperationCanceledException ? null : ex, reason);
                CompleteAttempt(ex is OperationCanceledException ? new TimeoutException("The connect timed out.") : ex);
            }
            finally
            {
                socket.Dispose();
            }

            SetState(ConnectionState.Disconnected, reason, error);
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

    private async Task<(string Reason, Exception? Error)> RunConnectionAsync(ClientWebSocket socket, CancellationToken stop)
    {
        using var connectionCts = new CancellationTokenSource();
        using var sendCts = CancellationTokenSource.CreateLinkedTokenSource(connectionCts.Token);
        var connection = new Connection(socket, Interlocked.Increment(ref _epoch), connectionCts);
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
            connection.End("disconnected", null, abort: false);
            sendCts.Cancel();
        }))
        {
            await Task.WhenAny(send, heartbeat, receive).ConfigureAwait(false);
        }

        connection.IsOpen = false;
        Volatile.Write(ref _connection, null);
        if (connection.Reason == "disconnected" && !receive.IsCompleted)
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

        var reason = connection.Reason ?? "socket closed";
        RealtimeLog.Disconnected(_logger, connection.Error, reason);
        CancelPending();
        foreach (var channel in _channels.Values)
        {
            channel.OnSocketDown(reason);
        }

        return (reason, connection.Error);
    }

    private async Task SendLoopAsync(Connection connection, CancellationToken ct)
    {
        var reader = _sendQueue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                await SendQueuedAsync(connection, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            if (connection.Reason == "disconnected")
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
            connection.End("send failed", ex);
        }
    }

    private async Task SendQueuedAsync(Connection connection, CancellationToken ct)
    {
        var reader = _sendQueue.Reader;
        while (reader.TryPeek(out var frame))
        {
            if (frame.IsCurrent is null || frame.IsCurrent())
            {
                // A frame already being written finishes under the connection's lifetime: cancelling a
                // WebSocket send aborts the socket, which would lose a leave queued just before a disconnect.
                ct.ThrowIfCancellationRequested();
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

    private async Task HeartbeatLoopAsync(Connection connection, CancellationToken ct)
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
                await Task.Delay(interval, _time, ct).ConfigureAwait(false);
                if (sent is not null && string.Equals(connection.PendingHeartbeat, sent, StringComparison.Ordinal))
                {
                    RealtimeLog.HeartbeatTimeout(_logger, sent);
                    connection.End("heartbeat timeout", null);
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
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task ReceiveLoopAsync(Connection connection, CancellationToken ct)
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
                            connection.End("message too big", null);
                            await connection.Socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "message too big", ct).ConfigureAwait(false);
                            return;
                        }

                        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, _options.MaxMessageSize));
                        buffer.AsSpan(0, count).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    result = await connection.Socket.ReceiveAsync(buffer.AsMemory(count, Math.Min(buffer.Length, _options.MaxMessageSize) - count), ct).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        var status = connection.Socket.CloseStatus;
                        connection.End(status is null ? "server closed" : $"server closed ({(int)status.Value})", null);
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
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
        {
            connection.End(ex is WebSocketException { WebSocketErrorCode: WebSocketError.ConnectionClosedPrematurely } ? "server closed" : "socket error", ex);
        }
#pragma warning disable CA1031 // A bug in dispatch must not kill the client silently: log it and reconnect.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            RealtimeLog.ReceiveFailed(_logger, ex);
            connection.End("receive failed", ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void CancelPending()
    {
        foreach (var key in _pending.Keys)
        {
            CompleteReply(key, PushReply.Cancelled);
        }
    }

    private void CompleteAttempt(Exception? error)
    {
        TaskCompletionSource<Exception?> attempt;
        lock (_gate)
        {
            attempt = _attempt;
            _attempt = NewAttempt();
        }

        attempt.TrySetResult(error);
    }

    private void SetState(ConnectionState state, string reason, Exception? error = null)
    {
        var change = new ConnectionStateChange(state, reason, error);
        lock (_gate)
        {
            if (_current.State == state && _current.Reason == reason)
            {
                return;
            }

            _current = change;
        }

        _states.OnNext(change);
    }

    private static TaskCompletionSource<Exception?> NewAttempt() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static (Uri Endpoint, string ForLogs) BuildEndpoint(Uri url, string apiKey, string vsn)
    {
        var builder = new UriBuilder(url);
        builder.Scheme = builder.Scheme switch
        {
            "https" => "wss",
            "http" => "ws",
            _ => builder.Scheme,
        };
        var path = builder.Path.TrimEnd('/');
        if (!path.EndsWith("/realtime/v1", StringComparison.Ordinal))
        {
            path += "/realtime/v1";
        }

        builder.Path = path + "/websocket";
        builder.Query = null;
        var forLogs = builder.Uri.ToString();
        builder.Query = "apikey=" + Uri.EscapeDataString(apiKey) + "&vsn=" + vsn;
        return (builder.Uri, forLogs);
    }

    /// <summary>One open socket and its loops.</summary>
    internal sealed class Connection(WebSocket socket, long epoch, CancellationTokenSource cts)
    {
        private string? _pendingHeartbeat;
        private string? _reason;

        public WebSocket Socket { get; } = socket;

        public long Epoch { get; } = epoch;

        /// <summary>Cancelled only when the connection is torn down, after any graceful close.</summary>
        public CancellationToken Lifetime { get; } = cts.Token;

        public volatile bool IsOpen = true;

        public string? PendingHeartbeat
        {
            get => Volatile.Read(ref _pendingHeartbeat);
            set => Volatile.Write(ref _pendingHeartbeat, value);
        }

        public string? Reason => Volatile.Read(ref _reason);

        public Exception? Error { get; private set; }

        public void OnHeartbeatReply(string @ref)
        {
            var pending = Volatile.Read(ref _pendingHeartbeat);
            if (pending is not null && string.Equals(pending, @ref, StringComparison.Ordinal))
            {
                Interlocked.CompareExchange(ref _pendingHeartbeat, null, pending);
            }
        }

        /// <summary>Ends the connection; the first reason wins.</summary>
        public void End(string reason, Exception? error, bool abort = true)
        {
            if (Interlocked.CompareExchange(ref _reason, reason, null) is null)
            {
                Error = error;
                IsOpen = false;
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
    }

    private sealed class TokenObserver(RealtimeClient client) : IObserver<string?>
    {
        public void OnCompleted()
        {
        }

        public void OnError(Exception error) => RealtimeLog.TokenProviderFailed(client._logger, error);

        public void OnNext(string? value)
        {
            lock (client._gate)
            {
                client._explicitToken = false;
            }

            client.ApplyToken(value);
        }
    }
}

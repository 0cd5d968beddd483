using Microsoft.Extensions.Logging;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Realtime.Protocol;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>
/// A Supabase Realtime client: one WebSocket (Phoenix channels, serializer 1.0.0 or 2.0.0) with heartbeats, automatic
/// reconnect with backoff and rejoin of every channel, one ordered send queue, and access-token forwarding.
/// </summary>
/// <remarks>
/// Events are raised on the socket's receive loop, in order; an observer that needs another thread (a UI) should
/// observe on its scheduler. Exceptions thrown by observers are caught and logged, never propagated.
/// The socket comes from <see cref="RealtimeClientOptions.WebSocketFactory"/> (a <c>ClientWebSocket</c> by default).
/// Members are virtual so that an app can mock the client in its unit tests.
/// </remarks>
public class RealtimeClient : IAsyncDisposable
{
    private readonly RealtimeConnector _connector = null!;

    /// <summary>Creates the client; nothing connects until <see cref="ConnectAsync"/> or a channel's <see cref="RealtimeChannel.SubscribeAsync"/>.</summary>
    /// <param name="options">Where and how to connect.</param>
    /// <param name="tokens">The user's access token source; its changes are forwarded to joined channels. Without it, the API key's role is used.</param>
    /// <param name="loggerFactory">Logging (optional).</param>
    public RealtimeClient(RealtimeClientOptions options, IAccessTokenProvider? tokens = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ProjectUrl.Validate(options.Url, options.ApiKey, nameof(options));
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

        _connector = new RealtimeConnector(options, tokens, loggerFactory);
    }

    /// <summary>For mocking: a client with no connection behind it (every member must be set up).</summary>
    protected RealtimeClient()
    {
    }

    /// <summary>The current socket state.</summary>
    public virtual ConnectionState State => _connector.State;

    /// <summary>The provider of the user's tokens, if any (the chat components take the user from it).</summary>
    internal IAccessTokenProvider? Tokens => _connector?.Tokens;

    /// <summary>Socket state changes with their reasons; a new subscriber first receives the current state. Never fails; completes on dispose.</summary>
    public virtual IObservable<ConnectionStateChange> ConnectionStates => _connector.ConnectionStates;

    internal RealtimeConnector Connector => _connector;

    internal RealtimeClientOptions Options => _connector.Options;

    internal bool IsConnected => _connector.IsConnected;

    internal int PendingReplyCount => _connector.PendingReplyCount;

    /// <summary>Whether the open socket has no heartbeat waiting for its reply (for tests).</summary>
    internal bool PendingHeartbeatAnswered => _connector.PendingHeartbeatAnswered;

    /// <summary>
    /// Opens the socket. Completes when the first attempt succeeds; throws <see cref="RealtimeException"/> when it fails
    /// (the client keeps retrying in the background with backoff until <see cref="DisconnectAsync"/>).
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (the connection attempts go on).</param>
    public virtual Task ConnectAsync(CancellationToken cancellationToken = default) => _connector.ConnectAsync(this, cancellationToken);

    /// <summary>Closes the socket and stops reconnecting. Channels stay registered and rejoin on the next <see cref="ConnectAsync"/>.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public virtual Task DisconnectAsync(CancellationToken cancellationToken = default) => _connector.DisconnectAsync(cancellationToken);

    /// <summary>
    /// Returns the channel of topic <c>realtime:{name}</c>, creating it when needed (a socket carries one channel per
    /// topic, so the same name gives the same channel until it is disposed).
    /// </summary>
    /// <param name="name">The channel name (without the <c>realtime:</c> prefix).</param>
    /// <param name="options">Its settings (used when the channel is created).</param>
    public virtual RealtimeChannel Channel(string name, RealtimeChannelOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ObjectDisposedException.ThrowIf(_connector.IsDisposed, this);
        var topic = name.StartsWith("realtime:", StringComparison.Ordinal) ? name : "realtime:" + name;
        var connector = _connector;
        return connector.GetOrAddChannel(topic, t => new ChannelEngine(connector, t, options ?? new RealtimeChannelOptions())).Facade;
    }

    /// <summary>
    /// Sets the access token used by every channel: sent as <c>access_token</c> to each joined channel (without
    /// dropping the socket) and carried by every later join.
    /// </summary>
    /// <param name="token">The user's JWT, or <see langword="null"/> to fall back to the API key on later joins.</param>
    /// <param name="cancellationToken">Unused; for symmetry.</param>
    public virtual Task SetAuthAsync(string? token, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_connector.IsDisposed, this);
        _connector.SetAuth(token);
        return Task.CompletedTask;
    }

    /// <summary>Disposes every channel (completing their streams), closes the socket and stops every loop and timer.</summary>
    public virtual async ValueTask DisposeAsync()
    {
        if (_connector is not null)
        {
            await _connector.DisposeAsync().ConfigureAwait(false);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Kills the open socket the way a network failure would (for tests); false when none is open.</summary>
    internal bool AbortSocket() => _connector.AbortSocket();

    /// <summary>Queues a frame (for tests).</summary>
    internal bool Enqueue(OutgoingFrame frame) => _connector.Enqueue(frame);

    /// <summary>Decodes and dispatches one frame (internal for tests and benchmarks). Malformed frames are logged and dropped.</summary>
    internal void Dispatch(ReadOnlyMemory<byte> data, bool binary) => _connector.Dispatch(data, binary);
}

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>A joined channel of one socket: topic, join ref, config from the join and the current token.</summary>
internal sealed class ChannelSubscription(
    RealtimeSocketSession session,
    string topic,
    string? joinRef,
    bool ack,
    bool self,
    string presenceKey,
    bool presenceEnabled,
    IReadOnlyList<PostgresBinding> bindings,
    TokenCheck auth)
{
    private TokenCheck _auth = auth;
    private volatile bool _presenceEnabled = presenceEnabled;
    private volatile bool _closed;

    public RealtimeSocketSession Session { get; } = session;

    /// <summary><c>realtime:{name}</c>.</summary>
    public string Topic { get; } = topic;

    /// <summary>The name without the <c>realtime:</c> prefix (the <c>channel</c> of system messages).</summary>
    public string Name => Topic["realtime:".Length..];

    public string? JoinRef { get; } = joinRef;

    public bool Ack { get; } = ack;

    public bool Self { get; } = self;

    public string PresenceKey { get; } = presenceKey;

    public bool PresenceEnabled { get => _presenceEnabled; set => _presenceEnabled = value; }

    public IReadOnlyList<PostgresBinding> Bindings { get; } = bindings;

    /// <summary>The token (claims and role) changes are checked with; replaced by <c>access_token</c>.</summary>
    public TokenCheck Auth { get => Volatile.Read(ref _auth); set => Volatile.Write(ref _auth, value); }

    public bool IsClosed => _closed;

    public void MarkClosed() => _closed = true;
}

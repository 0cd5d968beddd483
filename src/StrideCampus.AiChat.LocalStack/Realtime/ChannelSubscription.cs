namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>A joined channel of one socket: topic, join ref, config from the join, the current token and, when private, its policies.</summary>
internal sealed class ChannelSubscription(
    RealtimeSocketSession session,
    string topic,
    string? joinRef,
    bool ack,
    bool self,
    string presenceKey,
    bool presenceEnabled,
    IReadOnlyList<PostgresBinding> bindings,
    TokenCheck auth,
    bool isPrivate = false,
    ChannelPolicies? policies = null)
{
    private TokenCheck _auth = auth;
    private ChannelPolicies _policies = policies ?? ChannelPolicies.Unchecked;
    private volatile bool _presenceEnabled = presenceEnabled;
    private volatile bool _closed;
    private long _changesAfterLsn;

    public RealtimeSocketSession Session { get; } = session;

    /// <summary><c>realtime:{name}</c>.</summary>
    public string Topic { get; } = topic;

    /// <summary>The name without the <c>realtime:</c> prefix (the <c>channel</c> of system messages).</summary>
    public string Name => NameOf(Topic);

    public string? JoinRef { get; } = joinRef;

    /// <summary>Joined with <c>config.private</c>: authorised by the policies on <c>realtime.messages</c>.</summary>
    public bool IsPrivate { get; } = isPrivate;

    /// <summary>
    /// Where broadcasts and presence of this channel meet: Supabase keeps a private channel and a public
    /// one of the same name apart, so neither hears the other.
    /// </summary>
    public string RoutingKey { get; } = RoutingKeyOf(topic, isPrivate);

    /// <summary>What the user may do on a private channel (unused on a public one); replaced after each check.</summary>
    public ChannelPolicies Policies { get => Volatile.Read(ref _policies); set => Volatile.Write(ref _policies, value); }

    /// <summary>Whether broadcasts reach this channel: always on a public channel, with broadcast read on a private one.</summary>
    public bool CanReceiveBroadcast => !IsPrivate || Policies.BroadcastRead == true;

    /// <summary>Whether presence state and diffs reach this channel: always on a public channel, with presence read on a private one.</summary>
    public bool CanReceivePresence => !IsPrivate || Policies.PresenceRead == true;

    public bool Ack { get; } = ack;

    public bool Self { get; } = self;

    public string PresenceKey { get; } = presenceKey;

    public bool PresenceEnabled { get => _presenceEnabled; set => _presenceEnabled = value; }

    public IReadOnlyList<PostgresBinding> Bindings { get; } = bindings;

    /// <summary>The token (claims and role) changes are checked with; replaced by <c>access_token</c>.</summary>
    public TokenCheck Auth { get => Volatile.Read(ref _auth); set => Volatile.Write(ref _auth, value); }

    public bool IsClosed => _closed;

    /// <summary>
    /// Changes reach the bindings only when committed after this WAL position: 0 for every change (bindings
    /// registered before the join reply), <see cref="long.MaxValue"/> while the subscription is not confirmed yet.
    /// </summary>
    public long ChangesAfterLsn { get => Interlocked.Read(ref _changesAfterLsn); set => Interlocked.Exchange(ref _changesAfterLsn, value); }

    /// <summary>Whether a change committed at <paramref name="commitLsn"/> flows to this channel's bindings.</summary>
    public bool ReceivesChangeAt(ulong commitLsn) => ChangesAfterLsn is var after && (after == 0 || (after != long.MaxValue && commitLsn > (ulong)after));

    public void MarkClosed() => _closed = true;

    public static string RoutingKeyOf(string topic, bool isPrivate) => isPrivate ? "private|" + topic : topic;

    /// <summary>The name of a <c>realtime:{name}</c> topic, before a subscription to it exists.</summary>
    public static string NameOf(string topic) => topic["realtime:".Length..];
}

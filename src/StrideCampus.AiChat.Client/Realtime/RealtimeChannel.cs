using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>
/// A Phoenix channel on the realtime socket (topic <c>realtime:{name}</c>): postgres_changes, broadcast and presence.
/// After <see cref="SubscribeAsync"/> the channel stays joined: it rejoins by itself after errors, reconnects and
/// closes by the server (except permission refusals), reporting <see cref="SubscribeStatus.Subscribed"/> again after
/// each rejoin (consumers then refetch and reconcile). With postgres_changes bindings, Subscribed means that changes
/// flow: it is reported on the server's "Subscribed to PostgreSQL" (or after
/// <see cref="RealtimeClientOptions.PostgresChangesConfirmTimeout"/>), and again on each later one.
/// </summary>
public class RealtimeChannel : IAsyncDisposable
{
    private const string MismatchReason = "mismatch between server and client bindings for postgres changes";

    private readonly RealtimeClient _client;
    private readonly RealtimeChannelOptions _options;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly List<PostgresBinding> _bindings = [];
    private readonly Dictionary<string, SafeSubject<BroadcastMessage>> _broadcasts = new(StringComparer.Ordinal);
    private readonly SafeSubject<ChannelStatusChange> _statuses;
    private readonly SafeSubject<PresenceSnapshot> _presence;
    private readonly PresenceTracker _presenceTracker = new();
    private readonly SizedQueue<BufferedPush> _pushBuffer = new(static p => p.Body.Length);
    private PostgresBinding[] _bindingSnapshot = [];
    private ChannelState _state = ChannelState.Closed;
    private string? _joinRef;
    private string? _joinToken;
    private long _pushedTokenVersion;
    private bool _wantJoined;
    private bool _disposed;
    private bool _joinedOnce;
    private bool _tracked;
    private byte[]? _trackedMeta;
    private int _rejoinAttempts;
    private ITimer? _rejoinTimer;
    private TaskCompletionSource? _subscribed;
    private string? _rejectedToken;
    private string? _lastServerError;
    private readonly PostgresConfirmation _confirmation = new();

    internal RealtimeChannel(RealtimeClient client, string topic, RealtimeChannelOptions options)
    {
        _client = client;
        _options = options;
        _logger = client.Logger;
        Topic = topic;
        _statuses = new SafeSubject<ChannelStatusChange>(_logger, topic + " statuses", replayLatest: true);
        _presence = new SafeSubject<PresenceSnapshot>(_logger, topic + " presence", replayLatest: true);
    }

    /// <summary>The Phoenix topic, <c>realtime:{name}</c>.</summary>
    public string Topic { get; }

    /// <summary>The channel state.</summary>
    public ChannelState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>Subscription statuses (the latest is replayed to a new subscriber). Never fails; completes on dispose.</summary>
    public IObservable<ChannelStatusChange> Statuses => _statuses;

    /// <summary>Presence snapshots after each <c>presence_state</c>/<c>presence_diff</c> (the latest is replayed). Observing before the join enables presence.</summary>
    public IObservable<PresenceSnapshot> Presence => _presence;

    internal string? JoinRef
    {
        get
        {
            lock (_gate)
            {
                return _joinRef;
            }
        }
    }

    /// <summary>
    /// Registers a postgres_changes binding; call before <see cref="SubscribeAsync"/> (bindings are part of the join).
    /// Events arrive for the binding whose server-assigned id is in the event's <c>ids</c>.
    /// </summary>
    /// <param name="filter">Which changes to receive.</param>
    /// <exception cref="InvalidOperationException">The channel is already subscribed.</exception>
    public IObservable<PostgresChangeEvent> OnPostgresChanges(PostgresChangesFilter filter) => AddBinding(filter, null).Subject;

    /// <summary>
    /// Registers a postgres_changes binding whose changes go to <paramref name="observer"/> as parsed in place, on
    /// the receive loop (the SDK's chat feed: it reads rows straight from the frame). Exceptions it throws are
    /// logged. Call before <see cref="SubscribeAsync"/>.
    /// </summary>
    internal void OnPostgresChangeFrames(PostgresChangesFilter filter, Action<PostgresChangeFrame> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        AddBinding(filter, observer);
    }

    private PostgresBinding AddBinding(PostgresChangesFilter filter, Action<PostgresChangeFrame>? observer)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentException.ThrowIfNullOrEmpty(filter.Schema);
        ArgumentException.ThrowIfNullOrEmpty(filter.Table);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_wantJoined)
            {
                throw new InvalidOperationException("Register postgres_changes bindings before SubscribeAsync (they are part of the join).");
            }

            var binding = new PostgresBinding(filter, new SafeSubject<PostgresChangeEvent>(_logger, Topic + " postgres_changes")) { FrameObserver = observer };
            _bindings.Add(binding);
            Volatile.Write(ref _bindingSnapshot, [.. _bindings]);
            return binding;
        }
    }

    /// <summary>Broadcasts of one event (<c>"*"</c> for every event).</summary>
    /// <param name="event">The user event name, or <c>"*"</c>.</param>
    public IObservable<BroadcastMessage> OnBroadcast(string @event)
    {
        ArgumentException.ThrowIfNullOrEmpty(@event);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_broadcasts.TryGetValue(@event, out var subject))
            {
                _broadcasts[@event] = subject = new SafeSubject<BroadcastMessage>(_logger, Topic + " broadcast " + @event);
            }

            return subject;
        }
    }

    /// <summary>
    /// Joins the channel (connecting the socket if needed). Completes on the first <see cref="SubscribeStatus.Subscribed"/>;
    /// throws <see cref="RealtimeException"/> when the socket does not connect within <see cref="RealtimeClientOptions.Timeout"/>,
    /// or the join is refused, times out, or the bindings mismatch. Unless the
    /// bindings mismatched, Realtime Authorization refused a private channel (the server's reason then starts with
    /// <c>Unauthorized:</c>) or the project allows private channels only (<c>PrivateOnly:</c>; see
    /// <see cref="RealtimeException.IsPermissionRefusal"/>), the channel keeps rejoining by itself with backoff.
    /// </summary>
    /// <param name="ct">Stops waiting (the channel stays subscribing; call <see cref="UnsubscribeAsync"/> to stop).</param>
    public async Task SubscribeAsync(CancellationToken ct = default)
    {
        Task wait;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_wantJoined && _state == ChannelState.Joined && !_confirmation.Awaiting)
            {
                return;
            }

            if (!_wantJoined)
            {
                _wantJoined = true;
                _rejoinAttempts = 0;
            }

            _subscribed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            wait = _subscribed.Task;
        }

        _client.EnsureConnecting();
        StartJoin();
        if (!_client.IsConnected)
        {
            // The join (and its timeout) starts only once the socket is open: bound the wait for that too.
            await _client.WaitConnectedAsync(ct).ConfigureAwait(false);
        }

        await wait.WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Leaves the channel (waiting for the server's reply up to the timeout) and stops rejoining.</summary>
    /// <param name="ct">Cancels the wait.</param>
    public async Task UnsubscribeAsync(CancellationToken ct = default)
    {
        PendingReply? leave = null;
        var closedNow = false;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            StopLocked(new RealtimeException("The channel was unsubscribed."));
            if (_state is ChannelState.Joined or ChannelState.Joining && _client.IsConnected && _joinRef is not null)
            {
                _state = ChannelState.Leaving;
                var @ref = _client.MakeRef();
                leave = _client.RegisterReply(@ref, _joinRef, Topic, null);
                EnqueueLocked(PhoenixEvents.Leave, @ref, EmptyObject, Always);
            }
            else if (_state != ChannelState.Closed)
            {
                _state = ChannelState.Closed;
                closedNow = true;
            }
        }

        if (leave is not null)
        {
            await leave.Task.WaitAsync(ct).ConfigureAwait(false);
            lock (_gate)
            {
                if (_state == ChannelState.Leaving)
                {
                    _state = ChannelState.Closed;
                    closedNow = true;
                }
            }
        }

        if (closedNow)
        {
            RealtimeLog.ChannelClosed(_logger, Topic, "unsubscribed");
            _statuses.OnNext(new ChannelStatusChange(SubscribeStatus.Closed, "unsubscribed"));
        }
    }

    /// <summary>
    /// Sends a broadcast to the channel's other subscribers. The channel must be subscribed; a send made before the
    /// join completes is buffered and flushed on join. With <see cref="RealtimeChannelOptions.BroadcastAck"/> it waits
    /// for the server's acknowledgement.
    /// </summary>
    /// <param name="event">The user event name.</param>
    /// <param name="payload">The JSON payload.</param>
    /// <param name="ct">Cancels the wait.</param>
    public Task SendBroadcastAsync(string @event, JsonElement payload, CancellationToken ct = default) =>
        SendBroadcastAsync(@event, payload, static (w, p) => p.WriteTo(w), ct);

    /// <summary>Sends a broadcast whose payload <paramref name="writePayload"/> writes straight into the frame (no document).</summary>
    internal async Task SendBroadcastAsync<TState>(string @event, TState state, Action<Utf8JsonWriter, TState> writePayload, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(@event);
        ArgumentNullException.ThrowIfNull(writePayload);
        var binary = _client.Options.BinaryBroadcasts && _client.Options.Version == RealtimeSerializerVersion.V2;
        var body = binary
            ? Serialize((State: state, Write: writePayload), static (w, s) => s.Write(w, s.State))
            : Serialize((Event: @event, State: state, Write: writePayload), static (w, s) =>
            {
                w.WriteStartObject();
                w.WriteString("type"u8, "broadcast");
                w.WriteString("event"u8, s.Event);
                w.WritePropertyName("payload"u8);
                s.Write(w, s.State);
                w.WriteEndObject();
            });
        var push = new BufferedPush(PhoenixEvents.Broadcast, body, _options.BroadcastAck) { BinaryEvent = binary ? @event : null };
        await PushAsync(push, ct).ConfigureAwait(false);
    }

    /// <summary>Tracks this client's presence with <paramref name="meta"/> (re-tracked automatically after a rejoin).</summary>
    /// <param name="meta">The presence metadata (a JSON object).</param>
    /// <param name="ct">Cancels the wait.</param>
    public async Task TrackAsync(JsonElement meta, CancellationToken ct = default)
    {
        var body = PresencePayload("track", meta);
        lock (_gate)
        {
            _tracked = true;
            _trackedMeta = body;
        }

        await PushAsync(new BufferedPush(PhoenixEvents.Presence, body, ExpectReply: true), ct).ConfigureAwait(false);
    }

    /// <summary>Stops tracking this client's presence.</summary>
    /// <param name="ct">Cancels the wait.</param>
    public async Task UntrackAsync(CancellationToken ct = default)
    {
        lock (_gate)
        {
            _trackedMeta = null;
        }

        await PushAsync(new BufferedPush(PhoenixEvents.Presence, PresencePayload("untrack", null), ExpectReply: true), ct).ConfigureAwait(false);
    }

    /// <summary>Leaves the channel (without waiting), stops every timer, and completes every stream of the channel.</summary>
    public ValueTask DisposeAsync()
    {
        string? joinRef;
        lock (_gate)
        {
            if (_disposed)
            {
                return ValueTask.CompletedTask;
            }

            StopLocked(new ObjectDisposedException(nameof(RealtimeChannel)));
            joinRef = _joinRef;
            if (_state is ChannelState.Joined or ChannelState.Joining && _client.IsConnected && joinRef is not null)
            {
                EnqueueLocked(PhoenixEvents.Leave, _client.MakeRef(), EmptyObject, Always);
            }

            _state = ChannelState.Closed;
            _joinRef = null;
            _disposed = true;
        }

        if (joinRef is not null)
        {
            _client.CompleteReply(joinRef, PushReply.Cancelled);
        }

        _client.Remove(this);
        _statuses.OnCompleted();
        _presence.OnCompleted();
        foreach (var binding in Volatile.Read(ref _bindingSnapshot))
        {
            binding.Subject.OnCompleted();
        }

        SafeSubject<BroadcastMessage>[] broadcasts;
        lock (_gate)
        {
            broadcasts = [.. _broadcasts.Values];
        }

        foreach (var subject in broadcasts)
        {
            subject.OnCompleted();
        }

        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    // ---- called by the client ----

    internal void OnSocketOpen()
    {
        lock (_gate)
        {
            _rejoinAttempts = 0;
            CancelRejoinLocked();
        }

        StartJoin();
    }

    internal void OnSocketDown(string reason)
    {
        var errored = false;
        var closed = false;
        lock (_gate)
        {
            if (_state is ChannelState.Joined or ChannelState.Joining)
            {
                _state = ChannelState.Errored;
                errored = true;
            }
            else if (_state == ChannelState.Leaving)
            {
                _state = ChannelState.Closed;
                closed = true;
            }

            // The socket reconnects by itself; the rejoin follows its open.
            CancelRejoinLocked();
            _confirmation.Reset();
        }

        if (errored)
        {
            RealtimeLog.ChannelErrored(_logger, Topic, reason);
            _statuses.OnNext(new ChannelStatusChange(SubscribeStatus.ChannelError, reason));
        }
        else if (closed)
        {
            _statuses.OnNext(new ChannelStatusChange(SubscribeStatus.Closed, reason));
        }
    }

    internal void PushAccessToken(string token, long version)
    {
        lock (_gate)
        {
            // Pushes race (a token change on one thread, the end of a join on another): an older token must
            // never follow a newer one.
            if (version < _pushedTokenVersion || _state != ChannelState.Joined || _joinRef is null || !_client.IsConnected)
            {
                return;
            }

            _pushedTokenVersion = version;
            if (token == _joinToken)
            {
                return;
            }

            _joinToken = token;
            EnqueueLocked(PhoenixEvents.AccessToken, _client.MakeRef(), Serialize(token, static (w, t) =>
            {
                w.WriteStartObject();
                w.WriteString("access_token"u8, t);
                w.WriteEndObject();
            }), null);
        }

        RealtimeLog.AccessTokenPushed(_logger, Topic);
    }

    internal void HandleFrame(in IncomingFrame frame, Utf8StringCache names, List<long> ids, PostgresChangeFrame change)
    {
        // Written under the lock; read without it on every frame (each read is atomic, and a join racing a frame
        // is decided by the join ref either way).
        var current = Volatile.Read(ref _joinRef);
        var state = _state;

        if (frame.JoinRef is not null && frame.JoinRef != current)
        {
            RealtimeLog.StaleJoinRef(_logger, Topic, frame.Event, frame.JoinRef);
            return;
        }

        switch (frame.Event)
        {
            case PhoenixEvents.PostgresChanges when state is ChannelState.Joined or ChannelState.Joining:
                HandlePostgresChanges(frame.Payload, names, ids, change);
                break;
            case PhoenixEvents.Broadcast when state is ChannelState.Joined or ChannelState.Joining:
                HandleBroadcast(in frame);
                break;
            case PhoenixEvents.PresenceState when state is ChannelState.Joined or ChannelState.Joining:
                HandlePresence(ParsePayload(frame.Payload.Span), isState: true);
                break;
            case PhoenixEvents.PresenceDiff when state is ChannelState.Joined or ChannelState.Joining:
                HandlePresence(ParsePayload(frame.Payload.Span), isState: false);
                break;
            case PhoenixEvents.System:
                HandleSystem(ParsePayload(frame.Payload.Span));
                break;
            case PhoenixEvents.Error:
                HandleServerError();
                break;
            case PhoenixEvents.Close:
                HandleServerClose();
                break;
            default:
                break;
        }
    }

    // ---- join ----

    private void StartJoin() => _ = JoinSafeAsync();

    private async Task JoinSafeAsync()
    {
        try
        {
            await JoinAsync().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A failed join is retried by the rejoin timer; it must not surface on a pool thread.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            RealtimeLog.ObserverFailed(_logger, ex, Topic + " join");
            lock (_gate)
            {
                if (_state == ChannelState.Joining)
                {
                    _state = ChannelState.Errored;
                    ScheduleRejoinLocked();
                }
            }
        }
    }

    private async Task JoinAsync()
    {
        string joinRef;
        lock (_gate)
        {
            if (_disposed || !_wantJoined || _state is ChannelState.Joining or ChannelState.Joined or ChannelState.Leaving || !_client.IsConnected)
            {
                return;
            }

            CancelRejoinLocked();
            joinRef = _client.MakeRef();
            _joinRef = joinRef;
            _state = ChannelState.Joining;
            _confirmation.Reset();
            _lastServerError = null;
            _presenceTracker.Reset();
        }

        RealtimeLog.ChannelJoining(_logger, Topic, joinRef);
        string? rejected;
        lock (_gate)
        {
            rejected = _rejectedToken;
            _rejectedToken = null;
        }

        var token = await _client.GetJoinTokenAsync(rejected).ConfigureAwait(false);
        lock (_gate)
        {
            if (_joinRef != joinRef || _state != ChannelState.Joining)
            {
                return;
            }

            _joinToken = token;
            var payload = JoinPayloadLocked(token);
            _client.RegisterReply(joinRef, joinRef, Topic, reply => HandleJoinReply(joinRef, reply));
            var data = _client.Serializer.EncodeText(joinRef, joinRef, Topic, PhoenixEvents.Join, payload, static (w, p) => w.WriteRawValue(p, skipInputValidation: true));
            _client.Enqueue(new OutgoingFrame(data, false, Topic, PhoenixEvents.Join, () => IsCurrentJoin(joinRef)));
        }
    }

    private bool IsCurrentJoin(string joinRef)
    {
        lock (_gate)
        {
            return _joinRef == joinRef && _state == ChannelState.Joining;
        }
    }

    private byte[] JoinPayloadLocked(string? token)
    {
        var presenceEnabled = _options.PresenceEnabled || _tracked || _presence.HasObservers;
        return Serialize((Channel: this, Token: token, Presence: presenceEnabled), static (w, s) =>
        {
            var options = s.Channel._options;
            w.WriteStartObject();
            w.WriteStartObject("config"u8);
            w.WriteStartObject("broadcast"u8);
            w.WriteBoolean("ack"u8, options.BroadcastAck);
            w.WriteBoolean("self"u8, options.BroadcastSelf);
            w.WriteEndObject();
            w.WriteStartObject("presence"u8);
            w.WriteString("key"u8, options.PresenceKey);
            w.WriteBoolean("enabled"u8, s.Presence);
            w.WriteEndObject();
            w.WriteStartArray("postgres_changes"u8);
            foreach (var binding in s.Channel._bindings)
            {
                w.WriteStartObject();
                w.WriteString("event"u8, EventName(binding.Filter.Event));
                w.WriteString("schema"u8, binding.Filter.Schema);
                w.WriteString("table"u8, binding.Filter.Table);
                if (!string.IsNullOrEmpty(binding.Filter.Filter))
                {
                    w.WriteString("filter"u8, binding.Filter.Filter);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteBoolean("private"u8, options.Private);
            w.WriteEndObject();
            if (s.Token is not null)
            {
                w.WriteString("access_token"u8, s.Token);
            }

            w.WriteEndObject();
        });
    }

    private void HandleJoinReply(string joinRef, PushReply reply)
    {
        ChannelStatusChange? status = null;
        TaskCompletionSource? subscribed = null;
        Exception? failure = null;
        var resubscribed = false;
        string? freshToken = null;
        long freshVersion = 0;
        lock (_gate)
        {
            if (_joinRef != joinRef || _state != ChannelState.Joining)
            {
                return;
            }

            switch (reply.Status)
            {
                case PushReply.Ok when !MatchBindingsLocked(reply.Response):
                    RealtimeLog.BindingMismatch(_logger, Topic);
                    EnqueueLocked(PhoenixEvents.Leave, _client.MakeRef(), EmptyObject, Always);
                    _state = ChannelState.Errored;
                    failure = new RealtimeException(MismatchReason) { Status = SubscribeStatus.ChannelError };
                    status = new ChannelStatusChange(SubscribeStatus.ChannelError, MismatchReason, failure);
                    StopLocked(failure); // no rejoin: the same bindings would mismatch again
                    break;
                case PushReply.Ok:
                    _state = ChannelState.Joined;
                    _rejoinAttempts = 0;
                    resubscribed = _joinedOnce;
                    _joinedOnce = true;
                    FlushLocked();
                    if (resubscribed && _trackedMeta is not null)
                    {
                        EnqueueLocked(PhoenixEvents.Presence, _client.MakeRef(), _trackedMeta, null);
                    }

                    if (_bindings.Count > 0)
                    {
                        // Not flowing yet: the server subscribes to the database after this reply, and changes flow
                        // from its "Subscribed to PostgreSQL" (PostgresConfirmation), which reports Subscribed.
                        _confirmation.Begin(joinRef, resubscribed, _client.Time, _client.Options.PostgresChangesConfirmTimeout, OnConfirmationTimeout);
                        RealtimeLog.AwaitingPostgresChanges(_logger, Topic);
                        (freshToken, freshVersion) = _client.CurrentTokenVersion;
                        break;
                    }

                    subscribed = _subscribed;
                    _subscribed = null;
                    status = new ChannelStatusChange(SubscribeStatus.Subscribed, resubscribed ? "rejoined" : "joined");
                    break;
                case PushReply.Error:
                    _state = ChannelState.Errored;
                    if (reply.Reason.Contains("token", StringComparison.OrdinalIgnoreCase))
                    {
                        _rejectedToken = _joinToken ?? "";
                    }

                    RealtimeLog.ChannelJoinRefused(_logger, Topic, reply.Reason);
                    var refusal = ServerReasons.Classify(reply.Reason);
                    var refused = refusal == ServerReasonKind.PermissionRefused;
                    var privateOnly = ServerReasons.IsPrivateOnly(reply.Reason);
                    var unauthorized = refused && !privateOnly;
                    failure = new RealtimeException($"Join of {Topic} refused: {reply.Reason}")
                    {
                        Status = SubscribeStatus.ChannelError,
                        IsPermissionRefusal = refused,
                        IsAuthorizationRefusal = unauthorized,
                        IsPrivateOnlyRefusal = privateOnly,
                    };
                    status = new ChannelStatusChange(SubscribeStatus.ChannelError, reply.Reason, failure);
                    if (refused)
                    {
                        // Realtime Authorization refused a private channel, or the project refuses public ones: retrying
                        // is refused again, so stop (a later SubscribeAsync tries again) instead of rejoining forever.
                        // The waiting SubscribeAsync fails after the status goes out, not before (below).
                        subscribed = _subscribed;
                        _subscribed = null;
                        StopLocked(failure);
                    }
                    else
                    {
                        // "ClientJoinRateLimitReached: Too many joins per second" and the like: not sooner than the floor.
                        ScheduleRejoinLocked(refusal == ServerReasonKind.RateLimited ? _client.Options.RateLimitedRejoinDelay : null);
                    }

                    break;
                case PushReply.Timeout:
                    RealtimeLog.ChannelJoinTimedOut(_logger, Topic);
                    EnqueueLocked(PhoenixEvents.Leave, _client.MakeRef(), EmptyObject, Always);
                    _state = ChannelState.Errored;
                    failure = new RealtimeException($"Join of {Topic} timed out.") { Status = SubscribeStatus.TimedOut };
                    status = new ChannelStatusChange(SubscribeStatus.TimedOut, "join timed out", failure);
                    ScheduleRejoinLocked();
                    break;
                default:
                    return; // cancelled: the socket went down, OnSocketDown reports it.
            }

            if (failure is not null)
            {
                subscribed ??= _subscribed;
                _subscribed = null;
            }

            if (status?.Status == SubscribeStatus.Subscribed)
            {
                (freshToken, freshVersion) = _client.CurrentTokenVersion;
            }
        }

        // The status goes out before SubscribeAsync completes, so whatever the caller reads once it returns
        // (a feed's IsConnected) already reflects the join.
        if (status is not null)
        {
            _statuses.OnNext(status);
        }

        if (failure is null)
        {
            if (status is not null)
            {
                RealtimeLog.ChannelSubscribed(_logger, Topic);
            }

            subscribed?.TrySetResult();
        }
        else
        {
            subscribed?.TrySetException(failure);
        }

        if (freshToken is not null)
        {
            // The token changed while the join was in flight.
            PushAccessToken(freshToken, freshVersion);
        }
    }

    private bool MatchBindingsLocked(JsonElement response)
    {
        if (_bindings.Count == 0)
        {
            return true;
        }

        if (response.ValueKind != JsonValueKind.Object
            || !response.TryGetProperty("postgres_changes"u8, out var server)
            || server.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        var entries = server.EnumerateArray().ToArray();
        var used = new bool[entries.Length];
        foreach (var binding in _bindings)
        {
            binding.ClearServerId();
            for (var i = 0; i < entries.Length; i++)
            {
                if (!used[i] && binding.Matches(entries[i], EventName(binding.Filter.Event), out var id))
                {
                    used[i] = true;
                    binding.SetServerId(id);
                    break;
                }
            }

            if (!binding.HasServerId)
            {
                return false;
            }
        }

        return true;
    }

    private void ScheduleRejoinLocked(TimeSpan? floor = null)
    {
        if (_disposed || !_wantJoined)
        {
            return;
        }

        CancelRejoinLocked();
        var attempt = ++_rejoinAttempts;
        var delay = (_client.Options.RejoinDelay ?? Backoff.Base)(attempt);
        if (floor is { } least && delay < least)
        {
            delay = least;
        }

        RealtimeLog.RejoinScheduled(_logger, Topic, attempt, delay);
        _rejoinTimer = _client.Time.CreateTimer(static s => ((RealtimeChannel)s!).OnRejoinTimer(), this, delay, Timeout.InfiniteTimeSpan);
    }

    private void OnRejoinTimer()
    {
        lock (_gate)
        {
            _rejoinTimer?.Dispose();
            _rejoinTimer = null;
        }

        StartJoin();
    }

    private void CancelRejoinLocked()
    {
        _rejoinTimer?.Dispose();
        _rejoinTimer = null;
    }

    /// <summary>Stops wanting the channel: no rejoin, the pending subscribe and buffered pushes fail.</summary>
    private void StopLocked(Exception reason)
    {
        _wantJoined = false;
        CancelRejoinLocked();
        _confirmation.Reset();
        _subscribed?.TrySetException(reason);
        _subscribed = null;
        while (_pushBuffer.TryDequeue(out var push))
        {
            push.Completion.TrySetException(reason);
        }
    }

    // ---- pushes ----

    private async Task PushAsync(BufferedPush push, CancellationToken ct)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_wantJoined)
            {
                throw new RealtimeException($"Channel {Topic} is not subscribed: call SubscribeAsync first.");
            }

            if (_state == ChannelState.Joined && _client.IsConnected)
            {
                SendLocked(push);
            }
            else if (!_pushBuffer.HasRoomFor(push, _client.Options.PushBufferLimit, _client.Options.PushBufferByteLimit))
            {
                RealtimeLog.PushBufferFull(_logger, Topic, _client.Options.PushBufferLimit);
                throw new RealtimeException($"Channel {Topic} is not joined and its push buffer is full.");
            }
            else
            {
                _pushBuffer.Enqueue(push);
            }
        }

        PushReply reply;
        try
        {
            reply = await push.Completion.Task.WaitAsync(_client.Options.Timeout, _client.Time, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            push.Completion.TrySetResult(PushReply.TimedOut);
            reply = PushReply.TimedOut;
        }

        if (!reply.IsOk)
        {
            throw new RealtimeException($"Push {push.Event} on {Topic} failed: {reply.Reason}");
        }
    }

    private void FlushLocked()
    {
        while (_pushBuffer.TryDequeue(out var push))
        {
            if (!push.Completion.Task.IsCompleted)
            {
                SendLocked(push);
            }
        }
    }

    private void SendLocked(BufferedPush push)
    {
        var @ref = _client.MakeRef();
        if (push.ExpectReply)
        {
            _client.RegisterReply(@ref, _joinRef, Topic, reply => push.Completion.TrySetResult(reply));
        }

        var queued = push.BinaryEvent is not null
            ? EnqueueBinaryLocked(@ref, push.BinaryEvent, push.Body)
            : EnqueueLocked(push.Event, @ref, push.Body, null);
        if (!queued)
        {
            _client.CompleteReply(@ref, new PushReply(PushReply.Error, default));
            push.Completion.TrySetResult(new PushReply(PushReply.Error, default));
        }
        else if (!push.ExpectReply)
        {
            push.Completion.TrySetResult(new PushReply(PushReply.Ok, default));
        }
    }

    private bool EnqueueLocked(string @event, string @ref, byte[] payload, Func<bool>? isCurrent)
    {
        var joinRef = _joinRef;
        var data = _client.Serializer.EncodeText(joinRef, @ref, Topic, @event, payload, static (w, p) => w.WriteRawValue(p, skipInputValidation: true));
        return _client.Enqueue(new OutgoingFrame(data, false, Topic, @event, isCurrent ?? (() => IsJoinRef(joinRef))));
    }

    private bool EnqueueBinaryLocked(string @ref, string userEvent, byte[] payload)
    {
        var joinRef = _joinRef;
        var data = PhoenixSerializer.EncodeUserBroadcastPush(joinRef, @ref, Topic, userEvent, payload, payloadIsJson: true);
        return _client.Enqueue(new OutgoingFrame(data, true, Topic, PhoenixEvents.Broadcast, () => IsJoinRef(joinRef)));
    }

    private bool IsJoinRef(string? joinRef)
    {
        lock (_gate)
        {
            return _joinRef == joinRef;
        }
    }

    // ---- incoming ----

    private void HandlePostgresChanges(ReadOnlyMemory<byte> payload, Utf8StringCache names, List<long> ids, PostgresChangeFrame change)
    {
        try
        {
            PostgresChangeParser.Parse(payload, change, ids, names);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException)
        {
            RealtimeLog.ChangeDropped(_logger, ex, Topic, ex.Message);
            return;
        }

        PostgresChangeEvent? copied = null; // built once, for the public observers, only when one is there
        var bindings = Volatile.Read(ref _bindingSnapshot);
        foreach (var binding in bindings)
        {
            // No ids (an old server): route by what the binding asked for.
            var matches = ids.Count > 0
                ? binding.HasServerId && ids.Contains(binding.ServerId) && binding.AcceptsType(change.Type)
                : binding.Accepts(change);
            if (!matches)
            {
                continue;
            }

            if (binding.FrameObserver is { } observer)
            {
                try
                {
                    observer(change);
                }
                catch (Exception ex)
                {
                    RealtimeLog.ObserverFailed(_logger, ex, Topic + " postgres_changes");
                }
            }
            else if (binding.Subject.HasObservers)
            {
                try
                {
                    copied ??= change.ToEvent();
                }
                catch (Exception ex) when (ex is FormatException or JsonException)
                {
                    RealtimeLog.ChangeDropped(_logger, ex, Topic, ex.Message);
                    return;
                }

                binding.Subject.OnNext(copied);
            }
        }
    }

    private void HandleBroadcast(in IncomingFrame frame)
    {
        BroadcastMessage message;
        if (frame.BroadcastEvent is not null)
        {
            var meta = frame.BroadcastMeta.Length > 0 ? ParsePayload(frame.BroadcastMeta.Span) : (JsonElement?)null;
            message = frame.BroadcastPayloadIsJson
                ? new BroadcastMessage(frame.BroadcastEvent, ParsePayload(frame.Payload.Span)) { Meta = meta }
                : new BroadcastMessage(frame.BroadcastEvent, default) { BinaryPayload = frame.Payload.ToArray(), Meta = meta };
        }
        else
        {
            var payload = ParsePayload(frame.Payload.Span);
            if (payload.ValueKind != JsonValueKind.Object
                || !payload.TryGetProperty("event"u8, out var ev)
                || ev.ValueKind != JsonValueKind.String)
            {
                throw new FormatException("broadcast payload without event");
            }

            var inner = payload.TryGetProperty("payload"u8, out var p) ? p : default;
            message = new BroadcastMessage(ev.GetString()!, inner)
            {
                Meta = payload.TryGetProperty("meta"u8, out var m) ? m : null,
            };
        }

        SafeSubject<BroadcastMessage>? specific, all;
        lock (_gate)
        {
            _broadcasts.TryGetValue(message.Event, out specific);
            _broadcasts.TryGetValue("*", out all);
        }

        specific?.OnNext(message);
        if (!ReferenceEquals(all, specific))
        {
            all?.OnNext(message);
        }
    }

    private void HandlePresence(JsonElement payload, bool isState)
    {
        IReadOnlyList<PresenceSnapshot> snapshots;
        lock (_gate)
        {
            if (isState)
            {
                snapshots = _presenceTracker.ApplyState(payload);
            }
            else
            {
                var snapshot = _presenceTracker.ApplyDiff(payload);
                snapshots = snapshot is null ? [] : [snapshot];
            }
        }

        foreach (var snapshot in snapshots)
        {
            _presence.OnNext(snapshot);
        }
    }

    private void HandleSystem(JsonElement payload)
    {
        string? status = null, message = null, extension = null;
        if (payload.ValueKind == JsonValueKind.Object)
        {
            status = StringOf(payload, "status"u8);
            message = StringOf(payload, "message"u8);
            extension = StringOf(payload, "extension"u8);
        }

        if (status == "error")
        {
            lock (_gate)
            {
                if (message is not null && message.Contains("token", StringComparison.OrdinalIgnoreCase))
                {
                    _rejectedToken = _joinToken ?? "";
                }

                // A phx_close that follows carries no reason: this is it (shutdown_response in realtime_channel.ex).
                _lastServerError = message;
            }

            RealtimeLog.SystemError(_logger, Topic, extension, message);
            _statuses.OnNext(new ChannelStatusChange(
                SubscribeStatus.ChannelError,
                message ?? "system error",
                new RealtimeException(message ?? "system error") { Status = SubscribeStatus.ChannelError }));
        }
        else
        {
            RealtimeLog.SystemMessage(_logger, Topic, extension, message);
            if (status != "ok" || extension != "postgres_changes")
            {
                return;
            }

            string reason;
            TaskCompletionSource? subscribed = null;
            var outcome = ConfirmationOutcome.None;
            lock (_gate)
            {
                if (_state != ChannelState.Joined)
                {
                    return;
                }

                outcome = _confirmation.Confirm();
                switch (outcome)
                {
                    case ConfirmationOutcome.First:
                        reason = _confirmation.IsRejoin ? "rejoined" : "joined";
                        subscribed = _subscribed;
                        _subscribed = null;
                        break;
                    case ConfirmationOutcome.Again:
                        // The server subscribed to the database again on this join (change capture restarted, an
                        // error recovered, a token refreshed): changes may have been missed, so consumers catch up.
                        reason = "postgres_changes resubscribed";
                        break;
                    default:
                        return;
                }
            }

            _statuses.OnNext(new ChannelStatusChange(SubscribeStatus.Subscribed, reason));
            if (outcome == ConfirmationOutcome.First)
            {
                RealtimeLog.ChannelSubscribed(_logger, Topic);
            }

            subscribed?.TrySetResult();
        }
    }

    /// <summary>No "Subscribed to PostgreSQL" in time: report Subscribed anyway (consumers load); a late one reports it again.</summary>
    private void OnConfirmationTimeout(string joinRef)
    {
        TaskCompletionSource? subscribed;
        lock (_gate)
        {
            if (_joinRef != joinRef || _state != ChannelState.Joined || !_confirmation.TimeOut(joinRef))
            {
                return;
            }

            subscribed = _subscribed;
            _subscribed = null;
        }

        RealtimeLog.PostgresChangesUnconfirmed(_logger, Topic, _client.Options.PostgresChangesConfirmTimeout);
        _statuses.OnNext(new ChannelStatusChange(SubscribeStatus.Subscribed, "postgres_changes not confirmed in time"));
        subscribed?.TrySetResult();
    }

    private void HandleServerError()
    {
        string? joinRef;
        lock (_gate)
        {
            if (_state is ChannelState.Closed or ChannelState.Leaving or ChannelState.Errored)
            {
                return;
            }

            joinRef = _state == ChannelState.Joining ? _joinRef : null;
            _state = ChannelState.Errored;
            _confirmation.Reset();
            ScheduleRejoinLocked();
        }

        if (joinRef is not null)
        {
            _client.CompleteReply(joinRef, PushReply.Cancelled);
        }

        RealtimeLog.ChannelErrored(_logger, Topic, "phx_error");
        _statuses.OnNext(new ChannelStatusChange(SubscribeStatus.ChannelError, "phx_error"));
    }

    /// <summary>
    /// The server ended the channel. Unless the app asked (a leave), the channel comes back: Supabase closes channels
    /// for transient reasons (rate limits, database or RPC failures during a token refresh, replication not ready), so it
    /// rejoins with backoff, not sooner than <see cref="RealtimeClientOptions.RateLimitedRejoinDelay"/> after a rate
    /// limit; only a permission refusal stops it, reported as <see cref="SubscribeStatus.Closed"/> with the server's reason.
    /// </summary>
    private void HandleServerClose()
    {
        ChannelStatusChange status;
        string? joinRef;
        lock (_gate)
        {
            if (_state == ChannelState.Closed)
            {
                return;
            }

            var reason = _lastServerError;
            _lastServerError = null;
            joinRef = _state == ChannelState.Joining ? _joinRef : null;
            _confirmation.Reset();
            var kind = ServerReasons.Classify(reason);
            if (_state == ChannelState.Leaving || !_wantJoined || kind == ServerReasonKind.PermissionRefused)
            {
                var failure = new RealtimeException(reason is null ? $"Channel {Topic} was closed by the server." : $"Channel {Topic} was closed by the server: {reason}")
                {
                    Status = SubscribeStatus.Closed,
                    IsPermissionRefusal = kind == ServerReasonKind.PermissionRefused,
                    IsAuthorizationRefusal = kind == ServerReasonKind.PermissionRefused && !ServerReasons.IsPrivateOnly(reason),
                };
                StopLocked(failure);
                _state = ChannelState.Closed;
                status = new ChannelStatusChange(SubscribeStatus.Closed, reason ?? "closed by server", kind == ServerReasonKind.PermissionRefused ? failure : null);
            }
            else
            {
                _state = ChannelState.Errored;
                ScheduleRejoinLocked(kind == ServerReasonKind.RateLimited ? _client.Options.RateLimitedRejoinDelay : null);
                var text = reason ?? "closed by server";
                status = new ChannelStatusChange(
                    SubscribeStatus.ChannelError,
                    text,
                    new RealtimeException($"Channel {Topic} was closed by the server ({text}); rejoining.") { Status = SubscribeStatus.ChannelError });
            }
        }

        if (joinRef is not null)
        {
            _client.CompleteReply(joinRef, PushReply.Cancelled);
        }

        if (status.Status == SubscribeStatus.Closed)
        {
            RealtimeLog.ChannelClosed(_logger, Topic, "phx_close: " + status.Reason);
        }
        else
        {
            RealtimeLog.ChannelErrored(_logger, Topic, "closed by server (" + status.Reason + "); rejoining");
        }

        _statuses.OnNext(status);
    }

    // ---- helpers ----

    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

    /// <summary>Leaves are sent even though the channel moved on (they end the server side of that join).</summary>
    private static readonly Func<bool> Always = static () => true;

    private static string EventName(PostgresChangeEventFilter filter) => filter switch
    {
        PostgresChangeEventFilter.Insert => "INSERT",
        PostgresChangeEventFilter.Update => "UPDATE",
        PostgresChangeEventFilter.Delete => "DELETE",
        _ => "*",
    };

    private static string? StringOf(JsonElement element, ReadOnlySpan<byte> name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static JsonElement ParsePayload(ReadOnlySpan<byte> payload)
    {
        var reader = new Utf8JsonReader(payload);
        return JsonElement.ParseValue(ref reader);
    }

    private static byte[] PresencePayload(string @event, JsonElement? meta) =>
        Serialize((Event: @event, Meta: meta), static (w, s) =>
        {
            w.WriteStartObject();
            w.WriteString("type"u8, "presence");
            w.WriteString("event"u8, s.Event);
            if (s.Meta is { } m)
            {
                w.WritePropertyName("payload"u8);
                m.WriteTo(w);
            }

            w.WriteEndObject();
        });

    private static byte[] Serialize<TState>(TState state, Action<Utf8JsonWriter, TState> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer, state);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private sealed record BufferedPush(string Event, byte[] Body, bool ExpectReply)
    {
        public TaskCompletionSource<PushReply> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string? BinaryEvent { get; init; }
    }
}

using System.Text.Json;
using Microsoft.Extensions.Logging;
using StrideCampus.AiChat.Client.Realtime.Protocol;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>
/// The engine behind <see cref="RealtimeChannel"/>: the join (states in <see cref="ChannelJoinMachine"/>), rejoin
/// with backoff, postgres_changes bindings and their confirmation, buffered pushes, and the frames the connector
/// routes to its topic. Broadcast and presence live in <see cref="ChannelBroadcasts"/> and <see cref="ChannelPresence"/>.
/// </summary>
/// <remarks>
/// Ownership and locks:
/// <list type="bullet">
/// <item><c>_gate</c> guards the join state (<c>_state</c>, <c>_joinRef</c>, <c>_wantJoined</c>, the confirmation,
/// tokens, the rejoin timer, the push buffer and <c>_subscribed</c>). Under it the engine only computes: it fires the
/// pure state machine and hands frames to the connector's lock-free leaf calls (<c>MakeRef</c>, <c>Enqueue</c>,
/// <c>RegisterReply</c>, which never block, lock or call back), so that a join ref and the frames sent under it stay
/// in order. Tasks it completes under the gate run their continuations asynchronously.</item>
/// <item>Status, change, broadcast and presence observers, reply cancellation and token pushes run after the gate is
/// released; statuses go out before the waiting <c>SubscribeAsync</c> completes.</item>
/// <item>Frames arrive on the connector's receive loop only; they read the join ref and state without the gate
/// (each read is atomic; a join racing a frame is decided by the join ref either way).</item>
/// <item>Lock order: the gate is a leaf. No other lock is taken under it, and it is never taken by code the
/// connector runs while holding a lock (the connector holds none when it calls in).</item>
/// <item>Also called under the gate, as leaves that never call back into the SDK: <see cref="TimeProvider"/> timers
/// (created and disposed), log calls, and <c>CompleteReply</c> for a push that could not be queued (its callback
/// only completes the push's asynchronous task).</item>
/// </list>
/// </remarks>
internal sealed partial class ChannelEngine : IRoutedChannel
{
    private const string MismatchReason = "mismatch between server and client bindings for postgres changes";

    private readonly RealtimeConnector _connector;
    private readonly RealtimeChannelOptions _options;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly List<PostgresBinding> _bindings = [];
    private readonly ChannelBroadcasts _broadcasts;
    private readonly ChannelPresence _presence;
    private readonly SafeSubject<ChannelStatusChange> _statuses;
    private PostgresBinding[] _bindingSnapshot = [];
    private ChannelState _state = ChannelState.Closed;
    private string? _joinRef;
    private bool _wantJoined;
    private bool _disposed;

    public ChannelEngine(RealtimeConnector connector, string topic, RealtimeChannelOptions options)
    {
        _connector = connector;
        _options = options;
        _logger = connector.Logger;
        Topic = topic;
        _statuses = new SafeSubject<ChannelStatusChange>(_logger, topic + " statuses", replayLatest: true);
        _presence = new ChannelPresence(_logger, topic);
        _broadcasts = new ChannelBroadcasts(_logger, topic);
        Facade = new RealtimeChannel(this);
    }

    /// <summary>The public channel over this engine (one per engine).</summary>
    public RealtimeChannel Facade { get; }

    public string Topic { get; }

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

    public IObservable<ChannelStatusChange> Statuses => _statuses;

    public IObservable<PresenceSnapshot> Presence => _presence.Snapshots;

    public string? JoinRef
    {
        get
        {
            lock (_gate)
            {
                return _joinRef;
            }
        }
    }

    public IObservable<PostgresChangeEvent> OnPostgresChanges(PostgresChangesFilter filter) => AddBinding(filter, null).Subject;

    public void OnPostgresChangeFrames(PostgresChangesFilter filter, Action<PostgresChangeFrame> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        AddBinding(filter, observer);
    }

    public IObservable<BroadcastMessage> OnBroadcast(string @event)
    {
        ArgumentException.ThrowIfNullOrEmpty(@event);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), Facade);
        return _broadcasts.Observe(@event);
    }

    public async Task SubscribeAsync(CancellationToken cancellationToken)
    {
        Task wait;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, Facade);
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

        _connector.EnsureConnecting();
        StartJoin();
        if (!_connector.IsConnected)
        {
            // The join (and its timeout) starts only once the socket is open: bound the wait for that too.
            await _connector.WaitConnectedAsync(cancellationToken).ConfigureAwait(false);
        }

        await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task UnsubscribeAsync(CancellationToken cancellationToken)
    {
        PendingReply? leave = null;
        var closedNow = false;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, Facade);
            StopLocked(new RealtimeException("The channel was unsubscribed."));
            if (ChannelJoinMachine.HasJoin(_state) && _connector.IsConnected && _joinRef is not null)
            {
                _state = Fire(ChannelTrigger.Leave);
                var @ref = _connector.MakeRef();
                leave = _connector.RegisterReply(@ref, _joinRef, Topic, null);
                EnqueueLocked(PhoenixEvents.Leave, @ref, ChannelPayloads.EmptyObject, Always);
            }
            else if (ChannelJoinMachine.TryFire(_state, ChannelTrigger.Stop, out var stopped))
            {
                _state = stopped;
                closedNow = true;
            }
        }

        if (leave is not null)
        {
            await leave.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                if (ChannelJoinMachine.TryFire(_state, ChannelTrigger.LeaveReplied, out var closed))
                {
                    _state = closed;
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
            if (ChannelJoinMachine.HasJoin(_state) && _connector.IsConnected && joinRef is not null)
            {
                EnqueueLocked(PhoenixEvents.Leave, _connector.MakeRef(), ChannelPayloads.EmptyObject, Always);
            }

            _state = ChannelState.Closed; // disposal ends the channel from any state
            _joinRef = null;
            _disposed = true;
        }

        if (joinRef is not null)
        {
            _connector.CompleteReply(joinRef, PushReply.Cancelled);
        }

        _connector.Remove(this);
        _statuses.OnCompleted();
        _presence.Complete();
        foreach (var binding in Volatile.Read(ref _bindingSnapshot))
        {
            binding.Subject.OnCompleted();
        }

        _broadcasts.Complete();
        return ValueTask.CompletedTask;
    }

    private PostgresBinding AddBinding(PostgresChangesFilter filter, Action<PostgresChangeFrame>? observer)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentException.ThrowIfNullOrEmpty(filter.Schema);
        ArgumentException.ThrowIfNullOrEmpty(filter.Table);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, Facade);
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

    /// <summary>The state after <paramref name="trigger"/> (which must apply: the caller checked the state).</summary>
    private ChannelState Fire(ChannelTrigger trigger) =>
        ChannelJoinMachine.TryFire(_state, trigger, out var next)
            ? next
            : throw new InvalidOperationException($"No transition from {_state} on {trigger}.");
}

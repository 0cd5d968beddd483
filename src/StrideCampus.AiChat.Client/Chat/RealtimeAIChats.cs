using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Realtime;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// Live changes of a user's AI chat sessions and messages (the seed's <c>useRealtimeAIChats</c>): typed
/// streams for sessions and messages created, updated and deleted, the active session, and the
/// connection status. Subscriptions are filtered on the server by <c>user_id</c> (and by
/// <c>session_id</c> when <see cref="SessionId"/> is set); deletes, which the server cannot filter and
/// which carry only the id, are reported only for rows this instance knows to be the user's.
/// Disposing ends every subscription and completes every stream.
/// </summary>
public partial class RealtimeAIChats : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly IChatChangeFeed _feed;
    private readonly IChatDataSource? _seed;
    private readonly IAsyncDisposable? _owned;
    private readonly RealtimeAIChatsOptions _options;
    private readonly ILogger _logger;
    private readonly IScheduler _timer;
    private readonly Subject<ChatChange> _changes = new();
    private readonly Subject<Guid?> _active = new();
    private readonly BehaviorSubject<ChatConnectionStatus> _status = new(ChatConnectionStatus.Initial);
    private readonly CompositeDisposable _subscriptions = [];
    private readonly HashSet<Guid> _sessionIds = [];
    private readonly HashSet<Guid> _messageIds = [];
    private readonly SerialDisposable _pendingNull = new();
    private readonly IAccessTokenProvider? _tokens; // set by the public constructors, checked by StartAsync
    private readonly Guid _userId;
    private readonly Guid? _sessionId;
    private Guid? _activeId;
    private object? _activeBoxed; // _activeId for lock-free reads
    private ChatConnectionState _lastState = ChatConnectionStatus.Initial.State; // of the last status queued (under the gate)
    private bool _started;
    private int _disposed;

    internal RealtimeAIChats(
        IChatChangeFeed feed,
        IChatDataSource? seed,
        Guid userId,
        RealtimeAIChatsOptions? options = null,
        ILoggerFactory? loggerFactory = null,
        IAsyncDisposable? ownedResources = null)
    {
        ArgumentNullException.ThrowIfNull(feed);
        if (userId == Guid.Empty)
        {
            throw new ArgumentException("The user id must not be empty.", nameof(userId));
        }

        _options = options ?? new RealtimeAIChatsOptions();
        if (_options.SessionId == Guid.Empty)
        {
            throw new ArgumentException("The session id must not be empty.", nameof(options));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(_options.ActiveSessionSettleDelay, TimeSpan.Zero, nameof(options));
        _feed = feed;
        _seed = seed;
        _owned = ownedResources;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<RealtimeAIChats>();
        // A timer on the immediate scheduler would sleep on the delivering thread: the settle delay runs on the default one.
        _timer = _options.Scheduler is { } scheduler and not ImmediateScheduler and not CurrentThreadScheduler ? scheduler : DefaultScheduler.Instance;
        _userId = userId;
        _sessionId = _options.SessionId;

        // Locals, not the (virtual) properties: nothing overridable runs in the constructor.
        var changes = Notify(_changes);
        var active = Notify(_active);
        var status = Notify(_status);
        Changes = changes;
        SessionCreated = changes.OfType<SessionChange>().Where(c => c.Kind == ChatChangeKind.SessionCreated).Select(c => c.Session);
        SessionUpdated = changes.OfType<SessionChange>().Where(c => c.Kind == ChatChangeKind.SessionUpdated).Select(c => c.Session);
        SessionDeleted = changes.OfType<SessionDeletion>().Select(c => c.Id);
        MessageCreated = changes.OfType<MessageChange>().Where(c => c.Kind == ChatChangeKind.MessageCreated).Select(c => c.Message);
        MessageUpdated = changes.OfType<MessageChange>().Where(c => c.Kind == ChatChangeKind.MessageUpdated).Select(c => c.Message);
        MessageDeleted = changes.OfType<MessageDeletion>().Select(c => c.Id);
        ActiveSessionChanged = active;
        ConnectionStatus = status;
        if (_options.Callbacks is { } callbacks)
        {
            WireCallbacks(callbacks, changes, active, status);
        }
    }

    /// <summary>The user whose chats are watched.</summary>
    public virtual Guid UserId => _userId;

    /// <summary>The session whose messages are watched, or null for all of the user's messages.</summary>
    public virtual Guid? SessionId => _sessionId;

    /// <summary>Every change, in commit order (the streams below are filtered views of it).</summary>
    public virtual IObservable<ChatChange> Changes { get; }

    /// <summary>Sessions created (the seed's <c>onSessionCreated</c>).</summary>
    public virtual IObservable<ChatSession> SessionCreated { get; }

    /// <summary>Sessions updated: title, active status, ... (the seed's <c>onSessionUpdated</c>).</summary>
    public virtual IObservable<ChatSession> SessionUpdated { get; }

    /// <summary>Ids of the user's sessions deleted (the seed's <c>onSessionDeleted</c>).</summary>
    public virtual IObservable<Guid> SessionDeleted { get; }

    /// <summary>Messages created, user and assistant (the seed's <c>onMessageCreated</c>).</summary>
    public virtual IObservable<ChatMessage> MessageCreated { get; }

    /// <summary>Messages updated, such as a streamed reply growing (the seed's <c>onMessageUpdated</c>).</summary>
    public virtual IObservable<ChatMessage> MessageUpdated { get; }

    /// <summary>Ids of the user's messages deleted (the seed's <c>onMessageDeleted</c>).</summary>
    public virtual IObservable<Guid> MessageDeleted { get; }

    /// <summary>
    /// The id of the session that became active, or null when the active session was deactivated or
    /// deleted and no other became active (the seed's <c>onActiveSessionChanged</c>).
    /// </summary>
    public virtual IObservable<Guid?> ActiveSessionChanged { get; }

    /// <summary>The connection status; replays the current value to a new subscriber.</summary>
    public virtual IObservable<ChatConnectionStatus> ConnectionStatus { get; }

    /// <summary>The current connection status.</summary>
    public virtual ChatConnectionStatus CurrentStatus => _status.Value;

    /// <summary>Whether changes arrive live (the seed's <c>isConnected</c>).</summary>
    public virtual bool IsConnected => _status.Value.IsConnected;

    /// <summary>The active session as last seen, if known.</summary>
    public virtual Guid? ActiveSessionId
    {
        get
        {
            return Volatile.Read(ref _activeBoxed) is Guid id ? id : null;
        }
    }

    /// <summary>
    /// Subscribes (once): joins the realtime channel, then, once changes flow, reads the active session (one row); it
    /// reads it again whenever changes may have been missed (a rejoin, a restart of the server's change capture).
    /// Deletes are attributed by the deletion log, which names each row's session: nothing else is loaded, whatever
    /// the history's size. Completes when changes flow and the active session is known.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when subscribed.</returns>
    /// <exception cref="ChatOperationException">The subscription failed (it keeps retrying in the background).</exception>
    /// <exception cref="ArgumentException">The user id is not the access token's user (checked before any request).</exception>
    public virtual async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_tokens is not null)
        {
            await TokenUser.ResolveAsync(_tokens, _userId, "userId", cancellationToken).ConfigureAwait(false);
        }

        lock (_gate)
        {
            if (_started)
            {
                return;
            }

            _started = true;
        }

        _subscriptions.Add(_feed.Status.Subscribe(OnStatus));
        _subscriptions.Add(_feed.Changes.Subscribe(OnChange));
        _subscriptions.Add(_feed.Resubscribed.Subscribe(_ => Reseed()));
        try
        {
            await _feed.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The first later subscription reports Resubscribed, which loads the rows.
            ChatLog.SubscriptionFailed(_logger, ex);
            throw new ChatOperationException(
                ex is RealtimeException { IsPermissionRefusal: true }
                    ? "The AI chat realtime subscription was refused by the server and is not retried: " + ex.Message
                    : "The AI chat realtime subscription failed; it keeps retrying.",
                ex);
        }

        // Read only now that changes flow: a switch committed before is in the read, one after arrives as a change.
        await SeedAsync(initial: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ends every subscription and completes every stream.</summary>
    /// <returns>A task that completes when the channel is left.</returns>
    public virtual async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _subscriptions.Dispose();
        _pendingNull.Dispose();
        await _feed.DisposeAsync().ConfigureAwait(false);
        if (_owned is not null)
        {
            await _owned.DisposeAsync().ConfigureAwait(false);
        }

        // After every notice queued before; no lock held while observers run.
        EnqueueCompletion();
        DeliverNotices();
    }

    private void SetActiveLocked(Guid? id)
    {
        _activeId = id;
        Volatile.Write(ref _activeBoxed, id is { } value ? value : null);
    }

    // App code runs where the app asked, by default on the task pool, never on the receive loop unless the app chose
    // ImmediateScheduler (then there is no hop to make).
    private IObservable<T> Notify<T>(IObservable<T> source) =>
        (_options.Scheduler ?? DefaultStoreScheduler.Instance) is var scheduler && scheduler is ImmediateScheduler
            ? source.AsObservable()
            : source.ObserveOn(scheduler);

    private void OnStatus(ChatConnectionStatus status)
    {
        lock (_gate)
        {
            if (_disposed == 0 && _lastState != status.State)
            {
                ChatLog.SubscriptionStatus(_logger, status.State, status.Reason);
                _lastState = status.State;
                Enqueue(status);
            }
        }

        DeliverNotices();
    }

    private void OnChange(ChatChange change)
    {
        lock (_gate)
        {
            if (_disposed != 0)
            {
                return;
            }

            if (!Accept(change))
            {
                ChatLog.RealtimeChangeIgnored(_logger, change.Kind, change.Id, "not this user's or outside the session filter");
                return;
            }

            ChatLog.RealtimeChange(_logger, change.Kind, change.Id);
            Enqueue(change);
            TrackActive(change);
        }

        DeliverNotices();
    }

    /// <summary>Whether a change concerns a row of this user (and session), updating the known ids.</summary>
    private bool Accept(ChatChange change)
    {
        switch (change)
        {
            case SessionChange s:
                if (s.Session.UserId != _userId)
                {
                    return false;
                }

                _sessionIds.Add(change.Id);
                return true;
            case SessionDeletion:
                // From the deletion log (filtered by user and RLS): the user's own, nothing to look up.
                return _sessionIds.Remove(change.Id) | change.LoggedSessionId is not null;
            case MessageChange m:
                if (m.Message.UserId != _userId ||
                    (_sessionId is { } sid && m.Message.SessionId != sid))
                {
                    return false;
                }

                _messageIds.Add(change.Id);
                return true;
            case MessageDeletion:
                // The log carries the message's session, so a session filter needs no list of the session's messages.
                return _messageIds.Remove(change.Id) |
                    (change.LoggedSessionId is { } from && (_sessionId is not { } watched || from == watched));
            default:
                return false;
        }
    }

    private void TrackActive(ChatChange change)
    {
        switch (change)
        {
            case SessionChange { Session.IsActive: true }:
                if (_activeId != change.Id)
                {
                    EnqueueSettle(schedule: false);
                    SetActiveLocked(change.Id);
                    ChatLog.ActiveSessionChanged(_logger, change.Id);
                    EnqueueActive(change.Id);
                }

                break;
            case SessionChange { Kind: ChatChangeKind.SessionUpdated } or SessionDeletion when _activeId == change.Id:
                // A switch is a deactivation followed by an activation: report null only if none follows.
                SetActiveLocked(null);
                EnqueueSettle(schedule: true);
                break;
        }
    }

    private void ReportNoActiveSession()
    {
        lock (_gate)
        {
            if (_disposed == 0 && _activeId is null)
            {
                ChatLog.ActiveSessionChanged(_logger, null);
                EnqueueActive(null);
            }
        }

        DeliverNotices();
    }

    private void WireCallbacks(RealtimeAIChatsCallbacks callbacks, IObservable<ChatChange> changes, IObservable<Guid?> active, IObservable<ChatConnectionStatus> status)
    {
        _subscriptions.Add(changes.Subscribe(change =>
        {
            switch (change)
            {
                case SessionChange { Kind: ChatChangeKind.SessionCreated } s:
                    Invoke(callbacks.OnSessionCreated, s.Session, nameof(callbacks.OnSessionCreated));
                    break;
                case SessionChange s:
                    Invoke(callbacks.OnSessionUpdated, s.Session, nameof(callbacks.OnSessionUpdated));
                    break;
                case SessionDeletion:
                    Invoke(callbacks.OnSessionDeleted, change.Id, nameof(callbacks.OnSessionDeleted));
                    break;
                case MessageChange { Kind: ChatChangeKind.MessageCreated } m:
                    Invoke(callbacks.OnMessageCreated, m.Message, nameof(callbacks.OnMessageCreated));
                    break;
                case MessageChange m:
                    Invoke(callbacks.OnMessageUpdated, m.Message, nameof(callbacks.OnMessageUpdated));
                    break;
                case MessageDeletion:
                    Invoke(callbacks.OnMessageDeleted, change.Id, nameof(callbacks.OnMessageDeleted));
                    break;
            }
        }));
        _subscriptions.Add(active.Subscribe(id => Invoke(callbacks.OnActiveSessionChanged, id, nameof(callbacks.OnActiveSessionChanged))));
        _subscriptions.Add(status.Subscribe(s => Invoke(callbacks.OnConnectionStatusChanged, s, nameof(callbacks.OnConnectionStatusChanged))));
    }

    private void Invoke<T>(Action<T>? handler, T value, string name)
    {
        if (handler is null)
        {
            return;
        }

        try
        {
            handler(value);
        }
#pragma warning disable CA1031 // an app's handler must not end the subscription
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ChatLog.CallbackFailed(_logger, name, ex);
        }
    }
}

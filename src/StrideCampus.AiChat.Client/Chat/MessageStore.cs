using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// The chat sessions and messages of one user, kept in sync with the database and every other client of
/// the user (the seed's <c>useRealtimeSupabaseMessageStore</c>). It loads every session and message (paged past "Max rows"), applies
/// its own writes at once (pending until the server confirms, rolled back with a
/// <see cref="ChatOperationException"/> when refused), applies realtime changes from other clients,
/// fetches only what changed after every reconnect, keeps messages in chronological order and bounds how
/// many sessions' messages stay in memory. All members are thread-safe.
/// </summary>
public partial class MessageStore : IAsyncDisposable
{
    private const int MaxTitleLength = 200;
    private const int MaxContentLength = 100_000;

    /// <summary>How long relayed text may run ahead of the database without growing before the database row holds again.</summary>
    private static readonly TimeSpan RelayedTextLifetime = TimeSpan.FromSeconds(3);

    /// <summary>The least time between two states published for a burst of realtime changes (a display frame).</summary>
    private static readonly TimeSpan StateInterval = TimeSpan.FromMilliseconds(16);

    private readonly Lock _gate = new();
    private readonly MessageStoreCore _core;
    private readonly IChatDataSource _data;
    private readonly IChatChangeFeed? _feed;
    private readonly IStreamRelay? _relay;
    private readonly RelayQuotaBackoff? _quota;
    private readonly IAsyncDisposable? _owned;
    private readonly MessageStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IScheduler _scheduler;
    private readonly BehaviorSubject<MessageStoreState> _state;
    private readonly Subject<ChatChange> _changes = new();
    private readonly CompositeDisposable _subscriptions = [];
    private readonly StoreCounters _counters = new();
    private readonly CancellationTokenSource _lifetime = new();
    private readonly SemaphoreSlim _reconcileGate = new(1, 1);
    private readonly Dictionary<Guid, Task<IReadOnlyList<ChatMessage>>> _loads = [];
    private readonly Guid _userId;
    private MessageStoreState _current;
    private readonly bool _eagerState;
    private bool _stale;
    private bool _refreshScheduled;
    private long _lastRefresh;
    private ITimer? _sweepTimer;
    private ITimer? _relayTimer;
    private bool _isLoading;
    private bool _isInitialized;
    private bool _isConnected;
    private bool _metaDirty;
    private bool _reconcileRequested;
    private Task _reconcileLoop = Task.CompletedTask;
    private Task _relayStart = Task.CompletedTask;
    private int _disposed;

    internal MessageStore(
        IChatDataSource data,
        IChatChangeFeed? feed,
        Guid userId,
        MessageStoreOptions? options = null,
        ILoggerFactory? loggerFactory = null,
        IAsyncDisposable? ownedResources = null,
        IStreamRelay? relay = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (userId == Guid.Empty)
        {
            throw new ArgumentException("The user id must not be empty.", nameof(userId));
        }

        options ??= new MessageStoreOptions();
        options.Validate();
        _options = options;
        _data = data;
        _feed = feed;
        _relay = relay;
        _owned = ownedResources;
        _time = options.TimeProvider;
        _quota = relay is null ? null : new RelayQuotaBackoff(_time, options.QuotaBackoffPeriod, OnQuotaRecovered);
        _scheduler = options.Scheduler ?? DefaultStoreScheduler.Instance;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<MessageStore>();
        _userId = userId;
        _core = new MessageStoreCore(userId, options.MaxCachedSessions, options.CacheExpiry, () => _time.GetUtcNow().UtcTicks);
        // With an inline scheduler observers run as each lock scope ends, so the state is kept fresh there (see PublishChangesLocked).
        _eagerState = _scheduler is ImmediateScheduler or CurrentThreadScheduler;
        _current = _core.Snapshot(false, false, false, _counters);
        _state = new BehaviorSubject<MessageStoreState>(_current);
    }

    /// <summary>The user whose chats this store holds.</summary>
    public virtual Guid UserId => _userId;

    /// <summary>The current state (an immutable snapshot that includes every change applied so far).</summary>
    public virtual MessageStoreState Current => CurrentState;

    /// <summary>
    /// The state after each change, on <see cref="MessageStoreOptions.Scheduler"/>; replays the current state to a
    /// new subscriber. With an asynchronous scheduler (the default) a burst of realtime changes is published as
    /// states at most about 60 times a second, each the latest, as a UI renders them (an isolated change goes out at
    /// once); <see cref="Changes"/> still carries every change, and <see cref="Current"/> is always up to date.
    /// Completes when the store is disposed.
    /// </summary>
    public virtual IObservable<MessageStoreState> StateChanges => Observable.Create<MessageStoreState>(observer =>
    {
        var subscription = _state.ObserveOn(_scheduler).Subscribe(observer);
        RefreshIfStale(); // a state left unbuilt while nobody observed reaches the new observer too
        return subscription;
    });

    /// <summary>
    /// Each change of the database rows the store mirrors, once: from other clients (realtime), from this
    /// store's confirmed writes, and the changes found missing when refetching after a reconnect. Echoes of
    /// this store's own writes and stale events do not appear. On <see cref="MessageStoreOptions.Scheduler"/>.
    /// </summary>
    public virtual IObservable<ChatChange> Changes => _changes.ObserveOn(_scheduler);

    /// <summary>Whether changes from other clients arrive live (the seed's <c>isRealtimeConnected</c>).</summary>
    public virtual bool IsRealtimeConnected => CurrentState.IsRealtimeConnected;

    // The store's own reads go through these, not the virtual members (an override is never called from inside).
    private MessageStoreState CurrentState
    {
        get
        {
            RefreshIfStale();
            return Volatile.Read(ref _current);
        }
    }

    private long Now => _time.GetUtcNow().UtcTicks;

    // ================================================================ lifecycle

    /// <summary>Subscribes to the change feed (if any), then loads everything; used by the factory methods.</summary>
    internal async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (_feed is not null)
        {
            _subscriptions.Add(_feed.Changes.Subscribe(OnFeedChange));
            _subscriptions.Add(_feed.Status.Subscribe(OnFeedStatus));
            _subscriptions.Add(_feed.Resubscribed.Subscribe(OnResubscribed));
            try
            {
                await _feed.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // The feed keeps retrying; the first later subscription triggers a refetch.
                ChatLog.SubscriptionFailed(_logger, ex);
            }
        }

        if (_relay is not null)
        {
            _subscriptions.Add(_relay.Deltas.Subscribe(OnRelayDelta));
            _subscriptions.Add(_relay.QuotaExceeded.Subscribe(OnQuotaExceeded));
            // In the background: a reply streams through the database alone until (or unless) the relay is joined.
            _relayStart = _relay.StartAsync(_lifetime.Token);
            _relayTimer = _time.CreateTimer(static s => ((MessageStore)s!).ExpireRelayedText(), this, RelayedTextLifetime / 2, RelayedTextLifetime / 2);
        }

        await ReconcileOnceAsync(initial: true, cancellationToken).ConfigureAwait(false);
        var period = _options.CacheExpiry / 4 < TimeSpan.FromMinutes(1) ? _options.CacheExpiry / 4 : TimeSpan.FromMinutes(1);
        _sweepTimer = _time.CreateTimer(static s => ((MessageStore)s!).SweepCache(), this, period, period);
    }

    /// <summary>Ends the realtime subscription and every timer; completes <see cref="StateChanges"/> and <see cref="Changes"/>.</summary>
    /// <returns>A task that completes when everything is released.</returns>
    public virtual async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _subscriptions.Dispose();
        if (_sweepTimer is not null)
        {
            await _sweepTimer.DisposeAsync().ConfigureAwait(false);
        }

        if (_relayTimer is not null)
        {
            await _relayTimer.DisposeAsync().ConfigureAwait(false);
        }

        _quota?.Dispose();

        await _lifetime.CancelAsync().ConfigureAwait(false);
        Task loop;
        using (EnterGate())
        {
            loop = _reconcileLoop;
        }

        try
        {
            await loop.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChatOperationException)
        {
            // ended by the cancellation above
        }

        if (_feed is not null)
        {
            await _feed.DisposeAsync().ConfigureAwait(false);
        }

        if (_relay is not null)
        {
            try
            {
                await _relayStart.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // ended by the cancellation above
            }

            await _relay.DisposeAsync().ConfigureAwait(false);
        }

        if (_owned is not null)
        {
            await _owned.DisposeAsync().ConfigureAwait(false);
        }

        using (EnterGate())
        {
            EnqueueCompletion(); // after every publication queued before it
        }

        _lifetime.Dispose();
        _reconcileGate.Dispose();
    }

    // ================================================================ utilities

    /// <summary>A session by id, or <see langword="null"/> when the store does not hold it.</summary>
    /// <param name="sessionId">The session id.</param>
    /// <returns>The session with its messages (unless they were dropped from the cache; see <see cref="LoadMessagesAsync"/>).</returns>
    public virtual ChatSessionState? GetSessionById(Guid sessionId) => FindSession(sessionId);

    /// <summary>What <see cref="GetSessionById"/> does, for the store's own use (it never calls its overridable members).</summary>
    private ChatSessionState? FindSession(Guid sessionId)
    {
        var state = CurrentState;
        foreach (var s in state.Sessions)
        {
            if (s.Id == sessionId)
            {
                using (EnterGate())
                {
                    ApplyLocked(new StoreEvent.SessionUsed(sessionId, Now));
                    if (s.MessagesLoaded)
                    {
                        _counters.CacheHits++;
                    }
                    else
                    {
                        _counters.CacheMisses++;
                    }
                }

                return s;
            }
        }

        return null;
    }

    /// <summary>The user's sessions, newest first.</summary>
    /// <returns>The sessions of the current state.</returns>
    public virtual IReadOnlyList<ChatSessionState> GetSessions() => CurrentState.Sessions;

    /// <summary>The active session, if any.</summary>
    /// <returns>The active session of the current state.</returns>
    public virtual ChatSessionState? GetActiveSession() => CurrentState.ActiveSession;

    /// <summary>
    /// Fetches what changed since the last sync point (rows written and deletions logged), for what the store holds,
    /// and applies it; the store also does this by itself after every reconnect, rejoin or missed-change signal.
    /// </summary>
    /// <param name="cancellationToken">Cancels the refetch.</param>
    /// <returns>A task that completes when what the store holds equals the database.</returns>
    /// <exception cref="ChatOperationException">The refetch failed; the store keeps what it held.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public virtual Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return ReconcileOnceAsync(initial: false, cancellationToken);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}

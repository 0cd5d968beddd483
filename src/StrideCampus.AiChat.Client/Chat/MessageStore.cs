using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// The chat sessions and messages of one user, kept in sync with the database and every other client of
/// the user (the seed's <c>useRealtimeSupabaseMessageStore</c>). It loads every session and message (paged past "Max rows"), applies
/// its own writes at once (pending until the server confirms, rolled back with a
/// <see cref="ChatOperationException"/> when refused), applies realtime changes from other clients,
/// fetches only what changed after every reconnect, keeps messages in chronological order and bounds how
/// many sessions' messages stay in memory. All members are thread-safe.
/// </summary>
public sealed partial class MessageStore : IAsyncDisposable
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
        UserId = userId;
        _core = new MessageStoreCore(userId, options.MaxCachedSessions, options.CacheExpiry, () => _time.GetUtcNow().UtcTicks);
        // With an inline scheduler observers run under the lock, so the state is kept fresh there (see PublishChangesLocked).
        _eagerState = _scheduler is ImmediateScheduler or CurrentThreadScheduler;
        _current = _core.Snapshot(false, false, false, _counters);
        _state = new BehaviorSubject<MessageStoreState>(_current);
    }

    /// <summary>The user whose chats this store holds.</summary>
    public Guid UserId { get; }

    /// <summary>The current state (an immutable snapshot that includes every change applied so far).</summary>
    public MessageStoreState Current
    {
        get
        {
            RefreshIfStale();
            return Volatile.Read(ref _current);
        }
    }

    /// <summary>
    /// The state after each change, on <see cref="MessageStoreOptions.Scheduler"/>; replays the current state to a
    /// new subscriber. With an asynchronous scheduler (the default) a burst of realtime changes is published as
    /// states at most about 60 times a second, each the latest, as a UI renders them (an isolated change goes out at
    /// once); <see cref="Changes"/> still carries every change, and <see cref="Current"/> is always up to date.
    /// Completes when the store is disposed.
    /// </summary>
    public IObservable<MessageStoreState> StateChanges => Observable.Create<MessageStoreState>(observer =>
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
    public IObservable<ChatChange> Changes => _changes.ObserveOn(_scheduler);

    /// <summary>Whether changes from other clients arrive live (the seed's <c>isRealtimeConnected</c>).</summary>
    public bool IsRealtimeConnected => Current.IsRealtimeConnected;

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
    public async ValueTask DisposeAsync()
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
        lock (_gate)
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

        lock (_gate)
        {
            _state.OnCompleted();
            _changes.OnCompleted();
        }

        _lifetime.Dispose();
        _reconcileGate.Dispose();
    }

    // ================================================================ utilities

    /// <summary>A session by id, or <see langword="null"/> when the store does not hold it.</summary>
    /// <param name="sessionId">The session id.</param>
    /// <returns>The session with its messages (unless they were dropped from the cache; see <see cref="LoadMessagesAsync"/>).</returns>
    public ChatSessionState? GetSessionById(Guid sessionId)
    {
        var state = Current;
        foreach (var s in state.Sessions)
        {
            if (s.Id == sessionId)
            {
                lock (_gate)
                {
                    _core.Touch(sessionId, Now);
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
    public IReadOnlyList<ChatSessionState> GetSessions() => Current.Sessions;

    /// <summary>The active session, if any.</summary>
    /// <returns>The active session of the current state.</returns>
    public ChatSessionState? GetActiveSession() => Current.ActiveSession;

    /// <summary>
    /// Fetches what changed since the last sync point (rows written and deletions logged), for what the store holds,
    /// and applies it; the store also does this by itself after every reconnect, rejoin or missed-change signal.
    /// </summary>
    /// <param name="cancellationToken">Cancels the refetch.</param>
    /// <returns>A task that completes when what the store holds equals the database.</returns>
    /// <exception cref="ChatOperationException">The refetch failed; the store keeps what it held.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return ReconcileOnceAsync(initial: false, cancellationToken);
    }

    // ================================================================ session actions

    /// <summary>Creates a session (optimistically) and, by default, makes it the active one in every client.</summary>
    /// <param name="title">The title (1 to 200 characters); <see cref="MessageStoreOptions.DefaultSessionTitle"/> when null.</param>
    /// <param name="activate">Whether the new session becomes the active one.</param>
    /// <param name="cancellationToken">Cancels the write (the optimistic change is rolled back).</param>
    /// <returns>The session as the database stored it.</returns>
    /// <exception cref="ChatOperationException">The server refused; the change was rolled back.</exception>
    /// <exception cref="ArgumentException"><paramref name="title"/> is blank or longer than 200 characters (nothing is sent).</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; any optimistic change was rolled back.</exception>
    public async Task<ChatSession> CreateSessionAsync(string? title = null, bool activate = true, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        title ??= _options.DefaultSessionTitle;
        ValidateTitle(title);
        var id = Guid.NewGuid();
        var now = _time.GetUtcNow();
        var optimistic = new ChatSession(id, UserId, title, activate, now, now);
        long token;
        var touched = new List<Guid> { id };
        lock (_gate)
        {
            token = _core.NewToken();
            _core.PushSession(token, id, optimistic);
            if (activate)
            {
                PushDeactivations(token, id, touched);
            }

            _core.Touch(id, Now);
            PublishLocked();
        }

        try
        {
            var row = await _data.UpsertSessionAsync(
                optimistic with { IsActive = false, CreatedAt = default, UpdatedAt = default }, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                _core.ServerSession(row, isNew: true);
                PublishLocked();
            }

            if (activate)
            {
                var rows = await _data.SetActiveSessionAsync(id, cancellationToken).ConfigureAwait(false);
                lock (_gate)
                {
                    ApplyActivationLocked(rows, id);
                }
            }

            lock (_gate)
            {
                PopSessions(token, touched);
                PublishLocked();
                return _core.GetVisibleSession(id) ?? row;
            }
        }
        catch (Exception ex)
        {
            throw RollBackSessions(ChatOperation.CreateSession, id, token, touched, ex);
        }
    }

    /// <summary>Renames a session (optimistically).</summary>
    /// <param name="sessionId">The session id.</param>
    /// <param name="title">The new title (1 to 200 characters).</param>
    /// <param name="cancellationToken">Cancels the write (the optimistic change is rolled back).</param>
    /// <returns>The session as the database stored it.</returns>
    /// <exception cref="ChatOperationException">The server refused or the session no longer exists; rolled back.</exception>
    /// <exception cref="ArgumentException">The store holds no session <paramref name="sessionId"/>, or <paramref name="title"/> is blank or longer than 200 characters (nothing is sent).</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; any optimistic change was rolled back.</exception>
    public async Task<ChatSession> RenameSessionAsync(Guid sessionId, string title, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ValidateTitle(title);
        long token;
        var touched = new List<Guid> { sessionId };
        lock (_gate)
        {
            var current = RequireSession(sessionId);
            token = _core.NewToken();
            _core.PushSession(token, sessionId, current with { Title = title });
            PublishLocked();
        }

        try
        {
            var row = await _data.UpdateSessionAsync(sessionId, new JsonObject { ["title"] = title }, cancellationToken).ConfigureAwait(false)
                ?? throw new KeyNotFoundException($"Session {sessionId} no longer exists.");
            lock (_gate)
            {
                _core.ServerSession(row, isNew: false);
                PopSessions(token, touched);
                PublishLocked();
                return _core.GetVisibleSession(sessionId) ?? row;
            }
        }
        catch (Exception ex)
        {
            throw RollBackSessions(ChatOperation.UpdateSession, sessionId, token, touched, ex);
        }
    }

    /// <summary>
    /// Makes a session the active one for the user, through the database, so every client follows; loads
    /// its messages if they are not in memory.
    /// </summary>
    /// <param name="sessionId">The session id.</param>
    /// <param name="cancellationToken">Cancels the switch (the optimistic change is rolled back).</param>
    /// <returns>The session, now active, with its messages.</returns>
    /// <exception cref="ChatOperationException">The server refused; rolled back.</exception>
    /// <exception cref="ArgumentException">The store holds no session <paramref name="sessionId"/> (nothing is sent).</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; any optimistic change was rolled back.</exception>
    public async Task<ChatSessionState> SwitchToSessionAsync(Guid sessionId, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        long token;
        var touched = new List<Guid> { sessionId };
        lock (_gate)
        {
            var current = RequireSession(sessionId);
            token = _core.NewToken();
            _core.PushSession(token, sessionId, current with { IsActive = true });
            PushDeactivations(token, sessionId, touched);
            _core.Touch(sessionId, Now);
            PublishLocked();
        }

        try
        {
            var load = LoadMessagesAsync(sessionId, cancellationToken);
            var rows = await _data.SetActiveSessionAsync(sessionId, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                ApplyActivationLocked(rows, sessionId);
                PublishLocked();
            }

            await load.ConfigureAwait(false);
            lock (_gate)
            {
                PopSessions(token, touched);
                PublishLocked();
            }

            return GetSessionById(sessionId) ?? throw new KeyNotFoundException($"Session {sessionId} was deleted meanwhile.");
        }
        catch (Exception ex)
        {
            throw RollBackSessions(ChatOperation.SwitchSession, sessionId, token, touched, ex);
        }
    }

    /// <summary>Deletes a session and its messages (optimistically: it disappears at once).</summary>
    /// <param name="sessionId">The session id.</param>
    /// <param name="cancellationToken">Cancels the delete (the session reappears).</param>
    /// <returns>A task that completes when the database deleted it.</returns>
    /// <exception cref="ChatOperationException">The server refused; the session reappears.</exception>
    /// <exception cref="ArgumentException">The store holds no such session (nothing is sent).</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; any optimistic change was rolled back.</exception>
    public async Task DeleteSessionAsync(Guid sessionId, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        long token;
        var touched = new List<Guid> { sessionId };
        lock (_gate)
        {
            RequireSession(sessionId);
            token = _core.NewToken();
            _core.PushSession(token, sessionId, null);
            PublishLocked();
        }

        try
        {
            await _data.DeleteSessionAsync(sessionId, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                _core.ServerSessionDeleted(sessionId);
                PopSessions(token, touched);
                PublishLocked();
            }
        }
        catch (Exception ex)
        {
            throw RollBackSessions(ChatOperation.DeleteSession, sessionId, token, touched, ex);
        }
    }

    /// <summary>Deletes every session of the user (optimistically: they disappear at once).</summary>
    /// <param name="cancellationToken">Cancels the delete (the sessions reappear).</param>
    /// <returns>A task that completes when the database deleted them.</returns>
    /// <exception cref="ChatOperationException">The server refused; the sessions reappear.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; any optimistic change was rolled back.</exception>
    public async Task ClearAllSessionsAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        long token;
        List<Guid> touched;
        lock (_gate)
        {
            token = _core.NewToken();
            touched = [.. _core.VisibleSessions().Select(s => s.Id)];
            foreach (var id in touched)
            {
                _core.PushSession(token, id, null);
            }

            PublishLocked();
        }

        try
        {
            await _data.DeleteAllSessionsAsync(UserId, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                foreach (var id in touched)
                {
                    _core.ServerSessionDeleted(id);
                }

                PopSessions(token, touched);
                PublishLocked();
            }
        }
        catch (Exception ex)
        {
            throw RollBackSessions(ChatOperation.ClearAllSessions, null, token, touched, ex);
        }
    }

    // ================================================================ message actions

    /// <summary>
    /// Adds a message (optimistically: it shows at once, pending until the server confirms). The id is
    /// generated here unless given: retrying with the same <paramref name="messageId"/> never duplicates.
    /// </summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="content">The text (at most 100,000 characters).</param>
    /// <param name="isUser"><see langword="true"/> for a user message, <see langword="false"/> for an assistant one.</param>
    /// <param name="status">The status to store.</param>
    /// <param name="metadata">Free-form JSON.</param>
    /// <param name="messageId">The id to use (to retry a failed add idempotently).</param>
    /// <param name="cancellationToken">Cancels the write (the optimistic message is removed).</param>
    /// <returns>The message as the database stored it.</returns>
    /// <exception cref="ChatOperationException">The server refused or could not be reached (the cause is the
    /// <see cref="Exception.InnerException"/>, a <c>PostgrestException</c> for a refusal); the message was removed.</exception>
    /// <exception cref="ArgumentException">The store holds no session <paramref name="sessionId"/> (a session of another user, deleted, or
    /// not yet created: await <see cref="CreateSessionAsync"/> first), or <paramref name="content"/> is longer than
    /// 100,000 characters (nothing is sent).</exception>
    /// <exception cref="ArgumentNullException"><paramref name="content"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; any optimistic change was rolled back.</exception>
    public async Task<ChatMessage> AddMessageAsync(
        Guid sessionId,
        string content,
        bool isUser = true,
        MessageStatus status = MessageStatus.Complete,
        JsonObject? metadata = null,
        Guid? messageId = null,
        CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ValidateContent(content);
        await EnsureMessagesLoadedAsync(sessionId, cancellationToken).ConfigureAwait(false);
        var id = messageId ?? Guid.NewGuid();
        var now = _time.GetUtcNow();
        var optimistic = new ChatMessage(id, sessionId, UserId, content, isUser, status, now, now, metadata);
        long token;
        lock (_gate)
        {
            token = _core.NewToken();
            if (!_core.PushMessage(token, sessionId, id, _core.GetVisibleMessage(id) is { } existing ? existing : optimistic))
            {
                throw new ArgumentException($"The store holds no session {sessionId}.", nameof(sessionId));
            }

            PublishLocked();
        }

        try
        {
            var row = await _data.UpsertMessageAsync(optimistic, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                _core.ServerMessage(row);
                _core.PopMessage(token, id);
                PublishLocked();
                return row;
            }
        }
        catch (Exception ex)
        {
            throw RollBackMessage(ChatOperation.AddMessage, id, token, ex);
        }
    }

    /// <summary>Changes a message (optimistically). Arguments left null keep their value.</summary>
    /// <param name="messageId">The message id.</param>
    /// <param name="content">The new text.</param>
    /// <param name="status">The new status.</param>
    /// <param name="metadata">The new metadata.</param>
    /// <param name="cancellationToken">Cancels the write (the optimistic change is rolled back).</param>
    /// <returns>The message as the database stored it.</returns>
    /// <exception cref="ChatOperationException">The server refused or the message no longer exists; rolled back.</exception>
    /// <exception cref="ArgumentException">Nothing to update (all arguments null), or <paramref name="content"/> is longer than 100,000 characters (nothing is sent).</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; any optimistic change was rolled back.</exception>
    public async Task<ChatMessage> UpdateMessageAsync(
        Guid messageId,
        string? content = null,
        MessageStatus? status = null,
        JsonObject? metadata = null,
        CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (content is null && status is null && metadata is null)
        {
            throw new ArgumentException("Nothing to update: give content, status or metadata.", nameof(content));
        }

        if (content is not null)
        {
            ValidateContent(content);
        }

        var patch = new JsonObject();
        if (content is not null)
        {
            patch["content"] = content;
        }

        if (status is { } s)
        {
            patch["status"] = MessageStatusNames.ToWire(s);
        }

        if (metadata is not null)
        {
            patch["metadata"] = metadata.DeepClone();
        }

        long token;
        lock (_gate)
        {
            token = _core.NewToken();
            if (_core.GetVisibleMessage(messageId) is { } current)
            {
                _core.PushMessage(token, current.SessionId, messageId, current with
                {
                    Content = content ?? current.Content,
                    Status = status ?? current.Status,
                    Metadata = metadata ?? current.Metadata,
                });
                PublishLocked();
            }
        }

        try
        {
            var row = await _data.UpdateMessageAsync(messageId, patch, cancellationToken).ConfigureAwait(false)
                ?? throw new KeyNotFoundException($"Message {messageId} no longer exists.");
            lock (_gate)
            {
                _core.ServerMessage(row);
                _core.PopMessage(token, messageId);
                PublishLocked();
                return row;
            }
        }
        catch (Exception ex)
        {
            throw RollBackMessage(ChatOperation.UpdateMessage, messageId, token, ex);
        }
    }

    /// <summary>Deletes a message (optimistically: it disappears at once).</summary>
    /// <param name="messageId">The message id.</param>
    /// <param name="cancellationToken">Cancels the delete (the message reappears).</param>
    /// <returns>A task that completes when the database deleted it.</returns>
    /// <exception cref="ChatOperationException">The server refused; the message reappears.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; any optimistic change was rolled back.</exception>
    public async Task DeleteMessageAsync(Guid messageId, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        long token;
        lock (_gate)
        {
            token = _core.NewToken();
            if (_core.GetVisibleMessage(messageId) is { } current)
            {
                _core.PushMessage(token, current.SessionId, messageId, null);
                PublishLocked();
            }
        }

        try
        {
            await _data.DeleteMessageAsync(messageId, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                _core.ServerMessageDeleted(messageId);
                _core.PopMessage(token, messageId);
                PublishLocked();
            }
        }
        catch (Exception ex)
        {
            throw RollBackMessage(ChatOperation.DeleteMessage, messageId, token, ex);
        }
    }

    // ================================================================ streamed replies

    /// <summary>
    /// Streams an assistant reply into a session: one message with status <see cref="MessageStatus.Streaming"/>
    /// that grows locally with every token and in the database at most
    /// <see cref="MessageStoreOptions.MaxStreamWritesPerSecond"/> times a second (each write carrying the
    /// full content so far), so other clients watch it grow. It ends <see cref="MessageStatus.Complete"/> with
    /// the exact full text, or <see cref="MessageStatus.Error"/> with what was received when the token stream
    /// throws or is cancelled (the exception, including the cancellation, is then rethrown).
    /// </summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="tokens">The reply's text fragments, in order.</param>
    /// <param name="cancellationToken">Cancels the stream; the message is then stored with status error.</param>
    /// <returns>The final message as the database stored it.</returns>
    /// <exception cref="ChatOperationException">The final write was refused.</exception>
    /// <exception cref="ArgumentException">The store holds no session <paramref name="sessionId"/> (nothing is sent).</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the message is kept with status error.</exception>
    /// <remarks>An exception thrown by <paramref name="tokens"/> is rethrown as is, after the message was stored with status error.</remarks>
    public async Task<ChatMessage> StreamAssistantReplyAsync(
        Guid sessionId, IAsyncEnumerable<string> tokens, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(tokens);
        await EnsureMessagesLoadedAsync(sessionId, cancellationToken).ConfigureAwait(false);
        var id = Guid.NewGuid();
        var now = _time.GetUtcNow();
        var message = new ChatMessage(id, sessionId, UserId, string.Empty, false, MessageStatus.Streaming, now, now, null);
        long token;
        lock (_gate)
        {
            token = _core.NewToken();
            if (!_core.PushMessage(token, sessionId, id, message))
            {
                throw new ArgumentException($"The store holds no session {sessionId}.", nameof(sessionId));
            }

            PublishLocked();
        }

        ChatLog.StreamStarted(_logger, id, sessionId);
        var interval = TimeSpan.FromSeconds(1 / _options.MaxStreamWritesPerSecond);
        var relayer = new StreamedReplyRelayer(_relay, id, sessionId, TimeSpan.FromSeconds(1 / _options.MaxStreamRelaysPerSecond), _time, _quota);
        var writer = new StreamedReplyWriter(_data, message, interval, _time, row =>
        {
            relayer.Confirmed(row.Content.Length);
            OnStreamRowConfirmed(row);
        }, _logger);
        var text = new StringBuilder();
        var count = 0;
        Exception? streamError = null;
        try
        {
            await foreach (var fragment in tokens.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (string.IsNullOrEmpty(fragment))
                {
                    continue;
                }

                text.Append(fragment);
                count++;
                var content = text.ToString();
                lock (_gate)
                {
                    _core.ReplaceMessage(token, id, (_core.GetVisibleMessage(id) ?? message) with { Content = content });
                    PublishLocked();
                }

                writer.Update(content);
                relayer.Grew(content);
            }

            cancellationToken.ThrowIfCancellationRequested();
        }
        catch (Exception ex)
        {
            streamError = ex;
        }

        var final = text.ToString();
        relayer.Flush(final);

        var finalStatus = streamError is null ? MessageStatus.Complete : MessageStatus.Error;
        lock (_gate)
        {
            _core.ReplaceMessage(token, id, (_core.GetVisibleMessage(id) ?? message) with { Content = final, Status = finalStatus });
            PublishLocked();
        }

        ChatMessage? row;
        try
        {
            row = await writer.CompleteAsync(final, finalStatus).ConfigureAwait(false)
                ?? throw new KeyNotFoundException($"Message {id} was deleted while streaming.");
        }
        catch (Exception writeError)
        {
            var failure = RollBackMessage(ChatOperation.StreamReply, id, token, writeError);
            if (streamError is not null)
            {
                ChatLog.StreamFailed(_logger, id, final.Length, streamError);
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(streamError);
            }

            throw failure;
        }

        lock (_gate)
        {
            _core.PopMessage(token, id);
            PublishLocked();
        }

        if (streamError is not null)
        {
            ChatLog.StreamFailed(_logger, id, final.Length, streamError);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(streamError);
        }

        ChatLog.StreamCompleted(_logger, id, final.Length, count, writer.Writes);
        return row;
    }

    /// <summary>
    /// Asks a Microsoft.Extensions.AI chat client for a reply to the session's conversation (its complete
    /// messages, oldest first) and streams it into the session as
    /// <see cref="StreamAssistantReplyAsync(Guid, IAsyncEnumerable{string}, CancellationToken)"/> does.
    /// </summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="chatClient">The model client.</param>
    /// <param name="options">Options for the model request.</param>
    /// <param name="cancellationToken">Cancels the request; the message is then stored with status error.</param>
    /// <returns>The final message as the database stored it.</returns>
    /// <exception cref="ChatOperationException">The history could not be loaded, or the final write was refused.</exception>
    /// <exception cref="ArgumentException">The store holds no session <paramref name="sessionId"/> (nothing is sent).</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the message is kept with status error.</exception>
    /// <remarks>An exception thrown by <paramref name="chatClient"/> is rethrown as is, after the message was stored with status error.</remarks>
    public async Task<ChatMessage> StreamAssistantReplyAsync(
        Guid sessionId, IChatClient chatClient, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(chatClient);
        var messages = await LoadMessagesAsync(sessionId, cancellationToken).ConfigureAwait(false);
        var history = BuildHistory(messages);
        return await StreamAssistantReplyAsync(
            sessionId, Fragments(chatClient.GetStreamingResponseAsync(history, options, cancellationToken), cancellationToken), cancellationToken)
            .ConfigureAwait(false);
    }

    internal static List<AiChatMessage> BuildHistory(IEnumerable<ChatMessage> messages)
    {
        var history = new List<AiChatMessage>();
        foreach (var m in messages)
        {
            if (m.Content.Length == 0 || (!m.IsUser && m.Status != MessageStatus.Complete))
            {
                continue; // unfinished or failed replies are not part of the conversation
            }

            history.Add(new AiChatMessage(m.IsUser ? ChatRole.User : ChatRole.Assistant, m.Content));
        }

        return history;
    }

    internal static async IAsyncEnumerable<string> Fragments(
        IAsyncEnumerable<ChatResponseUpdate> updates, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var update in updates.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            var text = update.Text;
            if (!string.IsNullOrEmpty(text))
            {
                yield return text;
            }
        }
    }

    private void OnStreamRowConfirmed(ChatMessage row)
    {
        lock (_gate)
        {
            _core.ServerMessage(row);
            PublishLocked();
        }
    }

    // ================================================================ realtime

    private void OnFeedChange(ChatChange change)
    {
        var loadMissed = false;
        lock (_gate)
        {
            var unknownSession = change.Kind == ChatChangeKind.SessionUpdated && _core.GetServerSession(change.Id) is null;
            if (_core.ApplyFeedChange(change))
            {
                ChatLog.RealtimeChange(_logger, change.Kind, change.Id);
                if (change.Kind == ChatChangeKind.SessionCreated)
                {
                    // A session created elsewhere arrives with its (empty) messages in memory: keep the cache
                    // bound now rather than at the next sweep, or a burst of new sessions overshoots it.
                    EvictLocked(protect: null);
                }
            }
            else
            {
                ChatLog.RealtimeChangeIgnored(_logger, change.Kind, change.Id, "echo, stale or not held");
            }

            // An update of a session never seen: its insert was missed (realtime does not guarantee
            // delivery), so its messages are unknown. Load them now rather than on first use.
            loadMissed = unknownSession && _isInitialized && _core.GetVisibleSession(change.Id) is not null &&
                !_core.AreMessagesLoaded(change.Id) && Volatile.Read(ref _disposed) == 0;
            PublishChangesLocked();
        }

        if (loadMissed)
        {
            _ = LoadMissedSessionAsync(change.Id);
        }
    }

    private async Task LoadMissedSessionAsync(Guid sessionId)
    {
        try
        {
            await LoadMessagesAsync(sessionId, _lifetime.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ChatOperationException or OperationCanceledException or ArgumentException or ObjectDisposedException)
        {
            // deleted meanwhile, or the store is closing: the next use or refetch loads it
        }
    }

    private void OnRelayDelta(StreamDelta delta)
    {
        lock (_gate)
        {
            if (_core.ApplyRelayDelta(delta))
            {
                PublishChangesLocked();
            }
        }
    }

    private void OnQuotaExceeded(string reason)
    {
        var level = _quota!.OnTooManyMessages();
        ChatLog.RelayQuotaExceeded(_logger, reason, level, _quota.QuietPeriod);
    }

    /// <summary>The quota signal stopped: the server may have dropped database changes meanwhile, so catch up.</summary>
    private void OnQuotaRecovered()
    {
        ChatLog.RelayQuotaRecovered(_logger);
        RequestReconcile();
    }

    /// <summary>Drops relayed text that stopped growing without the database catching up (timer; tests call it directly).</summary>
    internal void ExpireRelayedText()
    {
        lock (_gate)
        {
            if (Volatile.Read(ref _disposed) == 0 && _core.HasTentatives && _core.ExpireTentatives(Now, RelayedTextLifetime.Ticks))
            {
                PublishLocked();
            }
        }
    }

    /// <summary>How far the token relay backed off over the project's quota: 0 none, 1 slowed down, 2 off (for tests).</summary>
    internal int RelayBackoffLevel => _quota?.Level ?? 0;

    /// <summary>Completes when the token relay joined or gave up (for tests).</summary>
    internal Task WhenRelayStartedAsync() => _relayStart;

    private void OnFeedStatus(ChatConnectionStatus status)
    {
        lock (_gate)
        {
            if (_isConnected != status.IsConnected)
            {
                _isConnected = status.IsConnected;
                _metaDirty = true;
                PublishLocked();
            }
        }
    }

    private void OnResubscribed(long count)
    {
        ChatLog.Resubscribed(_logger, count);
        RequestReconcile();
    }

    private void RequestReconcile()
    {
        lock (_gate)
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                return;
            }

            _reconcileRequested = true;
            if (_reconcileLoop.IsCompleted)
            {
                _reconcileLoop = Task.Run(ReconcileLoopAsync);
            }
        }
    }

    /// <summary>Completes when no refetch is running or requested (for tests).</summary>
    internal Task WhenReconciledAsync()
    {
        lock (_gate)
        {
            return _reconcileLoop;
        }
    }

    private async Task ReconcileLoopAsync()
    {
        while (true)
        {
            lock (_gate)
            {
                if (!_reconcileRequested || _lifetime.IsCancellationRequested)
                {
                    return;
                }

                _reconcileRequested = false;
            }

            try
            {
                await ReconcileOnceAsync(initial: false, _lifetime.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                ChatLog.ReconcileFailed(_logger, ex);
            }
        }
    }

    // ================================================================ cache

    internal void SweepCache()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        lock (_gate)
        {
            EvictLocked(protect: null);
            PublishLocked();
        }
    }

    private void EvictLocked(Guid? protect)
    {
        var now = Now;
        if (protect is { } id)
        {
            _core.Touch(id, now);
        }

        var evicted = _core.EnforceCacheBound(now);
        if (evicted > 0)
        {
            ChatLog.CacheEvicted(_logger, evicted);
        }
    }

    private async Task EnsureMessagesLoadedAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            RequireSession(sessionId);
            if (_core.AreMessagesLoaded(sessionId))
            {
                _core.Touch(sessionId, Now);
                return;
            }
        }

        await LoadMessagesAsync(sessionId, cancellationToken).ConfigureAwait(false);
    }

    // ================================================================ helpers

    /// <summary>Publishes the changes and the new state (if anything changed). Call under the lock.</summary>
    /// <returns>The number of changes published.</returns>
    private int PublishLocked()
    {
        if (!_core.IsDirty && !_metaDirty && !_core.HasChanges && !_stale)
        {
            return 0;
        }

        // The state first, so observers of a change that read Current see it; then the changes, then the state.
        var snapshot = BuildLocked();
        var count = _core.EmitChanges(_changes, static (subject, change) => subject.OnNext(change));
        _state.OnNext(snapshot);
        return count;
    }

    /// <summary>
    /// The realtime path: publishes every change at once, and the state at most once per <see cref="StateInterval"/>
    /// during a burst. With an asynchronous scheduler the snapshot is built when the scheduler gets to it (or
    /// <see cref="Current"/> is read), so changes arriving meanwhile share it; nobody observing, it is built only
    /// when read. Call under the lock.
    /// </summary>
    private void PublishChangesLocked()
    {
        if (_eagerState)
        {
            PublishLocked();
            return;
        }

        var count = _core.EmitChanges(_changes, static (subject, change) => subject.OnNext(change));
        if (!_core.IsDirty && !_metaDirty && count == 0)
        {
            return;
        }

        Volatile.Write(ref _stale, true);
        if (!_refreshScheduled && _state.HasObservers)
        {
            // The first change after a quiet moment goes out at once; a burst gets a state a display frame.
            _refreshScheduled = true;
            var since = _time.GetElapsedTime(_lastRefresh);
            _scheduler.Schedule(this, since >= StateInterval ? TimeSpan.Zero : StateInterval - since, static (_, store) =>
            {
                store.RefreshScheduled();
                return Disposable.Empty;
            });
        }
    }

    private void RefreshScheduled()
    {
        lock (_gate)
        {
            _refreshScheduled = false;
            if (_stale)
            {
                RefreshLocked();
            }
        }
    }

    /// <summary>Builds the state a realtime burst left unbuilt; takes the lock only then.</summary>
    private void RefreshIfStale()
    {
        if (Volatile.Read(ref _stale))
        {
            lock (_gate)
            {
                if (_stale)
                {
                    RefreshLocked();
                }
            }
        }
    }

    private void RefreshLocked() => _state.OnNext(BuildLocked());

    private MessageStoreState BuildLocked()
    {
        _metaDirty = false;
        var snapshot = _core.Snapshot(_isLoading, _isInitialized, _isConnected, _counters);
        Volatile.Write(ref _current, snapshot);
        Volatile.Write(ref _stale, false);
        _lastRefresh = _time.GetTimestamp();
        return snapshot;
    }

    private void PushDeactivations(long token, Guid keep, List<Guid> touched)
    {
        foreach (var session in _core.VisibleSessions().Where(s => s.IsActive && s.Id != keep).ToList())
        {
            _core.PushSession(token, session.Id, session with { IsActive = false });
            touched.Add(session.Id);
        }
    }

    /// <summary>Applies the RPC's result: the activated row, and the deactivation it made of the others.</summary>
    private void ApplyActivationLocked(IReadOnlyList<ChatSession> rows, Guid activated)
    {
        var activatedAt = DateTimeOffset.MinValue;
        foreach (var row in rows)
        {
            _core.ServerSession(row, isNew: false);
            if (row.Id == activated)
            {
                activatedAt = row.UpdatedAt;
            }
        }

        // The RPC cleared every other active session in the same transaction; a switch made after it
        // (by another client, with a later updated_at) stays.
        var others = new List<ChatSession>();
        foreach (var visible in _core.VisibleSessions())
        {
            if (visible.Id != activated && _core.GetServerSession(visible.Id) is { IsActive: true } server && server.UpdatedAt <= activatedAt)
            {
                others.Add(server);
            }
        }

        foreach (var server in others)
        {
            _core.ServerSession(server with { IsActive = false }, isNew: false);
        }
    }

    private void PopSessions(long token, List<Guid> ids)
    {
        foreach (var id in ids)
        {
            _core.PopSession(token, id);
        }
    }

    private Exception RollBackSessions(ChatOperation operation, Guid? id, long token, List<Guid> ids, Exception cause)
    {
        lock (_gate)
        {
            PopSessions(token, ids);
            PublishLocked();
        }

        return Fail(operation, id, cause);
    }

    private Exception RollBackMessage(ChatOperation operation, Guid id, long token, Exception cause)
    {
        lock (_gate)
        {
            _core.PopMessage(token, id);
            PublishLocked();
        }

        return Fail(operation, id, cause);
    }

    private Exception Fail(ChatOperation operation, Guid? id, Exception cause)
    {
        ChatLog.WriteRolledBack(_logger, operation, id, cause);
        return cause switch
        {
            // The caller's cancellation stays a cancellation; an HTTP timeout (TaskCanceledException wrapping a
            // TimeoutException) is a failed write the app must be able to show, so it becomes the typed error.
            OperationCanceledException when cause.InnerException is not TimeoutException => cause,
            ChatOperationException => cause,
            ArgumentException => cause,
            ObjectDisposedException => cause,
            _ => new ChatOperationException(operation, id, cause),
        };
    }

    private ChatSession RequireSession(Guid sessionId) =>
        _core.GetVisibleSession(sessionId) ?? throw new ArgumentException($"The store holds no session {sessionId}.", nameof(sessionId));

    private static void ValidateTitle(string title)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        if (title.Length > MaxTitleLength)
        {
            throw new ArgumentException($"A title has at most {MaxTitleLength} characters.", nameof(title));
        }
    }

    private static void ValidateContent(string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (content.Length > MaxContentLength)
        {
            throw new ArgumentException($"A message has at most {MaxContentLength} characters.", nameof(content));
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}

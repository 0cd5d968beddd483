using System.Globalization;
using System.Reactive.Disposables;
using System.Reactive.Subjects;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Realtime.Rows;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// The chat tables' postgres_changes on one realtime channel: sessions filtered by <c>user_id</c>,
/// messages by <c>session_id</c> (one session) or <c>user_id</c>, and deletes from the user's deletion log. Maps channel and socket states to a
/// <see cref="ChatConnectionStatus"/> and signals every subscription after the first (a rejoin), when
/// changes may have been missed.
/// </summary>
internal sealed partial class RealtimeChatChangeFeed : IChatChangeFeed
{
    private readonly Lock _gate = new();
    private readonly RealtimeClient _client;
    private readonly Guid _userId;
    private readonly Guid? _sessionId;
    private readonly ILogger _logger;
    private readonly Subject<ChatChange> _changes = new();
    // Changes come from the receive loop and, for rows completed by id, from a fetch: queued, and delivered one at
    // a time by whichever thread finds no delivery running (no lock held while observers run).
    private readonly SerialDelivery<ChatChange> _pending = new();
    private readonly BehaviorSubject<ChatConnectionStatus> _status = new(ChatConnectionStatus.Initial);
    private readonly Subject<long> _resubscribed = new();
    // Statuses and resubscription signals: decided under the lock, delivered after it (DeliverSignals).
    private readonly SerialDelivery<Signal> _signals = new();
    private ChatConnectionStatus _lastStatus = ChatConnectionStatus.Initial;
    private readonly CompositeDisposable _subscriptions = [];
    private readonly SerialDisposable _channelStatus = new();
    private readonly CancellationTokenSource _lifetime = new();
    private RealtimeChannel _channel;
    private long _subscribedCount;
    private bool _startFailed;
    private int _disposed;

    public RealtimeChatChangeFeed(RealtimeClient client, Guid userId, Guid? sessionId, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _userId = userId;
        _sessionId = sessionId;
        _logger = logger ?? NullLogger.Instance;
        ChannelName = "";
        var isPrivate = PrivateOnlyProjects.IsKnown(client);
        _channel = CreateChannel(isPrivate);
        Attach(_channel, isPrivate);
        _subscriptions.Add(_channelStatus);
        _subscriptions.Add(client.ConnectionStates.Subscribe(OnSocketState));
    }

    /// <summary>The name of the current channel (a new one when the feed moves to a private channel).</summary>
    public string ChannelName { get; private set; }

    /// <summary>Whether the feed's channel is private (the project refused a public one).</summary>
    public bool IsPrivate { get; private set; }

    /// <summary>Reads a row that a change delivered without its long values; null: such changes ask for a refetch.</summary>
    public ChatRowFetcher? RowFetcher { get; init; }

    public IObservable<ChatChange> Changes => _changes;

    public IObservable<ChatConnectionStatus> Status => _status;

    public IObservable<long> Resubscribed => _resubscribed;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        RealtimeChannel channel;
        lock (_gate)
        {
            channel = _channel;
        }

        ChatLog.SettingUpSubscriptions(_logger, channel.Topic, _sessionId);
        Publish(new ChatConnectionStatus(ChatConnectionState.Connecting, "subscribing"));
        try
        {
            try
            {
                await channel.SubscribeAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (RealtimeException ex) when (ex.IsPrivateOnlyRefusal)
            {
                // The project allows private channels only: the same feed on a private channel, authorized by the
                // realtime.messages policies of database/ai_chat_stream_authorization.sql.
                channel = await MoveToPrivateChannelAsync(channel).ConfigureAwait(false);
                await channel.SubscribeAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            lock (_gate)
            {
                _startFailed = true;
            }

            ChatLog.SubscriptionFailed(_logger, ex);
            throw;
        }
    }

    private RealtimeChannel CreateChannel(bool isPrivate)
    {
        var user = _userId.ToString("D", CultureInfo.InvariantCulture);
        // A unique channel per instance: the client shares channels by name.
        var name = string.Create(CultureInfo.InvariantCulture, $"ai-chat:{_userId:N}:{Guid.NewGuid():N}");
        var channel = _client.Channel(name, isPrivate ? new RealtimeChannelOptions { Private = true } : null);
        // Rows are read where they lie in the frame (no copy of the row images, no event object per change).
        channel.OnRowChanges(
            new PostgresChangesFilter(PostgresChangeEventFilter.All, "public", PostgrestChatDataSource.SessionsTable, "user_id=eq." + user),
            f => OnChange(f, isSession: true));
        channel.OnRowChanges(
            new PostgresChangesFilter(
                PostgresChangeEventFilter.All, "public", PostgrestChatDataSource.MessagesTable,
                _sessionId is { } sid ? "session_id=eq." + sid.ToString("D", CultureInfo.InvariantCulture) : "user_id=eq." + user),
            f => OnChange(f, isSession: false));
        // Deletes come from the deletion log: a filtered DELETE binding receives nothing under the tables' default
        // replica identity, which they must keep (database/enable_ai_chat_realtime.sql says why). By user, as sessions
        // are: consumers drop deletes of messages they do not hold.
        channel.OnRowChanges(
            new PostgresChangesFilter(PostgresChangeEventFilter.Insert, "public", PostgrestChatDataSource.DeletionsTable, "user_id=eq." + user),
            OnDeletion);
        return channel;
    }

    private void Attach(RealtimeChannel channel, bool isPrivate)
    {
        ChannelName = channel.Topic["realtime:".Length..];
        IsPrivate = isPrivate;
        _channelStatus.Disposable = channel.Statuses.Subscribe(change => OnChannelStatus(channel, change));
    }

    /// <summary>Replaces the public channel <paramref name="refused"/> by a private one (once; later calls get the same one).</summary>
    private async Task<RealtimeChannel> MoveToPrivateChannelAsync(RealtimeChannel refused)
    {
        PrivateOnlyProjects.Remember(_client);
        var current = CreateChannel(isPrivate: true);
        RealtimeChannel? winner = null;
        lock (_gate)
        {
            if (IsDisposed || !ReferenceEquals(_channel, refused))
            {
                winner = _channel;
            }
            else
            {
                _channel = current;
            }
        }

        if (winner is not null)
        {
            // Disposed, or another caller moved first.
            await current.DisposeAsync().ConfigureAwait(false);
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return winner;
        }

        Attach(current, isPrivate: true);

        ChatLog.SubscriptionStatus(_logger, ChatConnectionState.Connecting, "the project allows private channels only: joining " + current.Topic + " as private");
        await refused.DisposeAsync().ConfigureAwait(false);
        return current;
    }

    /// <summary>A rejoin refused over "private channels only" (the setting changed while the feed ran): go private and subscribe again.</summary>
    private async Task RejoinPrivateAsync(RealtimeChannel refused)
    {
        try
        {
            var channel = await MoveToPrivateChannelAsync(refused).ConfigureAwait(false);
            await channel.SubscribeAsync(_lifetime.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RealtimeException or ObjectDisposedException or OperationCanceledException)
        {
            // A refusal of the private channel is reported by its status; disposal ends it.
            ChatLog.SubscriptionFailed(_logger, ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // No lock held while awaiting: an observer running on the realtime thread may be waiting for this disposal.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _subscriptions.Dispose();
        await _lifetime.CancelAsync().ConfigureAwait(false);
        RealtimeChannel channel;
        lock (_gate)
        {
            channel = _channel;
        }

        // Disposing the channel sends phx_leave, so the server drops the subscription at once.
        await channel.DisposeAsync().ConfigureAwait(false);
        lock (_gate)
        {
            _lastStatus = new ChatConnectionStatus(ChatConnectionState.Disconnected, "disposed");
            _signals.Enqueue(new Signal(_lastStatus, 0));
        }

        DeliverSignals();
        _changes.OnCompleted();
        _status.OnCompleted();
        _resubscribed.OnCompleted();
        _lifetime.Dispose();
    }

    private bool IsDisposed => Volatile.Read(ref _disposed) != 0;
}

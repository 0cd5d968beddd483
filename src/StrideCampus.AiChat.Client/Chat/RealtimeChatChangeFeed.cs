using System.Collections.Concurrent;
using System.Globalization;
using System.Reactive.Disposables;
using System.Reactive.Subjects;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Rest;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// The chat tables' postgres_changes on one realtime channel: sessions filtered by <c>user_id</c>,
/// messages by <c>session_id</c> (one session) or <c>user_id</c>, and deletes from the user's deletion log. Maps channel and socket states to a
/// <see cref="ChatConnectionStatus"/> and signals every subscription after the first (a rejoin), when
/// changes may have been missed.
/// </summary>
internal sealed class RealtimeChatChangeFeed : IChatChangeFeed
{
    private readonly Lock _gate = new();
    private readonly RealtimeClient _client;
    private readonly Guid _userId;
    private readonly Guid? _sessionId;
    private readonly ILogger _logger;
    private readonly Subject<ChatChange> _changes = new();
    // Changes come from the receive loop and, for rows completed by id, from a fetch: queued, and delivered one at
    // a time by whichever thread finds no delivery running (no lock held while observers run).
    private readonly ConcurrentQueue<ChatChange> _pending = new();
    private int _delivering;
    private readonly BehaviorSubject<ChatConnectionStatus> _status = new(ChatConnectionStatus.Initial);
    private readonly Subject<long> _resubscribed = new();
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
        channel.OnPostgresChangeFrames(
            new PostgresChangesFilter(PostgresChangeEventFilter.All, "public", PostgrestChatDataSource.SessionsTable, "user_id=eq." + user),
            f => OnChange(f, isSession: true));
        channel.OnPostgresChangeFrames(
            new PostgresChangesFilter(
                PostgresChangeEventFilter.All, "public", PostgrestChatDataSource.MessagesTable,
                _sessionId is { } sid ? "session_id=eq." + sid.ToString("D", CultureInfo.InvariantCulture) : "user_id=eq." + user),
            f => OnChange(f, isSession: false));
        // Deletes come from the deletion log: a filtered DELETE binding receives nothing under the tables' default
        // replica identity, which they must keep (database/enable_ai_chat_realtime.sql says why). By user, as sessions
        // are: consumers drop deletes of messages they do not hold.
        channel.OnPostgresChangeFrames(
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
        // No lock here: an observer running on the realtime thread (under the gate) may be waiting for this disposal.
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
        _status.OnNext(new ChatConnectionStatus(ChatConnectionState.Disconnected, "disposed"));
        _changes.OnCompleted();
        _status.OnCompleted();
        _resubscribed.OnCompleted();
        _lifetime.Dispose();
    }

    private bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    private void OnChannelStatus(RealtimeChannel channel, ChannelStatusChange change)
    {
        long resubscribed = 0;
        var goPrivate = false;
        lock (_gate)
        {
            if (IsDisposed || !ReferenceEquals(channel, _channel))
            {
                return; // a channel the feed moved away from
            }

            switch (change.Status)
            {
                case SubscribeStatus.Subscribed:
                    var n = ++_subscribedCount;
                    if (n > 1 || _startFailed)
                    {
                        resubscribed = n;
                    }

                    PublishLocked(new ChatConnectionStatus(ChatConnectionState.Connected, change.Reason ?? "subscribed"));
                    break;
                case SubscribeStatus.Closed:
                    PublishLocked(new ChatConnectionStatus(ChatConnectionState.Disconnected, change.Reason ?? "closed", change.Error));
                    break;
                case SubscribeStatus.ChannelError when change.Error is RealtimeException { IsPrivateOnlyRefusal: true } && _subscribedCount > 0:
                    // Joined before, refused now: the project switched to private channels only.
                    goPrivate = true;
                    PublishLocked(new ChatConnectionStatus(ChatConnectionState.Connecting, change.Reason ?? "private channels only", change.Error));
                    break;
                case SubscribeStatus.ChannelError when change.Error is RealtimeException { IsPermissionRefusal: true, IsPrivateOnlyRefusal: false }:
                    // Refused for good (no Realtime Authorization policy for the feed's topic): the channel stops, so say so.
                    ChatLog.SubscriptionFailed(_logger, change.Error);
                    PublishLocked(new ChatConnectionStatus(ChatConnectionState.Disconnected, change.Reason ?? "refused", change.Error));
                    break;
                default: // timed out or errored: the channel rejoins by itself
                    ChatLog.SubscriptionFailed(_logger, change.Error ?? new RealtimeException(change.Reason ?? change.Status.ToString()));
                    PublishLocked(new ChatConnectionStatus(ChatConnectionState.Connecting, change.Reason ?? change.Status.ToString(), change.Error));
                    break;
            }

            if (resubscribed > 0)
            {
                _resubscribed.OnNext(resubscribed);
            }
        }

        if (goPrivate)
        {
            _ = RejoinPrivateAsync(channel);
        }
    }

    private void OnSocketState(ConnectionStateChange change)
    {
        lock (_gate)
        {
            if (IsDisposed || _subscribedCount == 0 && !_startFailed)
            {
                return; // before the first join the channel status says it all
            }

            if (change.State != ConnectionState.Connected)
            {
                PublishLocked(new ChatConnectionStatus(ChatConnectionState.Connecting, "socket " + change.Reason, change.Error));
            }
        }
    }

    private void OnChange(PostgresChangeFrame f, bool isSession)
    {
        if (IsDisposed)
        {
            return;
        }

        ChatChange? change;
        try
        {
            change = Map(f, isSession);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or ArgumentException or NotSupportedException)
        {
            ChatLog.RealtimePayloadDropped(_logger, f.Table, ex.Message);
            return;
        }

        if (change is null)
        {
            ChatLog.RealtimePayloadDropped(_logger, f.Table, f.Errors.Count > 0 ? string.Join("; ", f.Errors) : "no row in the payload");
            if (RowFetcher is { } fetcher && f.Type is PostgresChangeType.Insert or PostgresChangeType.Update
                && f.New.IsPresent && f.New.IsObject && f.New.TryFind("id"u8, out var idColumn) && f.New.TryGetGuid(idColumn, out var id))
            {
                // Supabase keeps the short values (the id among them) of a change over its record limit: read that row alone.
                _ = CompleteRowAsync(fetcher, isSession, id, f.Type == PostgresChangeType.Insert);
            }
            else if (f.Type is PostgresChangeType.Insert or PostgresChangeType.Update)
            {
                // A change happened but its row did not arrive whole: ask the consumers to refetch, as after a rejoin.
                _resubscribed.OnNext(Interlocked.Read(ref _subscribedCount));
            }

            return;
        }

        Deliver(change);
    }

    private void OnDeletion(PostgresChangeFrame f)
    {
        if (IsDisposed)
        {
            return;
        }

        ChatChange? change;
        try
        {
            change = MapDeletion(f);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            ChatLog.RealtimePayloadDropped(_logger, f.Table, ex.Message);
            return;
        }

        if (change is null)
        {
            ChatLog.RealtimePayloadDropped(_logger, f.Table, f.Errors.Count > 0 ? string.Join("; ", f.Errors) : "no deletion in the payload");
            return;
        }

        Deliver(change);
    }

    /// <summary>Maps an insert into the deletion log to the delete of the session or message it records.</summary>
    internal static ChatChange? MapDeletion(PostgresChangeFrame f)
    {
        if (!string.Equals(f.Table, PostgrestChatDataSource.DeletionsTable, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"a change of table '{f.Table}' arrived on the {PostgrestChatDataSource.DeletionsTable} subscription");
        }

        if (f.Type != PostgresChangeType.Insert || f.Errors.Count > 0 || !f.New.IsPresent || !f.New.IsObject ||
            !f.New.TryFind("row_id"u8, out var rowColumn) || !f.New.TryGetGuid(rowColumn, out var rowId) ||
            !f.New.TryFind("table_name"u8, out var tableColumn))
        {
            return null;
        }

        Guid? sessionId = f.New.TryFind("session_id"u8, out var sessionColumn) && f.New.TryGetGuid(sessionColumn, out var sid) ? sid : null;
        return f.New.GetString(tableColumn) switch
        {
            PostgrestChatDataSource.SessionsTable => ChatChange.SessionRemoved(rowId) with { LoggedSessionId = sessionId ?? rowId },
            PostgrestChatDataSource.MessagesTable => ChatChange.MessageRemoved(rowId) with { LoggedSessionId = sessionId },
            var other => throw new InvalidOperationException($"the deletion log names an unknown table '{other}'"),
        };
    }

    private async Task CompleteRowAsync(ChatRowFetcher fetcher, bool isSession, Guid id, bool insert)
    {
        ChatChange? change;
        try
        {
            change = await fetcher.FetchAsync(isSession, id, insert, _lifetime.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Whatever failed, the change must not be lost: fall back to a refetch.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (!IsDisposed)
            {
                // Not read: fall back to a refetch, as for any change that did not arrive whole.
                ChatLog.RealtimePayloadDropped(_logger, isSession ? PostgrestChatDataSource.SessionsTable : PostgrestChatDataSource.MessagesTable, ex.Message);
                _resubscribed.OnNext(Interlocked.Read(ref _subscribedCount));
            }

            return;
        }

        // Null: deleted or no longer visible meanwhile; its delete arrives on its own.
        if (change is not null && !IsDisposed)
        {
            Deliver(change);
        }
    }

    private void Deliver(ChatChange change)
    {
        _pending.Enqueue(change);
        while (Interlocked.CompareExchange(ref _delivering, 1, 0) == 0)
        {
            while (_pending.TryDequeue(out var next))
            {
                _changes.OnNext(next);
            }

            Volatile.Write(ref _delivering, 0);
            if (_pending.IsEmpty)
            {
                break;
            }
        }
    }

    /// <summary>Maps a change as parsed in place (the receive loop's path).</summary>
    internal static ChatChange? Map(PostgresChangeFrame f, bool isSession)
    {
        CheckTable(f.Table, isSession);
        switch (f.Type)
        {
            case PostgresChangeType.Insert or PostgresChangeType.Update:
                // With errors (Supabase's "Error 413: Payload Too Large"), the record lacks every long value: not a row.
                if (f.Errors.Count > 0 || !f.New.IsPresent || !f.New.IsObject)
                {
                    return null;
                }

                var insert = f.Type == PostgresChangeType.Insert;
                if (isSession)
                {
                    return SessionChange(JsonSerializer.Deserialize(f.New.Utf8, ChatJsonContext.Default.ChatSession), insert);
                }

                if (!ChatMessageReader.TryRead(f.New, out var message))
                {
                    message = JsonSerializer.Deserialize(f.New.Utf8, ChatJsonContext.Default.ChatMessage);
                }

                return MessageChange(message, insert);
            case PostgresChangeType.Delete:
                if (!f.Old.IsPresent || !f.Old.IsObject || !f.Old.TryFind("id"u8, out var idColumn) || !f.Old.TryGetGuid(idColumn, out var id))
                {
                    return null;
                }

                return isSession ? ChatChange.SessionRemoved(id) : ChatChange.MessageRemoved(id);
            default:
                return null;
        }
    }

    /// <summary>Maps a self-contained event (one built by hand, or copied out of a frame) the way a frame is mapped.</summary>
    internal static ChatChange? Map(PostgresChangeEvent e, bool isSession) => Map(ToFrame(e), isSession);

    /// <summary>Maps a self-contained deletion log event the way a frame is mapped.</summary>
    internal static ChatChange? MapDeletion(PostgresChangeEvent e) => MapDeletion(ToFrame(e));

    private static PostgresChangeFrame ToFrame(PostgresChangeEvent e)
    {
        var frame = new PostgresChangeFrame { Type = e.Type, Schema = e.Schema, Table = e.Table, CommitTimestamp = e.CommitTimestamp, Errors = e.Errors };
        Locate(e.New, frame.New);
        Locate(e.Old, frame.Old);
        return frame;

        static void Locate(JsonElement? image, RowColumns row)
        {
            if (image is { ValueKind: not JsonValueKind.Undefined } value)
            {
                PostgresChangeParser.ReadRowImage(System.Text.Encoding.UTF8.GetBytes(value.GetRawText()), row);
            }
        }
    }

    private static void CheckTable(string table, bool isSession)
    {
        // A change routed to the wrong binding (a hostile or buggy server) must not be read as the other table's row.
        var expected = isSession ? PostgrestChatDataSource.SessionsTable : PostgrestChatDataSource.MessagesTable;
        if (!string.Equals(table, expected, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"a change of table '{table}' arrived on the {expected} subscription");
        }
    }

    private static ChatChange? SessionChange(ChatSession? session, bool insert)
    {
        if (session is null || session.Title is null)
        {
            return null;
        }

        if (session.Id == Guid.Empty || session.UserId == Guid.Empty)
        {
            throw new InvalidOperationException("the session row lacks its id or user_id");
        }

        return insert ? ChatChange.Created(session) : ChatChange.Updated(session);
    }

    private static ChatChange? MessageChange(ChatMessage? message, bool insert)
    {
        if (message is null || message.Content is null)
        {
            return null;
        }

        if (message.Id == Guid.Empty || message.SessionId == Guid.Empty)
        {
            throw new InvalidOperationException("the message row lacks its id or session_id");
        }

        return insert ? ChatChange.Created(message) : ChatChange.Updated(message);
    }

    private void Publish(ChatConnectionStatus status)
    {
        lock (_gate)
        {
            if (!IsDisposed)
            {
                PublishLocked(status);
            }
        }
    }

    private void PublishLocked(ChatConnectionStatus status)
    {
        var current = _status.Value;
        if (current.State == status.State && current.Reason == status.Reason)
        {
            return;
        }

        if (current.State != status.State)
        {
            ChatLog.SubscriptionStatus(_logger, status.State, status.Reason);
        }

        _status.OnNext(status);
    }
}

using System.Globalization;
using System.Reactive.Disposables;
using System.Reactive.Subjects;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StrideCampus.AiChat.Client.Realtime;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// The chat tables' postgres_changes on one realtime channel: sessions filtered by <c>user_id</c>,
/// messages by <c>session_id</c> (one session) or <c>user_id</c>. Maps channel and socket states to a
/// <see cref="ChatConnectionStatus"/> and signals every subscription after the first (a rejoin), when
/// changes may have been missed.
/// </summary>
internal sealed class RealtimeChatChangeFeed : IChatChangeFeed
{
    private readonly Lock _gate = new();
    private readonly RealtimeClient _client;
    private readonly RealtimeChannel _channel;
    private readonly Guid? _sessionId;
    private readonly ILogger _logger;
    private readonly Subject<ChatChange> _changes = new();
    private readonly BehaviorSubject<ChatConnectionStatus> _status = new(ChatConnectionStatus.Initial);
    private readonly Subject<long> _resubscribed = new();
    private readonly CompositeDisposable _subscriptions = [];
    private long _subscribedCount;
    private bool _startFailed;
    private int _disposed;

    public RealtimeChatChangeFeed(RealtimeClient client, Guid userId, Guid? sessionId, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _sessionId = sessionId;
        _logger = logger ?? NullLogger.Instance;
        var user = userId.ToString("D", CultureInfo.InvariantCulture);
        // A unique channel per instance: the client shares channels by name.
        ChannelName = string.Create(CultureInfo.InvariantCulture, $"ai-chat:{userId:N}:{Guid.NewGuid():N}");
        _channel = client.Channel(ChannelName);
        var sessions = _channel.OnPostgresChanges(new PostgresChangesFilter(
            PostgresChangeEventFilter.All, "public", PostgrestChatDataSource.SessionsTable, "user_id=eq." + user));
        var messages = _channel.OnPostgresChanges(new PostgresChangesFilter(
            PostgresChangeEventFilter.All, "public", PostgrestChatDataSource.MessagesTable,
            sessionId is { } sid ? "session_id=eq." + sid.ToString("D", CultureInfo.InvariantCulture) : "user_id=eq." + user));
        _subscriptions.Add(sessions.Subscribe(e => OnEvent(e, isSession: true)));
        _subscriptions.Add(messages.Subscribe(e => OnEvent(e, isSession: false)));
        _subscriptions.Add(_channel.Statuses.Subscribe(OnChannelStatus));
        _subscriptions.Add(client.ConnectionStates.Subscribe(OnSocketState));
    }

    public string ChannelName { get; }

    public IObservable<ChatChange> Changes => _changes;

    public IObservable<ChatConnectionStatus> Status => _status;

    public IObservable<long> Resubscribed => _resubscribed;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ChatLog.SettingUpSubscriptions(_logger, _channel.Topic, _sessionId);
        Publish(new ChatConnectionStatus(ChatConnectionState.Connecting, "subscribing"));
        try
        {
            await _channel.SubscribeAsync(cancellationToken).ConfigureAwait(false);
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

    public async ValueTask DisposeAsync()
    {
        // No lock here: an observer running on the realtime thread (under the gate) may be waiting for this disposal.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _subscriptions.Dispose();
        // Disposing the channel sends phx_leave, so the server drops the subscription at once.
        await _channel.DisposeAsync().ConfigureAwait(false);
        _status.OnNext(new ChatConnectionStatus(ChatConnectionState.Disconnected, "disposed"));
        _changes.OnCompleted();
        _status.OnCompleted();
        _resubscribed.OnCompleted();
    }

    private bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    private void OnChannelStatus(ChannelStatusChange change)
    {
        long resubscribed = 0;
        lock (_gate)
        {
            if (IsDisposed)
            {
                return;
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

    private void OnEvent(PostgresChangeEvent e, bool isSession)
    {
        ChatChange? change;
        try
        {
            change = Map(e, isSession);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or ArgumentException or NotSupportedException)
        {
            ChatLog.RealtimePayloadDropped(_logger, e.Table, ex.Message);
            return;
        }

        if (change is null)
        {
            ChatLog.RealtimePayloadDropped(_logger, e.Table, e.Errors.Count > 0 ? string.Join("; ", e.Errors) : "no row in the payload");
            if (e.Type is PostgresChangeType.Insert or PostgresChangeType.Update)
            {
                // A change happened but its row did not arrive whole: ask the consumers to refetch, as after a rejoin.
                if (!IsDisposed)
                {
                    _resubscribed.OnNext(Interlocked.Read(ref _subscribedCount));
                }
            }

            return;
        }

        // Changes come one at a time from the socket's receive loop: no lock while observers run.
        if (!IsDisposed)
        {
            _changes.OnNext(change);
        }
    }

    internal static ChatChange? Map(PostgresChangeEvent e, bool isSession)
    {
        // A change routed to the wrong binding (a hostile or buggy server) must not be read as the other table's row.
        var table = isSession ? PostgrestChatDataSource.SessionsTable : PostgrestChatDataSource.MessagesTable;
        if (!string.Equals(e.Table, table, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"a change of table '{e.Table}' arrived on the {table} subscription");
        }

        switch (e.Type)
        {
            case PostgresChangeType.Insert or PostgresChangeType.Update:
                // With errors (Supabase's "Error 413: Payload Too Large"), the record lacks every long value: not a row.
                if (e.Errors.Count > 0)
                {
                    return null;
                }

                // A decoded event's row is read straight from its bytes; an event built by hand from its element.
                var raw = e.NewRow;
                JsonElement row = default;
                if (raw is not null)
                {
                    if (!raw.IsObject)
                    {
                        return null;
                    }
                }
                else if (e.New is { ValueKind: JsonValueKind.Object } element)
                {
                    row = element;
                }
                else
                {
                    return null;
                }

                var insert = e.Type == PostgresChangeType.Insert;
                if (isSession)
                {
                    var session = raw is not null
                        ? JsonSerializer.Deserialize(raw.Utf8, ChatJsonContext.Default.ChatSession)
                        : row.Deserialize(ChatJsonContext.Default.ChatSession);
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

                ChatMessage? message;
                if (raw is null)
                {
                    message = row.Deserialize(ChatJsonContext.Default.ChatMessage);
                }
                else if (!ChatMessageReader.TryRead(raw.Utf8, out message))
                {
                    message = JsonSerializer.Deserialize(raw.Utf8, ChatJsonContext.Default.ChatMessage);
                }
                if (message is null || message.Content is null)
                {
                    return null;
                }

                if (message.Id == Guid.Empty || message.SessionId == Guid.Empty)
                {
                    throw new InvalidOperationException("the message row lacks its id or session_id");
                }

                return insert ? ChatChange.Created(message) : ChatChange.Updated(message);
            case PostgresChangeType.Delete:
                if (e.Old is not { ValueKind: JsonValueKind.Object } old || !old.TryGetProperty("id", out var idElement) ||
                    !idElement.TryGetGuid(out var id))
                {
                    return null;
                }

                return isSession ? ChatChange.SessionRemoved(id) : ChatChange.MessageRemoved(id);
            default:
                return null;
        }
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

using System.Globalization;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StrideCampus.AiChat.Client.Realtime;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// Relays streamed tokens on the private broadcast channel <c>ai-chat-stream:{user id}</c>. Supabase Realtime
/// Authorization decides who may join it (database/ai_chat_stream_authorization.sql lets a user read and
/// write only their own topic). A socket carries one channel per topic, so every relay of one user on one
/// <see cref="RealtimeClient"/> shares the channel; the last one disposed leaves it.
/// </summary>
internal sealed class RealtimeStreamRelay : IStreamRelay
{
    internal const string TopicPrefix = "ai-chat-stream:";
    internal const string DeltaEvent = "delta";

    private static readonly ConditionalWeakTable<RealtimeClient, UserChannels> Channels = [];

    private readonly SharedChannel _shared;
    private int _disposed;

    public RealtimeStreamRelay(RealtimeClient client, Guid userId, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        _shared = SharedChannel.Acquire(client, userId, logger ?? NullLogger.Instance);
    }

    /// <summary>The channel name of a user's relay (the topic is <c>realtime:</c> followed by it).</summary>
    internal static string ChannelName(Guid userId) => TopicPrefix + userId.ToString("D", CultureInfo.InvariantCulture);

    public IObservable<StreamDelta> Deltas => _shared.Deltas;

    public IObservable<string> QuotaExceeded => _shared.QuotaExceeded;

    /// <summary>Whether the relay's channel is joined (for tests).</summary>
    internal bool IsJoined => _shared.IsJoined;

    public void Publish(StreamDelta delta) => _shared.Publish(delta);

    public Task StartAsync(CancellationToken cancellationToken) => _shared.StartAsync(cancellationToken);

    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _disposed, 1) == 0 ? _shared.ReleaseAsync() : ValueTask.CompletedTask;

    /// <summary>A client's relays by user, and the leaves still under way (guarded by the instance's own lock).</summary>
    private sealed class UserChannels
    {
        public Dictionary<Guid, SharedChannel> Live { get; } = [];

        public Dictionary<Guid, Task> Leaving { get; } = [];
    }

    /// <summary>
    /// One user's channel on one client. Under the locks only counts and references change: the channel is asked
    /// for, joined and left after them. A new channel of the user is asked for only once the previous one has
    /// left the client's table (the client would otherwise hand back the closing channel).
    /// </summary>
    private sealed class SharedChannel
    {
        private readonly Lock _gate = new();
        private readonly RealtimeClient _client;
        private readonly Guid _userId;
        private readonly ILogger _logger;
        private readonly Task _previousLeave;
        private readonly TaskCompletionSource _left = new(TaskCreationOptions.RunContinuationsAsynchronously);
        // Published locally by the writer's thread and received from the socket. Each store takes its own gate, so
        // observers are called with no lock held (Subject.Synchronize would hold one around every store's delivery).
        private readonly SafeSubject<StreamDelta> _deltas;
        private readonly Subject<string> _quotaExceeded = new();
        private RealtimeChannel? _channel; // set under _gate once asked for; read lock-free
        private IDisposable? _subscriptions;
        private int _leases; // under the client's UserChannels lock
        private Task? _start;
        private bool _creating;
        private bool _released;
        private volatile bool _disabled;

        private SharedChannel(RealtimeClient client, Guid userId, ILogger logger, Task previousLeave)
        {
            _client = client;
            _userId = userId;
            _logger = logger;
            _previousLeave = previousLeave;
            _deltas = new SafeSubject<StreamDelta>(logger, "stream relay deltas");
        }

        public IObservable<StreamDelta> Deltas => _deltas;

        public IObservable<string> QuotaExceeded => _quotaExceeded;

        public bool IsJoined => !_disabled && Volatile.Read(ref _channel) is { State: ChannelState.Joined };

        private string Topic => "realtime:" + ChannelName(_userId);

        public static SharedChannel Acquire(RealtimeClient client, Guid userId, ILogger logger)
        {
            var users = Channels.GetValue(client, static _ => new UserChannels());
            lock (users)
            {
                if (!users.Live.TryGetValue(userId, out var shared))
                {
                    var previous = users.Leaving.TryGetValue(userId, out var leave) && !leave.IsCompleted ? leave : Task.CompletedTask;
                    users.Leaving.Remove(userId);
                    shared = new SharedChannel(client, userId, logger, previous);
                    users.Live.Add(userId, shared);
                }

                shared._leases++;
                return shared;
            }
        }

        public Task StartAsync(CancellationToken cancellationToken)
        {
            TaskCompletionSource? first = null;
            Task start;
            lock (_gate)
            {
                if (_start is null)
                {
                    first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _start = first.Task;
                }

                start = _start;
            }

            if (first is not null)
            {
                // The join begins after the lock (its first part runs synchronously on this thread).
                _ = RunJoinAsync(first);
            }

            return start.WaitAsync(cancellationToken);
        }

        public void Publish(StreamDelta delta)
        {
            _deltas.OnNext(delta); // the user's other stores on this client (the writer's own store ignores it)
            if (!IsJoined || Volatile.Read(ref _channel) is not { } channel)
            {
                return; // not joined (yet, or refused): the other clients follow the database writes
            }

            try
            {
                // Sends are queued in call order; nothing to wait for without an ack.
                _ = channel.SendBroadcastAsync(DeltaEvent, delta, static (writer, d) =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("message_id"u8, d.MessageId);
                    writer.WriteString("session_id"u8, d.SessionId);
                    writer.WriteNumber("offset"u8, d.Offset);
                    writer.WriteString("text"u8, d.Text);
                    writer.WriteEndObject();
                }).ContinueWith(
                    static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
            catch (Exception ex) when (ex is RealtimeException or ObjectDisposedException)
            {
                // left or closing meanwhile: best effort
            }
        }

        public async ValueTask ReleaseAsync()
        {
            var users = Channels.GetValue(_client, static _ => new UserChannels());
            lock (users)
            {
                if (--_leases > 0)
                {
                    return;
                }

                users.Live.Remove(_userId);
                // The user's next channel waits for this one's leave (and for any before it still under way).
                users.Leaving[_userId] = Task.WhenAll(_previousLeave, _left.Task);
            }

            bool leave;
            RealtimeChannel? channel;
            IDisposable? subscriptions;
            lock (_gate)
            {
                _released = true;
                // A join asking for the channel right now sees the release once it has it, and leaves it itself.
                leave = !_creating;
                channel = _channel;
                subscriptions = _subscriptions;
            }

            if (leave)
            {
                await LeaveAsync(channel, subscriptions).ConfigureAwait(false);
            }
            else
            {
                await _left.Task.ConfigureAwait(false);
            }
        }

        private async Task RunJoinAsync(TaskCompletionSource done)
        {
            try
            {
                await JoinAsync().ConfigureAwait(false);
            }
            finally
            {
                done.TrySetResult();
            }
        }

        private async Task<RealtimeChannel?> CreateChannelAsync()
        {
            // Until the user's previous channel has left the client's table, asking for the topic would return it.
            await _previousLeave.ConfigureAwait(false);
            lock (_gate)
            {
                if (_released)
                {
                    return null;
                }

                _creating = true;
            }

            RealtimeChannel? channel = null;
            IDisposable? subscriptions = null;
            var releasedMeanwhile = false;
            try
            {
                // No broadcast self (it would double the project's message count): stores sharing this socket get a
                // delta straight from Publish instead.
                channel = _client.Channel(ChannelName(_userId), new RealtimeChannelOptions { Private = true });
                subscriptions = new CompositeDisposable(
                    channel.OnBroadcast(DeltaEvent).Subscribe(OnBroadcast),
                    // The server's system error before it closes the channel over the project's quota.
                    channel.Statuses
                        .Where(s => s.Status == SubscribeStatus.ChannelError && s.Reason == RelayQuotaBackoff.TooManyMessages)
                        .Subscribe(s => _quotaExceeded.OnNext(s.Reason!)));
            }
            finally
            {
                lock (_gate)
                {
                    _creating = false;
                    releasedMeanwhile = _released;
                    if (!releasedMeanwhile)
                    {
                        _subscriptions = subscriptions;
                        Volatile.Write(ref _channel, channel);
                    }
                }

                if (releasedMeanwhile)
                {
                    // Released while the channel was asked for: the release left this leave to the join.
                    await LeaveAsync(channel, subscriptions).ConfigureAwait(false);
                }
            }

            return releasedMeanwhile ? null : channel;
        }

        private async Task LeaveAsync(RealtimeChannel? channel, IDisposable? subscriptions)
        {
            try
            {
                subscriptions?.Dispose();
                if (channel is not null)
                {
                    await channel.DisposeAsync().ConfigureAwait(false);
                }
            }
            finally
            {
                _left.TrySetResult();
                _deltas.OnCompleted();
                _quotaExceeded.OnCompleted();
            }
        }

        private async Task JoinAsync()
        {
            RealtimeChannel? channel = null;
            try
            {
                channel = await CreateChannelAsync().ConfigureAwait(false);
                if (channel is null)
                {
                    return; // released before it was asked for
                }

                await channel.SubscribeAsync().ConfigureAwait(false);
                ChatLog.StreamRelayJoined(_logger, channel.Topic);
            }
            catch (RealtimeException ex) when (ex.IsAuthorizationRefusal && channel is not null)
            {
                // Refused (no Realtime Authorization policy for the topic): stop asking, and say how to enable it.
                _disabled = true;
                ChatLog.StreamRelayUnavailable(_logger, channel.Topic, ex);
                try
                {
                    await channel.UnsubscribeAsync().ConfigureAwait(false);
                }
                catch (Exception leave) when (leave is RealtimeException or ObjectDisposedException or TimeoutException)
                {
                    // already gone
                }
            }
            catch (RealtimeException ex)
            {
                // Timed out or refused for another reason: the channel keeps rejoining by itself; deltas flow once it is joined.
                ChatLog.StreamRelayJoinFailed(_logger, Topic, ex);
            }
            catch (ObjectDisposedException)
            {
                // released (or the client disposed) while joining
            }
        }

        private void OnBroadcast(BroadcastMessage message)
        {
            if (TryParse(message.Payload, out var delta))
            {
                _deltas.OnNext(delta);
            }
            else
            {
                ChatLog.StreamDeltaDropped(_logger, Topic);
            }
        }

        private static bool TryParse(JsonElement payload, out StreamDelta delta)
        {
            delta = null!;
            if (payload.ValueKind != JsonValueKind.Object ||
                !payload.TryGetProperty("message_id"u8, out var id) || id.ValueKind != JsonValueKind.String || !id.TryGetGuid(out var messageId) ||
                !payload.TryGetProperty("session_id"u8, out var sid) || sid.ValueKind != JsonValueKind.String || !sid.TryGetGuid(out var sessionId) ||
                !payload.TryGetProperty("offset"u8, out var off) || off.ValueKind != JsonValueKind.Number || !off.TryGetInt32(out var offset) || offset < 0 ||
                !payload.TryGetProperty("text"u8, out var text) || text.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            delta = new StreamDelta(messageId, sessionId, offset, text.GetString()!);
            return true;
        }
    }
}

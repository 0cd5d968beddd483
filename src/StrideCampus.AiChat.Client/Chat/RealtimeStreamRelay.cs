using System.Globalization;
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

    private static readonly ConditionalWeakTable<RealtimeClient, Dictionary<Guid, SharedChannel>> Channels = [];

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

    private sealed class SharedChannel
    {
        private readonly RealtimeClient _client;
        private readonly Guid _userId;
        private readonly ILogger _logger;
        private readonly RealtimeChannel _channel;
        // Published locally by the writer's thread and received from the socket: serialized for observers.
        private readonly ISubject<StreamDelta> _deltas = Subject.Synchronize(new Subject<StreamDelta>());
        private readonly IDisposable _subscription;
        private readonly IDisposable _statusSubscription;
        private readonly Subject<string> _quotaExceeded = new();
        private int _leases;
        private Task? _start;
        private volatile bool _disabled;

        private SharedChannel(RealtimeClient client, Guid userId, ILogger logger)
        {
            _client = client;
            _userId = userId;
            _logger = logger;
            // No broadcast self (it would double the project's message count): stores sharing this socket get a
            // delta straight from Publish instead.
            _channel = client.Channel(ChannelName(userId), new RealtimeChannelOptions { Private = true });
            _subscription = _channel.OnBroadcast(DeltaEvent).Subscribe(OnBroadcast);
            // The server's system error before it closes the channel over the project's quota.
            _statusSubscription = _channel.Statuses
                .Where(s => s.Status == SubscribeStatus.ChannelError && s.Reason == RelayQuotaBackoff.TooManyMessages)
                .Subscribe(s => _quotaExceeded.OnNext(s.Reason!));
        }

        public IObservable<StreamDelta> Deltas => _deltas;

        public IObservable<string> QuotaExceeded => _quotaExceeded;

        public bool IsJoined => !_disabled && _channel.State == ChannelState.Joined;

        public static SharedChannel Acquire(RealtimeClient client, Guid userId, ILogger logger)
        {
            var byUser = Channels.GetValue(client, static _ => []);
            lock (byUser)
            {
                if (!byUser.TryGetValue(userId, out var shared))
                {
                    shared = new SharedChannel(client, userId, logger);
                    byUser.Add(userId, shared);
                }

                shared._leases++;
                return shared;
            }
        }

        public Task StartAsync(CancellationToken cancellationToken)
        {
            Task start;
            lock (this)
            {
                start = _start ??= JoinAsync();
            }

            return start.WaitAsync(cancellationToken);
        }

        public void Publish(StreamDelta delta)
        {
            _deltas.OnNext(delta); // the user's other stores on this client (the writer's own store ignores it)
            if (!IsJoined)
            {
                return; // not joined (yet, or refused): the other clients follow the database writes
            }

            try
            {
                // Sends are queued in call order; nothing to wait for without an ack.
                _ = _channel.SendBroadcastAsync(DeltaEvent, delta, static (writer, d) =>
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
            var byUser = Channels.GetValue(_client, static _ => []);
            ValueTask leave;
            lock (byUser)
            {
                if (--_leases > 0)
                {
                    return;
                }

                byUser.Remove(_userId);
                _subscription.Dispose();
                _statusSubscription.Dispose();
                // Started under the lock: the channel leaves the client's table before a new relay of this user can
                // ask the client for the topic (it would otherwise get this closing channel back).
                leave = _channel.DisposeAsync();
            }

            await leave.ConfigureAwait(false);
            _deltas.OnCompleted();
            _quotaExceeded.OnCompleted();
        }

        private async Task JoinAsync()
        {
            try
            {
                await _channel.SubscribeAsync().ConfigureAwait(false);
                ChatLog.StreamRelayJoined(_logger, _channel.Topic);
            }
            catch (RealtimeException ex) when (ex.IsAuthorizationRefusal)
            {
                // Refused (no Realtime Authorization policy for the topic): stop asking, and say how to enable it.
                _disabled = true;
                ChatLog.StreamRelayUnavailable(_logger, _channel.Topic, ex);
                try
                {
                    await _channel.UnsubscribeAsync().ConfigureAwait(false);
                }
                catch (Exception leave) when (leave is RealtimeException or ObjectDisposedException or TimeoutException)
                {
                    // already gone
                }
            }
            catch (RealtimeException ex)
            {
                // Timed out or refused for another reason: the channel keeps rejoining by itself; deltas flow once it is joined.
                ChatLog.StreamRelayJoinFailed(_logger, _channel.Topic, ex);
            }
            catch (ObjectDisposedException)
            {
                // released while joining
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
                ChatLog.StreamDeltaDropped(_logger, _channel.Topic);
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

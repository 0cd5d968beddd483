using System.Text.Json;
using StrideCampus.AiChat.Client.Realtime.Protocol;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>The join: socket events, the join push and its reply, rejoin with backoff, and token pushes.</summary>
internal sealed partial class ChannelEngine
{
    private readonly PostgresConfirmation _confirmation = new();
    private string? _joinToken;
    private long _pushedTokenVersion;
    private bool _joinedOnce;
    private int _rejoinAttempts;
    private ITimer? _rejoinTimer;
    private PendingRejoin? _pendingRejoin; // scheduled under the gate, armed after it (see ArmPendingRejoin)
    private long _rejoinGeneration; // moves on whenever a rejoin is cancelled or replaced
    private TaskCompletionSource? _subscribed;
    private string? _rejectedToken;

    public void OnSocketOpen()
    {
        lock (_gate)
        {
            _rejoinAttempts = 0;
            CancelRejoinLocked();
        }

        StartJoin();
    }

    public void OnSocketDown(DisconnectionInfo reason)
    {
        ChannelState next;
        lock (_gate)
        {
            // The socket reconnects by itself; the rejoin follows its open.
            next = ChannelJoinMachine.TryFire(_state, ChannelTrigger.SocketDown, out var after) ? after : _state;
            var changed = next != _state;
            _state = next;
            CancelRejoinLocked();
            _confirmation.Reset();
            if (!changed)
            {
                return;
            }
        }

        var text = reason.Description;
        if (next == ChannelState.Errored)
        {
            RealtimeLog.ChannelErrored(_logger, Topic, text);
            _statuses.OnNext(new ChannelStatusChange(SubscribeStatus.ChannelError, text));
        }
        else
        {
            _statuses.OnNext(new ChannelStatusChange(SubscribeStatus.Closed, text));
        }
    }

    public void PushAccessToken(string token, long version)
    {
        lock (_gate)
        {
            // Pushes race (a token change on one thread, the end of a join on another): an older token must
            // never follow a newer one.
            if (version < _pushedTokenVersion || _state != ChannelState.Joined || _joinRef is null || !_connector.IsConnected)
            {
                return;
            }

            _pushedTokenVersion = version;
            if (token == _joinToken)
            {
                return;
            }

            _joinToken = token;
            EnqueueLocked(PhoenixEvents.AccessToken, _connector.MakeRef(), ChannelPayloads.Serialize(token, static (w, t) =>
            {
                w.WriteStartObject();
                w.WriteString("access_token"u8, t);
                w.WriteEndObject();
            }), null);
        }

        RealtimeLog.AccessTokenPushed(_logger, Topic);
    }

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
                if (ChannelJoinMachine.TryFire(_state, ChannelTrigger.JoinFailed, out var errored))
                {
                    _state = errored;
                    ScheduleRejoinLocked();
                }
            }

            ArmPendingRejoin();
        }
    }

    private async Task JoinAsync()
    {
        string joinRef;
        string? rejected;
        lock (_gate)
        {
            if (_disposed || !_wantJoined || !_connector.IsConnected || !ChannelJoinMachine.TryFire(_state, ChannelTrigger.Join, out var joining))
            {
                return;
            }

            CancelRejoinLocked();
            joinRef = _connector.MakeRef();
            _joinRef = joinRef;
            _state = joining;
            _confirmation.Reset();
            _lastServerError = null;
            rejected = _rejectedToken;
            _rejectedToken = null;
        }

        _presence.Reset();
        RealtimeLog.ChannelJoining(_logger, Topic, joinRef);
        var token = await _connector.GetJoinTokenAsync(rejected).ConfigureAwait(false);
        var presenceEnabled = _options.PresenceEnabled || _presence.Wanted;
        lock (_gate)
        {
            if (_joinRef != joinRef || _state != ChannelState.Joining)
            {
                return;
            }

            _joinToken = token;
            var payload = JoinPayloadLocked(token, presenceEnabled);
            _connector.RegisterReply(joinRef, joinRef, Topic, reply => HandleJoinReply(joinRef, reply));
            var data = _connector.Serializer.EncodeText(joinRef, joinRef, Topic, PhoenixEvents.Join, payload, static (w, p) => w.WriteRawValue(p, skipInputValidation: true));
            _connector.Enqueue(new OutgoingFrame(data, false, Topic, PhoenixEvents.Join, () => IsCurrentJoin(joinRef)));
        }
    }

    private bool IsCurrentJoin(string joinRef)
    {
        lock (_gate)
        {
            return _joinRef == joinRef && _state == ChannelState.Joining;
        }
    }

    private byte[] JoinPayloadLocked(string? token, bool presenceEnabled) =>
        ChannelPayloads.Serialize((Options: _options, Bindings: _bindings, Token: token, Presence: presenceEnabled), static (w, s) =>
        {
            var options = s.Options;
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
            foreach (var binding in s.Bindings)
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

    /// <summary>
    /// Counts the attempt and leaves the rejoin pending; the caller arms it with <see cref="ArmPendingRejoin"/> once it
    /// has left the gate, because the delay comes from the app's <see cref="RealtimeClientOptions.RejoinDelay"/>.
    /// </summary>
    private void ScheduleRejoinLocked(TimeSpan? floor = null)
    {
        if (_disposed || !_wantJoined)
        {
            return;
        }

        CancelRejoinLocked();
        _pendingRejoin = new PendingRejoin(_rejoinGeneration, ++_rejoinAttempts, floor);
    }

    /// <summary>
    /// Asks the delay policy (app code, so never under the gate) and starts the rejoin timer, unless a join, a stop or
    /// another schedule came in the meantime (the generation moved on).
    /// </summary>
    private void ArmPendingRejoin()
    {
        PendingRejoin pending;
        lock (_gate)
        {
            if (_pendingRejoin is not { } waiting)
            {
                return;
            }

            pending = waiting;
            _pendingRejoin = null;
        }

        var delay = (_connector.Options.RejoinDelay ?? Backoff.Base)(pending.Attempt);
        if (pending.Floor is { } least && delay < least)
        {
            delay = least;
        }

        lock (_gate)
        {
            if (_disposed || !_wantJoined || pending.Generation != _rejoinGeneration || _rejoinTimer is not null)
            {
                return;
            }

            RealtimeLog.RejoinScheduled(_logger, Topic, pending.Attempt, delay);
            _rejoinTimer = _connector.Time.CreateTimer(static s => ((ChannelEngine)s!).OnRejoinTimer(), this, delay, Timeout.InfiniteTimeSpan);
        }
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
        _rejoinGeneration++;
        _pendingRejoin = null;
        _rejoinTimer?.Dispose();
        _rejoinTimer = null;
    }

    /// <summary>Stops wanting the channel: no rejoin, the pending subscribe and buffered pushes fail (their continuations run asynchronously).</summary>
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

    private static string EventName(PostgresChangeEventFilter filter) => filter switch
    {
        PostgresChangeEventFilter.Insert => "INSERT",
        PostgresChangeEventFilter.Update => "UPDATE",
        PostgresChangeEventFilter.Delete => "DELETE",
        _ => "*",
    };

    /// <summary>A rejoin counted under the gate, waiting for its delay to be asked for after it.</summary>
    private readonly record struct PendingRejoin(long Generation, int Attempt, TimeSpan? Floor);
}

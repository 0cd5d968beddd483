using System.Text.Json;
using StrideCampus.AiChat.Client.Realtime.Protocol;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>Frames the connector routes to this topic, on its receive loop.</summary>
internal sealed partial class ChannelEngine
{
    private string? _lastServerError;

    public void HandleFrame(in IncomingFrame frame, Utf8StringCache names, List<long> ids, PostgresChangeFrame change)
    {
        // Written under the lock; read without it on every frame (each read is atomic, and a join racing a frame
        // is decided by the join ref either way).
        var current = Volatile.Read(ref _joinRef);
        var delivers = ChannelJoinMachine.Delivers(_state);

        if (frame.JoinRef is not null && frame.JoinRef != current)
        {
            RealtimeLog.StaleJoinRef(_logger, Topic, frame.Event, frame.JoinRef);
            return;
        }

        switch (frame.Event)
        {
            case PhoenixEvents.PostgresChanges when delivers:
                HandlePostgresChanges(frame.Payload, names, ids, change);
                break;
            case PhoenixEvents.Broadcast when delivers:
                _broadcasts.Deliver(in frame);
                break;
            case PhoenixEvents.PresenceState when delivers:
                _presence.Apply(ChannelPayloads.Parse(frame.Payload.Span), isState: true);
                break;
            case PhoenixEvents.PresenceDiff when delivers:
                _presence.Apply(ChannelPayloads.Parse(frame.Payload.Span), isState: false);
                break;
            case PhoenixEvents.System:
                HandleSystem(ChannelPayloads.Parse(frame.Payload.Span));
                break;
            case PhoenixEvents.Error:
                HandleServerError();
                break;
            case PhoenixEvents.Close:
                HandleServerClose();
                break;
            default:
                break;
        }
    }

    private void HandlePostgresChanges(ReadOnlyMemory<byte> payload, Utf8StringCache names, List<long> ids, PostgresChangeFrame change)
    {
        try
        {
            PostgresChangeParser.Parse(payload, change, ids, names);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException)
        {
            RealtimeLog.ChangeDropped(_logger, ex, Topic, ex.Message);
            return;
        }

        PostgresChangeEvent? copied = null; // built once, for the public observers, only when one is there
        var bindings = Volatile.Read(ref _bindingSnapshot);
        foreach (var binding in bindings)
        {
            // No ids (an old server): route by what the binding asked for.
            var matches = ids.Count > 0
                ? binding.HasServerId && ids.Contains(binding.ServerId) && binding.AcceptsType(change.Type)
                : binding.Accepts(change);
            if (!matches)
            {
                continue;
            }

            if (binding.FrameObserver is { } observer)
            {
                try
                {
                    observer(change);
                }
#pragma warning disable CA1031 // An observer must not break the receive loop.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    RealtimeLog.ObserverFailed(_logger, ex, Topic + " postgres_changes");
                }
            }
            else if (binding.Subject.HasObservers)
            {
                try
                {
                    copied ??= change.ToEvent();
                }
                catch (Exception ex) when (ex is FormatException or JsonException)
                {
                    RealtimeLog.ChangeDropped(_logger, ex, Topic, ex.Message);
                    return;
                }

                binding.Subject.OnNext(copied);
            }
        }
    }

    private void HandleSystem(JsonElement payload)
    {
        string? status = null, message = null, extension = null;
        if (payload.ValueKind == JsonValueKind.Object)
        {
            status = ChannelPayloads.StringOf(payload, "status"u8);
            message = ChannelPayloads.StringOf(payload, "message"u8);
            extension = ChannelPayloads.StringOf(payload, "extension"u8);
        }

        if (status == "error")
        {
            lock (_gate)
            {
                if (message is not null && message.Contains("token", StringComparison.OrdinalIgnoreCase))
                {
                    _rejectedToken = _joinToken ?? "";
                }

                // A phx_close that follows carries no reason: this is it (shutdown_response in realtime_channel.ex).
                _lastServerError = message;
            }

            RealtimeLog.SystemError(_logger, Topic, extension, message);
            _statuses.OnNext(new ChannelStatusChange(
                SubscribeStatus.ChannelError,
                message ?? "system error",
                new RealtimeException(message ?? "system error") { SubscribeStatus = SubscribeStatus.ChannelError }));
            return;
        }

        RealtimeLog.SystemMessage(_logger, Topic, extension, message);
        if (status != "ok" || extension != "postgres_changes")
        {
            return;
        }

        string reason;
        TaskCompletionSource? subscribed = null;
        ConfirmationOutcome outcome;
        lock (_gate)
        {
            if (_state != ChannelState.Joined)
            {
                return;
            }

            outcome = _confirmation.Confirm();
            switch (outcome)
            {
                case ConfirmationOutcome.First:
                    reason = _confirmation.IsRejoin ? "rejoined" : "joined";
                    subscribed = _subscribed;
                    _subscribed = null;
                    break;
                case ConfirmationOutcome.Again:
                    // The server subscribed to the database again on this join (change capture restarted, an
                    // error recovered, a token refreshed): changes may have been missed, so consumers catch up.
                    reason = "postgres_changes resubscribed";
                    break;
                default:
                    return;
            }
        }

        _statuses.OnNext(new ChannelStatusChange(SubscribeStatus.Subscribed, reason));
        if (outcome == ConfirmationOutcome.First)
        {
            RealtimeLog.ChannelSubscribed(_logger, Topic);
        }

        subscribed?.TrySetResult();
    }

    /// <summary>No "Subscribed to PostgreSQL" in time: report Subscribed anyway (consumers load); a late one reports it again.</summary>
    private void OnConfirmationTimeout(string joinRef)
    {
        TaskCompletionSource? subscribed;
        lock (_gate)
        {
            if (_joinRef != joinRef || _state != ChannelState.Joined || !_confirmation.TimeOut(joinRef))
            {
                return;
            }

            subscribed = _subscribed;
            _subscribed = null;
        }

        RealtimeLog.PostgresChangesUnconfirmed(_logger, Topic, _connector.Options.PostgresChangesConfirmTimeout);
        _statuses.OnNext(new ChannelStatusChange(SubscribeStatus.Subscribed, "postgres_changes not confirmed in time"));
        subscribed?.TrySetResult();
    }

    private void HandleServerError()
    {
        string? joinRef;
        lock (_gate)
        {
            if (!ChannelJoinMachine.TryFire(_state, ChannelTrigger.ServerError, out var errored))
            {
                return;
            }

            joinRef = _state == ChannelState.Joining ? _joinRef : null;
            _state = errored;
            _confirmation.Reset();
            ScheduleRejoinLocked();
        }

        ArmPendingRejoin();
        if (joinRef is not null)
        {
            _connector.CompleteReply(joinRef, PushReply.Cancelled);
        }

        RealtimeLog.ChannelErrored(_logger, Topic, "phx_error");
        _statuses.OnNext(new ChannelStatusChange(SubscribeStatus.ChannelError, "phx_error"));
    }

    /// <summary>
    /// The server ended the channel. Unless the app asked (a leave), the channel comes back: Supabase closes channels
    /// for transient reasons (rate limits, database or RPC failures during a token refresh, replication not ready), so it
    /// rejoins with backoff, not sooner than <see cref="RealtimeClientOptions.RateLimitedRejoinDelay"/> after a rate
    /// limit; only a permission refusal stops it, reported as <see cref="SubscribeStatus.Closed"/> with the server's reason.
    /// </summary>
    private void HandleServerClose()
    {
        ChannelStatusChange status;
        string? joinRef;
        lock (_gate)
        {
            var reason = _lastServerError;
            var kind = ServerReasons.Classify(reason);
            var trigger = !_wantJoined || kind == ServerReasonKind.PermissionRefused ? ChannelTrigger.ServerClosedFinal : ChannelTrigger.ServerClosed;
            if (!ChannelJoinMachine.TryFire(_state, trigger, out var next))
            {
                return; // already closed
            }

            _lastServerError = null;
            joinRef = _state == ChannelState.Joining ? _joinRef : null;
            _state = next;
            _confirmation.Reset();
            if (next == ChannelState.Closed)
            {
                var failure = new RealtimeException(reason is null ? $"Channel {Topic} was closed by the server." : $"Channel {Topic} was closed by the server: {reason}")
                {
                    SubscribeStatus = SubscribeStatus.Closed,
                    IsPermissionRefusal = kind == ServerReasonKind.PermissionRefused,
                    IsAuthorizationRefusal = kind == ServerReasonKind.PermissionRefused && !ServerReasons.IsPrivateOnly(reason),
                };
                StopLocked(failure);
                status = new ChannelStatusChange(SubscribeStatus.Closed, reason ?? "closed by server", kind == ServerReasonKind.PermissionRefused ? failure : null);
            }
            else
            {
                ScheduleRejoinLocked(kind == ServerReasonKind.RateLimited ? _connector.Options.RateLimitedRejoinDelay : null);
                var text = reason ?? "closed by server";
                status = new ChannelStatusChange(
                    SubscribeStatus.ChannelError,
                    text,
                    new RealtimeException($"Channel {Topic} was closed by the server ({text}); rejoining.") { SubscribeStatus = SubscribeStatus.ChannelError });
            }
        }

        ArmPendingRejoin();
        if (joinRef is not null)
        {
            _connector.CompleteReply(joinRef, PushReply.Cancelled);
        }

        if (status.Status == SubscribeStatus.Closed)
        {
            RealtimeLog.ChannelClosed(_logger, Topic, "phx_close: " + status.Reason);
        }
        else
        {
            RealtimeLog.ChannelErrored(_logger, Topic, "closed by server (" + status.Reason + "); rejoining");
        }

        _statuses.OnNext(status);
    }
}

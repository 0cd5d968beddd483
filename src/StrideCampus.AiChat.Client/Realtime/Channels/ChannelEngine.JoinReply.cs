using StrideCampus.AiChat.Client.Realtime.Protocol;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>The join's reply: joined (maybe awaiting "Subscribed to PostgreSQL"), refused, timed out, or mismatched.</summary>
internal sealed partial class ChannelEngine
{
    private void HandleJoinReply(string joinRef, PushReply reply)
    {
        ChannelStatusChange? status = null;
        TaskCompletionSource? subscribed = null;
        Exception? failure = null;
        var pushToken = false;
        lock (_gate)
        {
            if (_joinRef != joinRef || _state != ChannelState.Joining || reply.Status == PushStatus.Cancelled)
            {
                return; // stale, or cancelled: the socket went down and OnSocketDown reports it.
            }

            if (reply.Status == PushStatus.Ok && MatchBindingsLocked(reply.Response))
            {
                _state = Fire(ChannelTrigger.JoinOk);
                status = JoinedLocked(joinRef, ref subscribed);
                pushToken = status is null;
            }
            else
            {
                _state = Fire(ChannelTrigger.JoinFailed);
                (status, failure, subscribed) = reply.Status switch
                {
                    PushStatus.Ok => Mismatched(),
                    PushStatus.Timeout => TimedOut(),
                    _ => Refused(reply),
                };
            }

            if (failure is not null)
            {
                subscribed ??= _subscribed;
                _subscribed = null;
            }

            pushToken |= status?.Status == SubscribeStatus.Subscribed;
        }

        ArmPendingRejoin();

        // The status goes out before SubscribeAsync completes, so whatever the caller reads once it returns
        // (a feed's IsConnected) already reflects the join.
        if (status is not null)
        {
            _statuses.OnNext(status);
        }

        if (failure is null)
        {
            if (status is not null)
            {
                RealtimeLog.ChannelSubscribed(_logger, Topic);
            }

            subscribed?.TrySetResult();
        }
        else
        {
            subscribed?.TrySetException(failure);
        }

        // The token may have changed while the join was in flight. It is read after the gate (the connector's lock
        // is never taken under it); PushAccessToken drops a token older than one already pushed.
        if (pushToken && _connector.CurrentTokenVersion is ({ } freshToken, var freshVersion))
        {
            PushAccessToken(freshToken, freshVersion);
        }
    }

    /// <summary>Joined: flushes buffered pushes, re-tracks presence; returns the Subscribed status, or null while the database subscription is unconfirmed.</summary>
    private ChannelStatusChange? JoinedLocked(string joinRef, ref TaskCompletionSource? subscribed)
    {
        _rejoinAttempts = 0;
        var resubscribed = _joinedOnce;
        _joinedOnce = true;
        FlushLocked();
        if (resubscribed && _presence.TrackedMeta is { } tracked)
        {
            EnqueueLocked(PhoenixEvents.Presence, _connector.MakeRef(), tracked, null);
        }

        if (_bindings.Count > 0)
        {
            // Not flowing yet: the server subscribes to the database after this reply, and changes flow
            // from its "Subscribed to PostgreSQL" (PostgresConfirmation), which reports Subscribed.
            _confirmation.Begin(joinRef, resubscribed, _connector.Time, _connector.Options.PostgresChangesConfirmTimeout, OnConfirmationTimeout);
            RealtimeLog.AwaitingPostgresChanges(_logger, Topic);
            return null;
        }

        subscribed = _subscribed;
        _subscribed = null;
        return new ChannelStatusChange(SubscribeStatus.Subscribed, resubscribed ? "rejoined" : "joined");
    }

    private (ChannelStatusChange, Exception, TaskCompletionSource?) Mismatched()
    {
        RealtimeLog.BindingMismatch(_logger, Topic);
        EnqueueLocked(PhoenixEvents.Leave, _connector.MakeRef(), ChannelPayloads.EmptyObject, Always);
        var failure = new RealtimeException(MismatchReason) { SubscribeStatus = SubscribeStatus.ChannelError };
        StopLocked(failure); // no rejoin: the same bindings would mismatch again
        return (new ChannelStatusChange(SubscribeStatus.ChannelError, MismatchReason, failure), failure, null);
    }

    private (ChannelStatusChange, Exception, TaskCompletionSource?) TimedOut()
    {
        RealtimeLog.ChannelJoinTimedOut(_logger, Topic);
        EnqueueLocked(PhoenixEvents.Leave, _connector.MakeRef(), ChannelPayloads.EmptyObject, Always);
        var failure = new RealtimeException($"Join of {Topic} timed out.") { SubscribeStatus = SubscribeStatus.TimedOut };
        ScheduleRejoinLocked();
        return (new ChannelStatusChange(SubscribeStatus.TimedOut, "join timed out", failure), failure, null);
    }

    private (ChannelStatusChange, Exception, TaskCompletionSource?) Refused(PushReply reply)
    {
        if (reply.Reason.Contains("token", StringComparison.OrdinalIgnoreCase))
        {
            _rejectedToken = _joinToken ?? "";
        }

        RealtimeLog.ChannelJoinRefused(_logger, Topic, reply.Reason);
        var refusal = ServerReasons.Classify(reply.Reason);
        var refused = refusal == ServerReasonKind.PermissionRefused;
        var privateOnly = ServerReasons.IsPrivateOnly(reply.Reason);
        var failure = new RealtimeException($"Join of {Topic} refused: {reply.Reason}")
        {
            SubscribeStatus = SubscribeStatus.ChannelError,
            IsPermissionRefusal = refused,
            IsAuthorizationRefusal = refused && !privateOnly,
            IsPrivateOnlyRefusal = privateOnly,
        };
        TaskCompletionSource? subscribed = null;
        if (refused)
        {
            // Realtime Authorization refused a private channel, or the project refuses public ones: retrying
            // is refused again, so stop (a later SubscribeAsync tries again) instead of rejoining forever.
            // The waiting SubscribeAsync fails after the status goes out, not before.
            subscribed = _subscribed;
            _subscribed = null;
            StopLocked(failure);
        }
        else
        {
            // "ClientJoinRateLimitReached: Too many joins per second" and the like: not sooner than the floor.
            ScheduleRejoinLocked(refusal == ServerReasonKind.RateLimited ? _connector.Options.RateLimitedRejoinDelay : null);
        }

        return (new ChannelStatusChange(SubscribeStatus.ChannelError, reply.Reason, failure), failure, subscribed);
    }
}

using StrideCampus.AiChat.Client.Realtime;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>Status mapping: channel and socket states to one <see cref="ChatConnectionStatus"/>, and the resubscription signal.</summary>
internal sealed partial class RealtimeChatChangeFeed
{
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
                _signals.Enqueue(new Signal(null, resubscribed));
            }
        }

        DeliverSignals();
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

        DeliverSignals();
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

        DeliverSignals();
    }

    /// <summary>Queues a status for delivery when the lock is left (<see cref="DeliverSignals"/>). Call under the lock.</summary>
    private void PublishLocked(ChatConnectionStatus status)
    {
        var current = _lastStatus;
        if (current.State == status.State && current.Reason == status.Reason)
        {
            return;
        }

        if (current.State != status.State)
        {
            ChatLog.SubscriptionStatus(_logger, status.State, status.Reason);
        }

        _lastStatus = status;
        _signals.Enqueue(new Signal(status, 0));
    }

    /// <summary>Asks the consumers to refetch (a change that did not arrive whole), in order with the statuses.</summary>
    private void SignalResubscribed()
    {
        _signals.Enqueue(new Signal(null, Interlocked.Read(ref _subscribedCount)));
        DeliverSignals();
    }

    /// <summary>
    /// Delivers the queued statuses and resubscription signals, one thread at a time, in the order they were queued
    /// (under the lock): the feed's observers never run while it holds its lock.
    /// </summary>
    private void DeliverSignals() => _signals.DeliverAll(this, static (feed, next) =>
    {
        if (next.Status is { } status)
        {
            feed._status.OnNext(status);
        }
        else
        {
            feed._resubscribed.OnNext(next.Resubscribed);
        }
    });

    /// <summary>A status to publish, or (status null) a resubscription count to signal.</summary>
    private readonly record struct Signal(ChatConnectionStatus? Status, long Resubscribed);
}
